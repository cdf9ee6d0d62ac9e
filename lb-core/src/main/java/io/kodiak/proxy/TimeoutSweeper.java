package io.kodiak.proxy;

import io.kodiak.config.KodiakConfig;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * Enforces every timeout of the data path from one thread. The hot path only writes a deadline
 * into a field; this sweeper visits the live sessions a few times per timeout period and lets each
 * act on what has expired, and ages out idle pooled upstream connections. That costs nothing per
 * request, unlike arming and cancelling a timer for each read, write and connect.
 *
 * <p>{@link #sweep(long)} is public to the package so that tests can drive it with a fake clock;
 * a {@link #manual} sweeper has no thread of its own, so that only the test sweeps.
 */
final class TimeoutSweeper implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(TimeoutSweeper.class.getName());

    private final ProxyContext ctx;
    /** {@code null} for a {@link #manual} sweeper. */
    private final ScheduledExecutorService timer;
    private java.util.concurrent.ScheduledFuture<?> task; // guarded by this
    private long periodNanos; // guarded by this

    TimeoutSweeper(ProxyContext ctx, long periodNanos) {
        this(ctx, Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "kodiak-timeouts");
            t.setDaemon(true);
            return t;
        }));
        period(periodNanos);
    }

    private TimeoutSweeper(ProxyContext ctx, ScheduledExecutorService timer) {
        this.ctx = ctx;
        this.timer = timer;
    }

    /**
     * A sweeper that never sweeps by itself, not even after a reload: timeouts fire only when the
     * owner calls {@link #sweep(long)}. For tests on a fake clock, where a sweep on a timer thread
     * would race the test's own and make "nothing has happened yet" unobservable.
     */
    static TimeoutSweeper manual(ProxyContext ctx) {
        return new TimeoutSweeper(ctx, null);
    }

    /** Sweeps every {@code nanos} from now on (a reload may have shortened a timeout). */
    synchronized void period(long nanos) {
        if (timer == null || nanos == periodNanos) {
            return;
        }
        if (task != null) {
            task.cancel(false);
        }
        periodNanos = nanos;
        task = timer.scheduleWithFixedDelay(this::sweepNow, nanos, nanos, TimeUnit.NANOSECONDS);
    }

    private void sweepNow() {
        try {
            sweep(ctx.now());
        } catch (RuntimeException e) {
            // One broken session must not stop every timeout of the process.
            LOG.log(Level.SEVERE, "timeout sweep failed", e);
        }
    }

    void sweep(long now) {
        for (ClientSession s : ctx.sessions()) {
            try {
                s.checkTimeouts(now);
            } catch (RuntimeException e) {
                // One broken session must not stop the others' timeouts (a closing one ends only here).
                LOG.log(Level.SEVERE, "timeout check failed for " + s, e);
            }
        }
        for (ConnectionPool p : ctx.connectionPools.values()) {
            p.expire(now);
        }
    }

    /**
     * A sweep period small against the shortest timeout, so that a timeout fires within about a
     * tenth of its length late, and never more often than every 10 ms.
     */
    static long periodFor(long shortestTimeoutNanos) {
        return Math.max(TimeUnit.MILLISECONDS.toNanos(10),
                Math.min(TimeUnit.MILLISECONDS.toNanos(250), shortestTimeoutNanos / 10));
    }

    /** The sweep period for {@code c}'s shortest client or upstream timeout ({@link #periodFor(long)}). */
    static long periodFor(KodiakConfig c) {
        Stream<Duration> client = c.listeners().stream().flatMap(l -> Stream.of(
                l.timeouts().requestHeader(), l.timeouts().keepAlive(), l.timeouts().body(), l.timeouts().send(),
                l.tls() == null ? l.timeouts().requestHeader() : l.tls().handshakes().timeout(),
                l.timeouts().bodyTotal().isZero() ? l.timeouts().body() : l.timeouts().bodyTotal()));
        Stream<Duration> upstream = c.pools().values().stream().flatMap(p -> Stream.of(
                p.timeouts().connect(), p.timeouts().response(), p.timeouts().read(), p.timeouts().send(),
                p.connections().idleTimeout()));
        return periodFor(Stream.concat(client, upstream).mapToLong(Duration::toNanos).min().orElse(TimeUnit.SECONDS.toNanos(1)));
    }

    @Override
    public void close() {
        if (timer != null) {
            timer.shutdownNow();
        }
    }
}
