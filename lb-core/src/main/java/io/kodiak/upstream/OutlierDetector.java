package io.kodiak.upstream;

import io.kodiak.config.OutlierConfig;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.logging.Logger;

/**
 * Passive health: Envoy's outlier detection on live traffic. An upstream whose requests fail
 * {@code consecutive-failures} times in a row (connect errors, resets, timeouts, invalid
 * responses, and 5xx if configured) is ejected from the pool's selection for
 * {@code base-ejection-time × n}, where n counts its ejections (capped at {@code max-ejection-time}),
 * so an upstream that keeps failing stays out longer each time. n starts over once the upstream
 * has been back for {@code max-ejection-time} without being ejected again.
 *
 * <p>At most {@code max-ejection-percent} of the pool is ejected at once, but always one upstream
 * may be (Envoy's rule), and never the last available one: ejecting it would turn a failing
 * upstream into no upstream at all.
 *
 * <p>An ejection ends when its time is up, or earlier when the active check, having found the
 * upstream DOWN, finds it UP again: that proves recovery. The active check is an independent
 * flag otherwise: an upstream that is really dead has been marked DOWN by the time its ejection
 * ends, and stays out until its checks pass.
 *
 * <p><b>Threading.</b> {@link #failed} and {@link #succeeded} are called from selector threads
 * and do one atomic update in the common case; an ejection takes this detector's lock, rebuilds
 * the pool's selection and schedules its end on the injected scheduler. Time comes from the
 * injected clock, so tests drive it.
 */
public final class OutlierDetector {
    private static final Logger LOG = Logger.getLogger(OutlierDetector.class.getName());

    /** Runs a task after a delay; the health checks' scheduler in production, a list in tests. */
    @FunctionalInterface
    public interface Scheduler {
        void schedule(Runnable task, long delayNanos);
    }

    private final PoolRuntime pool;
    private volatile OutlierConfig config;
    private final LongSupplier nanoClock;
    private volatile Scheduler scheduler;
    private volatile Consumer<Upstream> onReturn = u -> { };

    OutlierDetector(PoolRuntime pool, OutlierConfig config, LongSupplier nanoClock) {
        this.pool = pool;
        this.config = config;
        this.nanoClock = nanoClock;
    }

    /**
     * Starts ejecting: until then (and with {@code consecutive-failures: 0}) failures are only counted.
     *
     * @param scheduler ends ejections
     * @param onReturn  runs after an upstream returned to the selection (offers its slots to the queue)
     */
    public void start(Scheduler scheduler, Consumer<Upstream> onReturn) {
        this.onReturn = onReturn;
        this.scheduler = scheduler;
    }

    /** A reload changed the thresholds; ejections under way run their course. */
    void reconfigure(OutlierConfig next) {
        this.config = next;
    }

    /** A request to {@code u} failed: connect error, reset, timeout, invalid response. */
    public void failed(Upstream u) {
        int threshold = config.consecutiveFailures();
        if (u.countFailure() >= threshold && threshold > 0 && scheduler != null) {
            maybeEject(u);
        }
    }

    /** A complete response from {@code u}; a 5xx counts as a failure if the pool says so. */
    public void responded(Upstream u, int status) {
        if (status >= 500 && config.count5xx()) {
            failed(u);
        } else {
            u.resetFailures();
        }
    }

    private synchronized void maybeEject(Upstream u) {
        if (u.ejected()) {
            return;
        }
        List<Upstream> all = pool.upstreams();
        long ejected = all.stream().filter(Upstream::ejected).count();
        long cap = Math.max(1, all.size() * config.maxEjectionPercent() / 100);
        if (ejected >= cap) {
            LOG.info(() -> pool.name() + "/" + u.name() + ": " + u.consecutiveFailures()
                    + " failures in a row, but " + ejected + " of " + all.size() + " upstreams are ejected already (max "
                    + config.maxEjectionPercent() + "%)");
            return;
        }
        if (all.stream().noneMatch(x -> x != u && x.available())) {
            LOG.info(() -> pool.name() + "/" + u.name() + ": " + u.consecutiveFailures()
                    + " failures in a row, not ejected: it is the last available upstream");
            return;
        }
        long now = nanoClock.getAsLong();
        long maxNanos = config.maxEjectionTime().toNanos();
        // Back for max-ejection-time without failing enough again: the count starts over.
        int n = u.lastReturnNanos() != 0 && now - u.lastReturnNanos() >= maxNanos ? 1 : u.ejections() + 1;
        long duration = Math.min(config.baseEjectionTime().toNanos() * n, maxNanos);
        long id = u.eject(n);
        pool.refresh();
        LOG.warning(() -> pool.name() + "/" + u.name() + " ejected for " + TimeUnit.NANOSECONDS.toMillis(duration)
                + " ms (ejection " + n + "): " + u.consecutiveFailures() + " failures in a row");
        scheduler.schedule(() -> restore(u, id, "ejection over"), duration);
    }

    /**
     * The active check found {@code u} up again after it had been down: that proves it recovered,
     * so an ejection ends now ("it returns through the active check"). The caller starts the slow
     * start and rebuilds the selection.
     *
     * @return whether an ejection ended
     */
    public synchronized boolean healthRestored(Upstream u) {
        if (!u.ejected()) {
            return false;
        }
        u.restore(nanoClock.getAsLong());
        LOG.info(() -> pool.name() + "/" + u.name() + ": its health check passes again; ejection ended early");
        return true;
    }

    private void restore(Upstream u, long id, String why) {
        synchronized (this) {
            if (!u.ejected() || u.ejectionId() != id) {
                return; // ended early by its health check, or a newer ejection owns the flag now
            }
            u.restore(nanoClock.getAsLong());
            u.startSlowStart(pool.config().slowStart());
            pool.refresh();
        }
        LOG.info(() -> pool.name() + "/" + u.name() + ": " + why + ", back in the selection"
                + (u.healthy() ? "" : " once its health check passes"));
        onReturn.accept(u);
    }

    @Override
    public String toString() {
        return "OutlierDetector[" + pool.name() + ", " + config + "]";
    }
}
