package io.kodiak.discovery.dns;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.Delayed;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * A single-threaded {@link ScheduledExecutorService} on virtual time, doubling as the nanosecond
 * clock: tasks run only inside {@link #advance(Duration)}, on the test thread, in time order (FIFO
 * among equal times), with the clock set to each task's due time. Like gRPC's {@code FakeClock}.
 * Not thread-safe: drive it from the test thread only. (A copy of lb-health's test FakeScheduler, which
 * lb-core's tests cannot reach: lb-health publishes no test jar.)
 */
final class FakeScheduler extends AbstractExecutorService implements ScheduledExecutorService, LongSupplier {

    private final PriorityQueue<Task<?>> queue = new PriorityQueue<>();
    private long now;
    private long sequence;
    private boolean shutdown;

    /** @return the virtual time in nanoseconds */
    @Override
    public long getAsLong() {
        return now;
    }

    /** Runs every task due up to {@code now + duration}, including tasks those tasks schedule in that span. */
    void advance(Duration duration) {
        long until = now + duration.toNanos();
        // Bounded: a task rescheduling itself with zero delay forever is a bug in the code under test.
        for (int i = 0; i < 1_000_000; i++) {
            Task<?> next = queue.peek();
            if (next == null || next.dueNanos > until) {
                now = until;
                return;
            }
            queue.poll();
            now = Math.max(now, next.dueNanos);
            if (!next.isCancelled()) {
                next.run();
            }
        }
        throw new AssertionError("more than 1 000 000 tasks in one advance(); runaway rescheduling?");
    }

    /** Runs what is due now, without moving the clock. */
    void runDue() {
        advance(Duration.ZERO);
    }

    /** @return delays (from now) of the tasks not cancelled, in due order */
    List<Duration> pendingDelays() {
        List<Task<?>> tasks = new ArrayList<>(queue);
        tasks.sort(null);
        List<Duration> delays = new ArrayList<>();
        for (Task<?> t : tasks) {
            if (!t.isCancelled()) {
                delays.add(Duration.ofNanos(t.dueNanos - now));
            }
        }
        return delays;
    }

    @Override
    public void execute(Runnable command) {
        schedule(command, 0, TimeUnit.NANOSECONDS);
    }

    @Override
    public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
        return schedule(() -> {
            command.run();
            return null;
        }, delay, unit);
    }

    @Override
    public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
        if (shutdown) {
            throw new java.util.concurrent.RejectedExecutionException("shut down");
        }
        Task<V> task = new Task<>(callable, now + Math.max(0, unit.toNanos(delay)), sequence++);
        queue.add(task);
        return task;
    }

    @Override
    public ScheduledFuture<?> scheduleAtFixedRate(Runnable command, long initialDelay, long period, TimeUnit unit) {
        throw new UnsupportedOperationException("not needed by the code under test");
    }

    @Override
    public ScheduledFuture<?> scheduleWithFixedDelay(Runnable command, long initialDelay, long delay, TimeUnit unit) {
        throw new UnsupportedOperationException("not needed by the code under test");
    }

    @Override
    public void shutdown() {
        shutdown = true;
    }

    @Override
    public List<Runnable> shutdownNow() {
        shutdown = true;
        queue.clear();
        return List.of();
    }

    @Override
    public boolean isShutdown() {
        return shutdown;
    }

    @Override
    public boolean isTerminated() {
        return shutdown && queue.isEmpty();
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) {
        return isTerminated();
    }

    private final class Task<V> extends java.util.concurrent.FutureTask<V> implements ScheduledFuture<V> {
        final long dueNanos;
        final long seq;

        Task(Callable<V> callable, long dueNanos, long seq) {
            super(callable);
            this.dueNanos = dueNanos;
            this.seq = seq;
        }

        @Override
        public void run() {
            super.run();
            try {
                get(); // surface exceptions thrown by the task instead of hiding them in the future
            } catch (java.util.concurrent.CancellationException e) {
                // cancelled while running: nothing to surface
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (java.util.concurrent.ExecutionException e) {
                throw new AssertionError("scheduled task failed", e.getCause());
            }
        }

        @Override
        public long getDelay(TimeUnit unit) {
            return unit.convert(dueNanos - now, TimeUnit.NANOSECONDS);
        }

        @Override
        public int compareTo(Delayed other) {
            Task<?> o = (Task<?>) other;
            int byTime = Long.compare(dueNanos, o.dueNanos);
            return byTime != 0 ? byTime : Long.compare(seq, o.seq);
        }
    }
}
