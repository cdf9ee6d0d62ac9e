package io.kodiak.health;

import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.random.RandomGenerator;

/**
 * Checks targets periodically and reports each change of their {@link Health} once.
 *
 * <p>Each target has a {@link Probe}, a {@link HealthCheckPolicy} and a {@link HealthStateMachine}.
 * A target is checked by one probe at a time: the next check is scheduled when the previous one has
 * reported, after {@link HealthStateMachine#nextInterval()} (interval, fast interval or down interval,
 * with jitter), so a slow target is never probed concurrently with itself. The first check runs after
 * {@link HealthStateMachine#initialDelay()}. A transition is logged (DOWN at WARNING, UP at INFO) and
 * then passed to the {@link HealthListener}.
 *
 * <p>A probe that breaks its contract and never reports is caught by a watchdog: after the policy's
 * timeout plus {@value #WATCHDOG_GRACE_MILLIS} ms the check counts as {@link ProbeStatus#TIMEOUT}, so
 * one faulty probe cannot freeze a target's health. A second report of the same check is ignored.
 *
 * <p><b>Threading.</b> {@link #add}, {@link #remove}, {@link #health}, {@link #state} and
 * {@link #close} may be called from any thread. Everything else (state machines, the random
 * generator, logging, the listener) runs on the injected scheduler, one task per target at a time; a
 * single-threaded scheduler is enough, and with one the random generator need not be thread-safe.
 * The checker does not own the scheduler: {@link #close()} cancels its checks and leaves the scheduler
 * running. Probe results may arrive on any thread; they are handed to the scheduler.
 *
 * @param <T> the caller's target type, used as a map key (so it needs sound {@code equals} and
 *            {@code hashCode}) and in log lines
 */
public final class HealthChecker<T> implements AutoCloseable {

    static final long WATCHDOG_GRACE_MILLIS = 1_000;

    private static final Logger LOG = Logger.getLogger(HealthChecker.class.getName());

    private final ScheduledExecutorService scheduler;
    private final LongSupplier nanoClock;
    private final RandomGenerator random;
    private final HealthListener<? super T> listener;
    private final ConcurrentMap<T, TargetCheck> targets = new ConcurrentHashMap<>();
    private final Object lifecycleLock = new Object();
    private volatile boolean closed;

