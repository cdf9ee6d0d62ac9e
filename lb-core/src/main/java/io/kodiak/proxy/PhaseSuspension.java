package io.kodiak.proxy;

import io.kodiak.filter.RequestFilter;
import io.kodiak.filter.Suspension;

import java.util.Objects;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One suspension of a request phase ({@link Suspension}): keeps the step the filter resumes with,
 * first come first served, and wakes the exchange on its own thread to run it. A timed resume is
 * a task on the feature timer, cancelled (and so removed from the timer's queue) when the exchange
 * ends first, so a held request that is gone costs nothing.
 *
 * <p>Threading: {@link #resume} and {@link #resumeAfter} from any thread; {@link #step()} and
 * {@link #cancel()} with the session's lock held.
 */
final class PhaseSuspension implements Suspension {
    private final AtomicReference<RequestFilter> step = new AtomicReference<>();
    private final Runnable wake;
    private final ScheduledExecutorService timer;
    private volatile boolean gone;
    private volatile ScheduledFuture<?> timed;

    /**
     * @param wake  runs the exchange's next step on its own thread (posted, never inline)
     * @param timer where timed resumes wait
     */
    PhaseSuspension(Runnable wake, ScheduledExecutorService timer) {
        this.wake = wake;
        this.timer = timer;
    }

    @Override
    public void resume(RequestFilter next) {
        Objects.requireNonNull(next, "step");
        if (!gone && step.compareAndSet(null, next)) {
            wake.run();
        }
    }

    @Override
    public void resumeAfter(long delayNanos, RequestFilter next) {
        Objects.requireNonNull(next, "step");
        if (gone) {
            return;
        }
        if (delayNanos <= 0) {
            resume(next);
            return;
        }
        try {
            timed = timer.schedule(() -> resume(next), delayNanos, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            // The server is stopping: its sessions are closed next, and this request with them.
        }
        if (gone) { // ended while scheduling: take the task back out of the timer's queue
            cancel();
        }
    }

    @Override
    public boolean cancelled() {
        return gone;
    }

    /** The step the filter resumed with, or null while it has not. */
    RequestFilter step() {
        return step.get();
    }

    /** The exchange ended: later resumes do nothing, and a timed one leaves the timer. */
    void cancel() {
        gone = true;
        ScheduledFuture<?> t = timed;
        if (t != null) {
            t.cancel(false);
        }
    }
}
