package io.kodiak.proxy;

import io.kodiak.config.HealthCheckConfig;
import io.kodiak.health.Health;
import io.kodiak.health.HealthChecker;
import io.kodiak.health.HealthListener;
import io.kodiak.health.InitialState;
import io.kodiak.health.ProbeResult;
import io.kodiak.upstream.AdminState;
import io.kodiak.upstream.PoolRuntime;
import io.kodiak.upstream.Upstream;

import java.io.IOException;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;
import java.util.logging.Logger;
import java.util.random.RandomGenerator;

/**
 * The control loop: the one thread through which every change to the running pools passes, one
 * at a time. Active health checks and their transitions (lb-health's {@link HealthChecker} over the
 * upstreams, with the probes {@link CheckProbes} makes: over TLS for a TLS pool), what a node asks for in its
 * check's response headers, the end of an outlier ejection, the operator's changes through the
 * admin API (admin state, weight, upstreams added and removed) and the pool changes of a reload all
 * run here, so that a drain, a reload and a health transition of the same upstream never
 * interleave.
 *
 * <p>A change of an upstream's availability rebuilds its pool's selection, so strategies only ever
 * see upstreams that are up; if the pool has nothing left, its queue is answered at once; an
 * upstream that comes back offers its free slots to requests waiting in the pool's queue, and
 * completes {@link Upstream#whenUp()} for whoever waits for it (the admin API's wait-up).
 *
 * <p><b>Threading.</b> Checks, transitions, admin changes, reloads and selection rebuilds run on one
 * daemon thread, off the data path: a check never runs on a selector thread and the data path
 * never waits for one. Other threads hand their changes over with {@link #runAndWait}.
 *
 * <p><b>Time and randomness</b> are injected: the monotonic clock of the checks' timeouts and
 * schedules, the wall clock that dates a check's record for the admin API, and the random source
 * of the checks' jitter.
 */