    /**
     * @param scheduler runs the checks and the listener; not shut down by {@link #close()}
     * @param nanoClock a monotonic nanosecond clock, such as {@code System::nanoTime}
     * @param random    draws the jitter; used only on {@code scheduler} threads
     * @param listener  told about every health transition
     */
    public HealthChecker(ScheduledExecutorService scheduler, LongSupplier nanoClock, RandomGenerator random,
                         HealthListener<? super T> listener) {
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
        this.random = Objects.requireNonNull(random, "random");
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    /**
     * Starts checking {@code target}. Its health starts as the policy's {@link InitialState} says;
     * no transition is reported for that.
     *
     * @throws IllegalArgumentException   if {@code target} is already checked
     * @throws IllegalStateException      after {@link #close()}
     * @throws RejectedExecutionException if the scheduler no longer accepts tasks
     */
    public void add(T target, Probe probe, HealthCheckPolicy policy) {
        TargetCheck check = new TargetCheck(Objects.requireNonNull(target, "target"), Objects.requireNonNull(probe, "probe"),
                new HealthStateMachine(policy, nanoClock, random));
        synchronized (lifecycleLock) {
            if (closed) {
                throw new IllegalStateException("health checker is closed");
            }
            if (targets.putIfAbsent(target, check) != null) {
                throw new IllegalArgumentException("already checked: " + target);
            }
        }
        try {
            // The first delay draws from the random generator, which belongs to the scheduler threads.
            scheduler.execute(check::start);
        } catch (RejectedExecutionException e) {
            targets.remove(target, check);
            throw e;
        }
    }

    /**
     * Stops checking {@code target}. A check in flight finishes, but its result is dropped.
     *
     * @return whether it was checked
     */
    public boolean remove(T target) {
        TargetCheck check = targets.remove(target);
        if (check == null) {
            return false;
        }
        check.cancel();
        return true;
    }

    /** @return the target's health, or {@code null} if it is not checked */
    public Health health(T target) {
        CheckState state = state(target);
        return state == null ? null : state.health();
    }

    /** @return the target's state between thresholds, or {@code null} if it is not checked */
    public CheckState state(T target) {
        TargetCheck check = targets.get(target);
        return check == null ? null : check.state;
    }

    /** @return the targets being checked, a copy */
    public Set<T> targets() {
        return Set.copyOf(targets.keySet());
    }

    /**
     * Stops all checks. The scheduler is left running; the listener hears nothing more. A check
     * that is starting meanwhile ends quietly, even if its probe refuses to start because the
     * caller closed the probe's resources right after this returned.
     */
    @Override
    public void close() {
        synchronized (lifecycleLock) {
            closed = true;
        }
        for (T target : targets.keySet()) {
            remove(target);
        }
    }

    @Override
    public String toString() {
        long down = targets.values().stream().filter(c -> c.state.health() == Health.DOWN).count();
        return "HealthChecker{targets=" + targets.size() + ", down=" + down + (closed ? ", closed" : "") + '}';
    }

    /** One target's checks: a chain of scheduler tasks, each check scheduled when the previous one reported. */
    private final class TargetCheck {
        private final T target;
        private final Probe probe;
        private final HealthStateMachine machine;
        private volatile CheckState state;
        private volatile boolean cancelled;
        private volatile ScheduledFuture<?> pendingTask;

        TargetCheck(T target, Probe probe, HealthStateMachine machine) {
            this.target = target;
            this.probe = probe;
            this.machine = machine;
            this.state = machine.state();
        }

        void start() {
            scheduleCheck(machine.initialDelay());
        }

        void cancel() {
            cancelled = true;
            ScheduledFuture<?> task = pendingTask;
            if (task != null) {
                task.cancel(false);
            }
        }

        private void scheduleCheck(Duration delay) {
            ScheduledFuture<?> task = schedule(this::check, delay.toNanos());
            if (task != null) {
                pendingTask = task;
            }
        }

        private void check() {
            if (cancelled) {
                return;
            }
            Duration timeout = machine.policy().timeout();
            long startNanos = nanoClock.getAsLong();
            AtomicBoolean reported = new AtomicBoolean();
            ScheduledFuture<?> watchdog = schedule(() -> report(reported, null, new ProbeResult(ProbeStatus.TIMEOUT,
                    probe + " did not report within its " + timeout.toMillis() + " ms timeout",
                    nanoClock.getAsLong() - startNanos)), timeout.toNanos() + TimeUnit.MILLISECONDS.toNanos(WATCHDOG_GRACE_MILLIS));
            if (watchdog != null) {
                pendingTask = watchdog;
            }
            try {
                probe.start(timeout, result -> report(reported, watchdog, result));
            } catch (RuntimeException e) {
                if (cancelled) {
                    // close() or remove() ran while this check was starting: its owner may already have
                    // closed the probe's loop, client or timer, which is why it threw. Nobody waits for
                    // this result, and a warning with a stack trace would only alarm (at shutdown, or
                    // when a start fails after the checks began).
                    LOG.log(Level.FINE, () -> "Probe " + probe + " of " + target + " did not start: checks stopped (" + e + ")");
                    if (watchdog != null) {
                        watchdog.cancel(false);
                    }
                    return;
                }
                LOG.log(Level.WARNING, "Probe " + probe + " of " + target + " failed to start", e);
                report(reported, watchdog, new ProbeResult(ProbeStatus.ERROR, probe + " failed to start: " + e,
                        nanoClock.getAsLong() - startNanos));
            }
        }

        /** Any thread: the first report of a check wins, and is handed to the scheduler. */
        private void report(AtomicBoolean reported, ScheduledFuture<?> watchdog, ProbeResult result) {
            if (!reported.compareAndSet(false, true)) {
                LOG.log(Level.WARNING, "Probe {0} of {1} reported more than once; ignored: {2}",
                        new Object[] {probe, target, result});
                return;
            }
            if (watchdog != null) {
                watchdog.cancel(false);
            }
            if (cancelled) {
                return;
            }
            try {
                scheduler.execute(() -> complete(result));
            } catch (RejectedExecutionException e) {
                stopped(e);
            }
        }

        private void complete(ProbeResult result) {
            if (cancelled) {
                return;
            }
            HealthStateMachine.Step step = result.passed() ? machine.onSuccess() : machine.onFailure(result.toString());
            state = step.to();
            if (step.changed()) {
                announce(step, result);
            }
            try {
                listener.onCheck(target, result);
            } catch (RuntimeException e) {
                LOG.log(Level.SEVERE, "Health listener failed on a check of " + target, e);
            }
            scheduleCheck(machine.nextInterval());
        }

        private void announce(HealthStateMachine.Step step, ProbeResult result) {
            Health from = step.from().health();
            Health to = step.to().health();
            LOG.log(to == Health.DOWN ? Level.WARNING : Level.INFO, "{0} is {1} (was {2}), checked by {3}: {4}",
                    new Object[] {target, to, from, probe, result});
            try {
                listener.onTransition(target, from, to, result);
            } catch (RuntimeException e) {
                LOG.log(Level.SEVERE, "Health listener failed on " + target + " going " + to, e);
            }
        }

        /** @return the scheduled task, or {@code null} if the scheduler rejected it (then checks stop, logged) */
        private ScheduledFuture<?> schedule(Runnable task, long delayNanos) {
            if (cancelled) {
                return null;
            }
            try {
                return scheduler.schedule(task, delayNanos, TimeUnit.NANOSECONDS);
            } catch (RejectedExecutionException e) {
                stopped(e);
                return null;
            }
        }

        private void stopped(RejectedExecutionException e) {
            if (!cancelled) {
                LOG.log(Level.SEVERE, "Checks of " + target + " stopped: the scheduler rejected a task", e);
            }
        }

        @Override
        public String toString() {
            return target + " " + state; // not the machine: it belongs to the scheduler threads
        }
    }
}
