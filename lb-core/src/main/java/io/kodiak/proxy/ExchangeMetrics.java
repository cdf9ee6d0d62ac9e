package io.kodiak.proxy;

import io.kodiak.metrics.ErrorCause;
import io.kodiak.upstream.PoolRuntime;
import io.kodiak.upstream.Upstream;

/**
 * Everything an exchange counts and times for the metrics, in one place: the data path calls
 * these unconditionally and {@link #OFF} makes them free when metrics are off (fixed for the
 * process), instead of a branch at every site. Finagle's idea: the call records itself.
 *
 * <p>Durations are nanoseconds. Every method is non-blocking and safe from any thread.
 */
interface ExchangeMetrics {
    /** Metrics off: nothing is counted. */
    ExchangeMetrics OFF = new ExchangeMetrics() { };

    static ExchangeMetrics of(boolean enabled) {
        return enabled ? Recording.INSTANCE : OFF;
    }

    /** A request for {@code pool} began (once per request, retries included). */
    default void request(PoolRuntime pool) { }

    /** The client has its answer, {@code nanos} after the head was read (once per request). */
    default void response(PoolRuntime pool, int status, long nanos) { }

    /** The first byte of the answer went to the client {@code nanos} after the head was read. */
    default void clientFirstByte(PoolRuntime pool, long nanos) { }

    /** An attempt on {@code u} began (once per attempt). */
    default void attempt(Upstream u) { }

    /** A new connection to {@code u} took {@code nanos}. */
    default void connected(Upstream u, long nanos) { }

    /** {@code u}'s response head came {@code nanos} after the pick. */
    default void upstreamFirstByte(Upstream u, long nanos) { }

    /** {@code u} answered {@code status}, its last byte {@code nanos} after the pick. */
    default void upstreamResponse(Upstream u, int status, long nanos) { }

    /** {@code u} switched protocols (a WebSocket tunnel begins). */
    default void upgraded(Upstream u) { }

    /** The attempt on {@code u} failed. */
    default void upstreamError(Upstream u, ErrorCause cause) { }

    default void bytesToUpstream(Upstream u, long n) { }

    default void bytesFromUpstream(Upstream u, long n) { }

    /** Metrics on: the pool's client-side stats and each upstream's stats. */
    final class Recording implements ExchangeMetrics {
        static final Recording INSTANCE = new Recording();

        private Recording() {
        }

        @Override
        public void request(PoolRuntime pool) {
            pool.clientStats().recordRequest();
        }

        @Override
        public void response(PoolRuntime pool, int status, long nanos) {
            pool.clientStats().recordResponse(status);
            pool.clientStats().latency().record(nanos);
        }

        @Override
        public void clientFirstByte(PoolRuntime pool, long nanos) {
            pool.clientStats().timeToFirstByte().record(nanos);
        }

        @Override
        public void attempt(Upstream u) {
            u.stats().recordRequest();
        }

        @Override
        public void connected(Upstream u, long nanos) {
            u.stats().connectTime().record(nanos);
        }

        @Override
        public void upstreamFirstByte(Upstream u, long nanos) {
            u.stats().timeToFirstByte().record(nanos);
        }

        @Override
        public void upstreamResponse(Upstream u, int status, long nanos) {
            u.stats().recordResponse(status);
            u.stats().latency().record(nanos);
        }

        @Override
        public void upgraded(Upstream u) {
            u.stats().recordResponse(101);
        }

        @Override
        public void upstreamError(Upstream u, ErrorCause cause) {
            u.stats().recordError(cause);
        }

        @Override
        public void bytesToUpstream(Upstream u, long n) {
            u.stats().addBytesOut(n);
        }

        @Override
        public void bytesFromUpstream(Upstream u, long n) {
            u.stats().addBytesIn(n);
        }
    }
}