final class ControlLoop implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ControlLoop.class.getName());

    private final ScheduledThreadPoolExecutor scheduler;
    private final HealthChecker<Upstream> checker;
    private final Map<Upstream, PoolRuntime> poolOf = new IdentityHashMap<>();
    private final Map<PoolRuntime, WaitQueue> queues;
    private final Map<Upstream, ConnectionPool> connectionPools;
    private final LongSupplier epochMillis;
    private final CheckProbes probes;
    private volatile long waitLimitNanos = TimeUnit.SECONDS.toNanos(10);

    /**
     * Starts the checks of {@code pools} and their outlier detectors' timers.
     *
     * @param nanoTime    the monotonic clock of the checks (timeouts, intervals)
     * @param epochMillis the wall clock that dates each check's record
     * @param random      the jitter of the checks' schedules
     */
    ControlLoop(Collection<PoolRuntime> pools, Map<PoolRuntime, WaitQueue> queues, Map<Upstream, ConnectionPool> connectionPools,
                LongSupplier nanoTime, LongSupplier epochMillis, RandomGenerator random) throws IOException {
        this.queues = queues;
        this.connectionPools = connectionPools;
        this.epochMillis = epochMillis;
        this.scheduler = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "kodiak-control");
            t.setDaemon(true);
            return t;
        });
        scheduler.setRemoveOnCancelPolicy(true);
        this.probes = new CheckProbes(scheduler);
        this.checker = new HealthChecker<>(scheduler, nanoTime, random, new HealthListener<>() {
            @Override
            public void onTransition(Upstream u, Health from, Health to, ProbeResult result) {
                ControlLoop.this.onTransition(u, to);
            }

            @Override
            public void onCheck(Upstream u, ProbeResult result) {
                ControlLoop.this.onCheck(u, result);
            }
        });
        try {
            for (PoolRuntime pool : pools) {
                pool.outliers().start(this::schedule, u -> returned(pool, u));
                HealthCheckConfig hc = pool.config().healthCheck();
                if (hc.type() == HealthCheckConfig.Type.NONE) {
                    continue;
                }
                for (Upstream u : pool.upstreams()) {
                    poolOf.put(u, pool);
                    if (u.adminState() != AdminState.MAINT) { // restored from the state file: no checks
                        checker.add(u, probes.probe(pool, u), hc.policy());
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    /** On the loop's thread; the checker has logged the transition with its reason. */
    private void onTransition(Upstream u, Health to) {
        if (!u.setHealthy(to == Health.UP)) {
            return;
        }
        PoolRuntime pool = poolOf.get(u);
        if (to == Health.UP) {
            pool.outliers().healthRestored(u); // recovered: an ejection for its failures ends too
            u.startSlowStart(pool.config().slowStart()); // back from DOWN: ramp up, do not flood it
        }
        availabilityChanged(pool, u);
    }

    /**
     * A check's record for the admin API; after a passed HTTP check, what the node asks for in
     * its response headers ({@link NodeRequest}).
     */
    private void onCheck(Upstream u, ProbeResult result) {
        u.checked(result.passed(), result.toString(), epochMillis.getAsLong());
        if (!result.passed() || poolOf.get(u).config().healthCheck().type() != HealthCheckConfig.Type.HTTP) {
            return;
        }
        NodeRequest asked = NodeRequest.of(result.headers(), u);
        boolean drain = asked.drain();
        int weight = asked.weightPercent();
        boolean wasDrained = u.nodeDrain();
        int wasWeight = u.nodeWeightPercent();
        if (!u.setNodeState(drain, weight)) {
            return;
        }
        PoolRuntime pool = poolOf.get(u);
        if (drain != wasDrained) {
            availabilityChanged(pool, u);
        }
        LOG.info(() -> pool.name() + "/" + u.name() + ": the node asks for " + (drain ? "drain" : "ready")
                + (weight == 100 ? "" : " at " + weight + "% weight") + " (was " + (wasDrained ? "drain" : "ready")
                + (wasWeight == 100 ? "" : " at " + wasWeight + "%") + ")");
    }

    /**
     * Sets {@code u}'s admin state (HAProxy's {@code set server state}), waiting until it is in
     * force: when this returns, no new request picks {@code u} unless the state is READY.
     * DRAIN and MAINT close its idle pooled connections (requests in flight finish); MAINT stops
     * its checks, and leaving MAINT restarts them with the upstream down until the first passes
     * (it may have been restarted meanwhile); READY starts a slow start.
     */
    void setAdminState(PoolRuntime pool, Upstream u, AdminState to) {
        runAndWait(() -> {
            AdminState from = u.setAdminState(to);
            if (from == to) {
                return;
            }
            HealthCheckConfig hc = pool.config().healthCheck();
            if (hc.type() != HealthCheckConfig.Type.NONE) {
                if (to == AdminState.MAINT) {
                    checker.remove(u);
                } else if (from == AdminState.MAINT) {
                    u.setHealthy(false);
                    try {
                        checker.add(u, probes.probe(pool, u), hc.policy().withInitialState(InitialState.DOWN));
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException("cannot restart the checks of " + u.name(), e);
                    }
                }
            }
            LOG.info(() -> pool.name() + "/" + u.name() + ": admin state " + from.apiName() + " -> " + to.apiName()
                    + (to == AdminState.READY && !u.available() ? " (back when its check passes)" : ""));
            rotationChanged(pool, u);
        });
    }

    /** Sets {@code u}'s weight ({@code -1}: the configured one), waiting until it is in force. 0 drains. */
    void setWeight(PoolRuntime pool, Upstream u, int weight) {
        runAndWait(() -> {
            boolean wasOut = u.adminOut();
            int was = u.weight();
            u.setRuntimeWeight(weight);
            if (was == u.weight()) {
                return;
            }
            LOG.info(() -> pool.name() + "/" + u.name() + ": weight " + was + " -> " + u.weight());
            if (u.adminOut() == wasOut) {
                pool.rebuild(); // a hash ring is laid out by weight; the others read it at each pick
                return;
            }
            rotationChanged(pool, u);
        });
    }

    /**
     * The operator took {@code u} out of rotation or put it back: back and up, it ramps up through
     * slow start (one coming back DOWN does when its check passes); out, its idle connections close.
     */
    private void rotationChanged(PoolRuntime pool, Upstream u) {
        if (u.available()) {
            u.startSlowStart(pool.config().slowStart());
        }
        availabilityChanged(pool, u);
        if (u.adminOut()) {
            connectionPools.get(u).closeAll();
        }
    }

    /** A reload added {@code pool}: its outlier detector starts, and its checks (the loop's thread). */
    void addPool(PoolRuntime pool) {
        pool.outliers().start(this::schedule, u -> returned(pool, u));
        for (Upstream u : pool.upstreams()) {
            startChecks(pool, u, pool.config().healthCheck().policy());
        }
    }

    /**
     * A reload removed {@code pool} (the loop's thread, its upstreams already marked removed): its
     * checks stop, requests in flight finish, and those waiting in its queue, which no upstream
     * would take any more, are answered now rather than at the queue timeout.
     *
     * @return how many waiting requests were answered
     */
    int removePool(PoolRuntime pool) {
        for (Upstream u : pool.upstreams()) {
            checker.remove(u);
            poolOf.remove(u);
            u.signalUp(); // removed: out of rotation, so a wait for it to come up ends
        }
        return queues.get(pool).rejectAll();
    }

    /**
     * A reload changed {@code pool} in place (the loop's thread): removed upstreams lose their
     * checks, added ones get them as at start, and if the check itself changed, the kept ones are
     * checked the new way from the health they have (so a reload neither floods nor loses a
     * DOWN upstream). New TLS settings ({@code tlsChanged}) restart the checks the same way, with them.
     */
    void reconfigured(PoolRuntime pool, HealthCheckConfig before, boolean tlsChanged, PoolRuntime.Change change) {
        for (Upstream u : change.removed()) {
            checker.remove(u);
            poolOf.remove(u);
        }
        HealthCheckConfig hc = pool.config().healthCheck();
        if (!hc.equals(before) || (tlsChanged && hc.type() != HealthCheckConfig.Type.NONE)) {
            for (Upstream u : change.kept()) {
                checker.remove(u);
                if (hc.type() != HealthCheckConfig.Type.HTTP) {
                    u.setNodeState(false, 100); // only an HTTP check's answer could have drained or reweighted it, or undo that
                }
                if (hc.type() == HealthCheckConfig.Type.NONE) {
                    u.setHealthy(true); // no check: up, as at start
                } else {
                    startChecks(pool, u, hc.policy().withInitialState(u.healthy() ? InitialState.FULLY_UP : InitialState.FULLY_DOWN));
                }
            }
        }
        for (Upstream u : change.added()) {
            startChecks(pool, u, hc.policy());
        }
        pool.refresh();
        answerQueueIfEmpty(pool);
        for (Upstream u : pool.selection().members()) {
            offerSlots(pool, u);
        }
        for (List<Upstream> us : List.of(change.removed(), change.kept(), change.added())) {
            us.forEach(Upstream::signalUp);
        }
    }

    /**
     * The loop's thread, before requests can pick {@code u}, which a discovery source just found
     * (the pool gave it what the source says of it): unless it is in the source's first set (which
     * joins as a file's upstreams do at start) it gets no request before its first passed check
     * (the UP transition then starts its slow start), or with no check it ramps up at once.
     */
    void joining(PoolRuntime pool, Upstream u, boolean initial) {
        if (initial) {
            return;
        }
        if (pool.config().healthCheck().type() != HealthCheckConfig.Type.NONE && u.adminState() != AdminState.MAINT) {
            u.setHealthy(false); // as when leaving MAINT: down until the first check passes
        } else {
            u.startSlowStart(pool.config().slowStart());
        }
    }

    /**
     * A discovery source changed {@code pool} (the loop's thread): removed upstreams lose their
     * checks, added ones get them (down until the first passes when {@link #joining} set them down),
     * kept ones whose readiness the source changed ({@link PoolRuntime.Change#moved}, set by the
     * pool already): one that drains or is out closes its idle connections as an admin drain does
     * (requests in flight finish), one back ramps up. Then as after a reload: a pool left with
     * nothing answers its queue, and new members offer their slots.
     */
    void discovered(PoolRuntime pool, PoolRuntime.Change change, List<String> changes) {
        for (Upstream u : change.removed()) {
            checker.remove(u);
            poolOf.remove(u);
        }
        HealthCheckConfig hc = pool.config().healthCheck();
        for (Upstream u : change.added()) {
            startChecks(pool, u, u.healthy() ? hc.policy() : hc.policy().withInitialState(InitialState.DOWN));
        }
        java.util.List<Upstream> out = new java.util.ArrayList<>();
        boolean moved = !change.added().isEmpty() || !change.removed().isEmpty() || !change.moved().isEmpty();
        for (Map.Entry<Upstream, io.kodiak.discovery.Readiness> e : change.moved().entrySet()) {
            Upstream u = e.getKey();
            changes.add("pool " + pool.name() + ": upstream " + u.name() + " " + e.getValue().name().toLowerCase(java.util.Locale.ROOT)
                    + " -> " + u.discovery().name().toLowerCase(java.util.Locale.ROOT) + " (" + u.source() + ")");
            if (u.adminOut()) {
                out.add(u);
            } else if (u.available()) {
                u.startSlowStart(pool.config().slowStart());
            }
        }
        pool.refresh();
        for (Upstream u : out) {
            ConnectionPool cp = connectionPools.get(u);
            if (cp != null) {
                cp.closeAll();
            }
        }
        if (moved) { // a stale flag alone changes nothing here (and logs nothing again)
            answerQueueIfEmpty(pool);
        }
        for (Upstream u : pool.selection().members()) {
            offerSlots(pool, u);
        }
        for (List<Upstream> us : List.of(change.removed(), change.kept(), change.added())) {
            us.forEach(Upstream::signalUp);
        }
    }

    private void startChecks(PoolRuntime pool, Upstream u, io.kodiak.health.HealthCheckPolicy policy) {
        HealthCheckConfig hc = pool.config().healthCheck();
        poolOf.put(u, pool);
        if (hc.type() == HealthCheckConfig.Type.NONE || u.adminState() == AdminState.MAINT) {
            return;
        }
        try {
            checker.add(u, probes.probe(pool, u), policy);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot start the checks of " + pool.name() + "/" + u.name(), e);
        }
    }

    /**
     * Runs {@code task} on the loop's thread and waits for it; its exception is the caller's. If the
     * loop does not finish it within {@link #waitLimit}, the caller gets an exception and a task
     * that has not started is cancelled, so that it cannot apply later over a newer change (one
     * already running finishes).
     */
    void runAndWait(Runnable task) {
        java.util.concurrent.Future<?> f;
        try {
            f = scheduler.submit(task);
        } catch (RejectedExecutionException e) {
            throw new IllegalStateException("shutting down");
        }
        try {
            f.get(waitLimitNanos, TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException(e.getCause());
        } catch (TimeoutException e) {
            boolean cancelled = f.cancel(false);
            throw new IllegalStateException("the control loop did not run the change within "
                    + TimeUnit.NANOSECONDS.toMillis(waitLimitNanos) + " ms" + (cancelled ? "" : " (it is running, and finishes)"));
        } catch (InterruptedException e) {
            f.cancel(false);
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted");
        }
    }

    /** How long {@link #runAndWait} waits (10 s; tests shorten it). */
    void waitLimit(java.time.Duration limit) {
        waitLimitNanos = limit.toNanos();
    }

    /**
     * One of {@code u}'s flags changed: rebuild the selection; if the pool has nothing left, answer
     * its queue; if {@code u} is back, offer its free slots to the queue.
     */
    private void availabilityChanged(PoolRuntime pool, Upstream u) {
        pool.refresh();
        answerQueueIfEmpty(pool);
        if (u.available()) {
            offerSlots(pool, u);
        }
        u.signalUp();
    }

    /** An ejection of {@code u} ended and the outlier detector rebuilt the selection. */
    private void returned(PoolRuntime pool, Upstream u) {
        offerSlots(pool, u);
        u.signalUp();
    }

    /**
     * With no upstream left in the selection, requests waiting in the pool's queue would only wait
     * out its timeout: they get the error page (or 503) now, as new requests do.
     */
    private void answerQueueIfEmpty(PoolRuntime pool) {
        if (!pool.selection().members().isEmpty()) {
            return;
        }
        int waiting = queues.get(pool).rejectAll();
        LOG.warning(() -> "pool " + pool.name() + ": no upstream is up; requests get "
                + (pool.config().errorPage() == null ? "503" : "the error page") + " at once"
                + (waiting == 0 ? "" : ", and so did the " + waiting + " waiting in its queue"));
    }

    /** {@code u} is back in {@code pool}'s selection: requests waiting in the queue may take its free slots. */
    private void offerSlots(PoolRuntime pool, Upstream u) {
        WaitQueue queue = queues.get(pool);
        for (int i = 0, n = queue.length(); i < n; i++) {
            queue.handOff(u); // each takes one free slot for the head of the queue, if there is one
        }
    }

    /** Any thread: the end of an ejection. After {@link #close()} nothing runs any more, and nothing needs to. */
    private void schedule(Runnable task, long delayNanos) {
        try {
            scheduler.schedule(task, delayNanos, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            LOG.fine(() -> "shutting down: an ejection's end was not scheduled");
        }
    }

    @Override
    public void close() {
        checker.close();
        probes.close();
        scheduler.shutdownNow();
        try {
            scheduler.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "ControlLoop[" + checker + "]";
    }
}
