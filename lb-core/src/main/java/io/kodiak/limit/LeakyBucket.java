package io.kodiak.limit;

/**
 * nginx's {@code limit_req} arithmetic ({@code ngx_http_limit_req_lookup} and
 * {@code ngx_http_limit_req_account}), with the bucket measured in time rather than in requests.
 *
 * <p>nginx keeps, per key, the {@code excess}: how many requests the key is ahead of its rate, in
 * thousandths of a request. A request arriving {@code ms} after the last one finds
 * {@code excess' = max(0, excess - rate * ms + 1)}: the bucket drained at the rate meanwhile, and
 * the request adds one. A key seen for the first time finds 0. If {@code excess'} is over
 * {@code burst} the request is refused and nothing is stored; otherwise {@code excess'} is
 * stored, and the request waits {@code (excess' - delay) / rate} if that is positive
 * ({@code delay} is 0 by default, the burst with {@code nodelay}, N with {@code delay=N}).
 *
 * <p>Here one request is worth the emission interval {@code T = 1 / rate} in nanoseconds, so
 * the same formula reads {@code excess' = max(0, excess - elapsed + T)} with every quantity a
 * time: a request passes if {@code excess' <= burst * T}, waits {@code excess' - delay * T}, and
 * a refused one could pass after {@code excess' - burst * T}. This is the Generic Cell Rate
 * Algorithm's form of the same leaky bucket. It differs from nginx only in resolution: nanoseconds
 * where nginx has milliseconds and thousandths of a request, so a slow rate (1r/m) drains between
 * requests a few milliseconds apart, where nginx's truncation drains nothing.
 *
 * <p>Pure functions; any thread.
 */
final class LeakyBucket {
    private LeakyBucket() {
    }

    /**
     * The excess a request leaves if it is let through.
     *
     * @param excess   the key's stored excess (ns)
     * @param last     when the key's last request was let through (ns, the same clock as now)
     * @param now      now (ns)
     * @param interval the emission interval {@code T} (ns)
     */
    static long excessAfter(long excess, long last, long now, long interval) {
        long elapsed = Math.max(0, now - last); // a clock never runs back; nginx clamps too
        return Math.max(0, excess - Math.min(elapsed, excess + interval) + interval);
    }

    /**
     * Whether a key's state says nothing a fresh one would not: its next request would find an
     * excess of 0 either way, so the state may be evicted at no cost.
     */
    static boolean drained(long excess, long last, long now, long interval) {
        return now - last >= excess + interval;
    }

    /** How long a request let through with {@code excess} waits (ns): 0 within {@code delay}. */
    static long delay(long excess, long delayNanos) {
        return excess <= delayNanos ? 0 : excess - delayNanos;
    }

    /** How long until a request refused with {@code excess} would pass (ns). */
    static long retryAfter(long excess, long burstNanos) {
        return Math.max(0, excess - burstNanos);
    }

    /** {@code n} requests' worth of the bucket (ns); {@link Long#MAX_VALUE} for "unbounded". */
    static long requests(long n, long interval) {
        return n >= Long.MAX_VALUE / Math.max(1, interval) ? Long.MAX_VALUE : n * interval;
    }
}
