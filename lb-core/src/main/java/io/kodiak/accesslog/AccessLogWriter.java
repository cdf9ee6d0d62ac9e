package io.kodiak.accesslog;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Takes finished entries from the data path, formats them and writes the lines to a target from a
 * thread of its own, so that the data path never waits for a disk or a syslog socket.
 *
 * <p>Threading contract:
 * <ul>
 *   <li>{@link #offer} is called by the data path (any Grizzly worker thread) and never blocks: it
 *       formats the entry into bytes and puts them into a bounded queue, or, when the queue is full,
 *       drops them and counts them in {@link #dropped()} ({@code kodiak_access_log_dropped_total}).
 *       Losing log lines under a stalled disk beats stalling requests. Formatting happens here, on
 *       the thread that just finished the exchange and has the entry's strings in its cache, as
 *       nginx and HAProxy do: measured per thread under wrk with a JSON log, formatting on the
 *       writer thread cost it 2.0-3.6 us a line, while here it adds 1-2 us to the data path and
 *       leaves the writer 0.9 us (the write itself).
 *   <li>One daemon thread, {@code kodiak-access-log}, takes lines in batches and writes them; the
 *       target is flushed once per batch. Only this thread touches the target. It is not woken
 *       per entry: it sleeps up to {@link #IDLE_NANOS} between batches and is woken early only
 *       when a quarter of the queue's lines (or of {@link #MAX_QUEUED_BYTES}) have arrived.
 *       Waking a thread per request costs a context switch per request, on the very core that
 *       serves them (the proxy ran at two thirds of its rate with a log on before this); early
 *       wakes every 256 lines still cost the data path a tenth of the log's time in
 *       {@code unpark} (profiled under wrk), so below about 80,000 lines a second the writer now
 *       wakes only on its timer. Lines reach the target within about 50 ms, as with nginx's
 *       {@code access_log ... flush=}.
 *   <li>{@link #reopen} may be called from any thread (a signal handler, the admin API); the writer
 *       thread performs it between two batches and completes the returned future then.
 *   <li>{@link #close} may be called from any thread: later offers are dropped, what is queued is
 *       written within the given bound, then the target is closed. {@link #beginClose} starts the
 *       same without waiting, so that several writers can drain at once within one bound.
 * </ul>
 * A failing target (disk full, receiver down) loses the lines it fails on; they are counted in
 * {@link #failed()} and the first failure of a run of them is logged, so a broken target neither
 * floods the log nor goes unnoticed.
 */
public final class AccessLogWriter implements AutoCloseable {
    /** As much as nginx's {@code access_log ... buffer=} is usually told to batch, give or take. */
    public static final int DEFAULT_CAPACITY = 16_384;
    /**
     * Bytes of lines that may wait, whatever their count: lines carry client-sent text (targets,
     * User-Agents) up to the head's size limit, so a count alone would let a stalled disk and big
     * heads hold up to a gigabyte. 16 MiB is over 25,000 typical JSON lines.
     */
    public static final long MAX_QUEUED_BYTES = 16L * 1024 * 1024;
    private static final int BATCH = 512;
    /** The longest the writer sleeps with lines possibly waiting. */
    static final long IDLE_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    private static final Logger LOG = Logger.getLogger(AccessLogWriter.class.getName());

    private final AccessLogFormat format;
    private final AccessLogTarget target;
    /** Each thread's line to format into, reused: a line then costs one exact-size copy. */
    private static final ThreadLocal<LogLine> LINE = ThreadLocal.withInitial(LogLine::new);

    /**
     * Lines waiting, bounded by {@link #capacity} and {@link #MAX_QUEUED_BYTES} through the two
     * counters below. Lock-free: with a lock (an {@code ArrayBlockingQueue}) the data path waited
     * whenever the writer, holding it to drain a batch, was descheduled on the same core.
     */
    private final ConcurrentLinkedQueue<byte[]> queue = new ConcurrentLinkedQueue<>();
    private final int capacity;
    /** Lines in {@link #queue}, counted before an offer enters it and taken off as the writer takes them. */
    private final AtomicInteger queuedLines = new AtomicInteger();
    /** Bytes in {@link #queue} and in the writer's batch, counted off once written. */
    private final AtomicLong queuedBytes = new AtomicLong();
    private final LongAdder dropped = new LongAdder();
    private final LongAdder written = new LongAdder();
    private final LongAdder failed = new LongAdder();
    /**
     * The future of the reopen asked for and not begun yet; every {@link #reopen} call until the
     * writer takes it shares it, since one reopen after all of them satisfies them all.
     */
    private final AtomicReference<CompletableFuture<Void>> pendingReopen = new AtomicReference<>();
    private volatile boolean closing;
    private final AtomicBoolean formatFailureLogged = new AtomicBoolean();
    /** Whether the writer is parked with nothing to do (offers then count toward waking it). */
    private volatile boolean sleeping;
    private final AtomicInteger sinceWake = new AtomicInteger();
    /** Offers between early wake-ups of a sleeping writer: a quarter of the queue, so a burst cannot fill it first. */
    private final int wakeEvery;
    private final Thread thread;

    /**
     * Starts the writer thread; {@code capacity} lines, of at most {@link #MAX_QUEUED_BYTES} in all,
     * may wait in the queue.
     */
    public AccessLogWriter(AccessLogFormat format, AccessLogTarget target, int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("access log queue capacity must be at least 1, not " + capacity);
        }
        this.format = format;
        this.target = target;
        this.capacity = capacity;
        this.wakeEvery = Math.max(1, capacity / 4);
        this.thread = new Thread(this::run, "kodiak-access-log");
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Formats {@code e} and queues the line for writing; never blocks. False, and counted in
     * {@link #dropped()}, when the queue is full or the writer is closing; false and counted in
     * {@link #failed()} if the format failed (a bug, logged once, never the exchange's problem).
     */
    public boolean offer(AccessLogEntry e) {
        if (closing) {
            dropped.increment();
            return false;
        }
        byte[] line;
        try {
            LogLine l = LINE.get();
            l.reset();
            format.format(e, l);
            line = Arrays.copyOf(l.array(), l.length());
        } catch (RuntimeException x) {
            failed.increment();
            if (formatFailureLogged.compareAndSet(false, true)) {
                LOG.log(Level.WARNING, "access log " + target + ": formatting failed; counting lost lines", x);
            }
            return false;
        }
        int lines = queuedLines.incrementAndGet();
        long queued = queuedBytes.addAndGet(line.length);
        boolean full = lines > capacity || queued > MAX_QUEUED_BYTES;
        if (!full) {
            queue.add(line);
        }
        if (full || closing && queue.remove(line)) {
            // Full, in bytes or in lines; or closing began meanwhile and the writer, which stops
            // once closing finds the queue empty, may have stopped before this line came: taken
            // back, it is counted as dropped rather than lost without a count. (Taken by the
            // writer already: written.)
            queuedLines.decrementAndGet();
            queuedBytes.addAndGet(-line.length);
            dropped.increment();
            return false;
        }
        // Early, when a burst of lines (or a few huge ones) would otherwise fill the queue first.
        if (sleeping && (sinceWake.incrementAndGet() >= wakeEvery || queued > MAX_QUEUED_BYTES / 4)) {
            sinceWake.set(0);
            LockSupport.unpark(thread);
        }
        return true;
    }

    /**
     * Asks the writer thread to reopen the target (after logrotate renamed the file); returns at
     * once. The future completes when the target has been reopened, exceptionally with the
     * IOException if that failed; it never completes if the writer is stuck (callers bound their
     * wait), and completes at once without a reopen once the writer has stopped.
     */
    public CompletableFuture<Void> reopen() {
        CompletableFuture<Void> f = pendingReopen.updateAndGet(p -> p != null ? p : new CompletableFuture<>());
        LockSupport.unpark(thread);
        if (!thread.isAlive()) {
            finishReopen(); // stopped: there is nothing left to reopen, and no one to do it
        }
        return f;
    }

    /** Entries dropped because the queue was full (or the writer closing). */
    public long dropped() {
        return dropped.sum();
    }

    /** Lines written out: taken by the target, and flushed (or closed) successfully after. */
    public long written() {
        return written.sum();
    }

    /** Lines lost because formatting or the target failed. */
    public long failed() {
        return failed.sum();
    }

    /** Closes with up to 5 seconds to write what is queued. */
    @Override
    public void close() {
        close(Duration.ofSeconds(5));
    }

    /**
     * Drops later offers, lets the writer write what is queued for up to {@code drain}, then stops
     * it and closes the target. If the target is stuck past the bound, the writer thread is
     * interrupted and left (it is a daemon) and the rest of the queue is lost.
     */
    public void close(Duration drain) {
        beginClose();
        try {
            thread.join(Math.max(1, drain.toMillis())); // join(0) would wait for ever
            if (thread.isAlive()) {
                LOG.warning(() -> "access log " + target + ": " + queuedLines.get()
                        + " lines not written within " + drain + " of closing; giving up on them");
                thread.interrupt();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Starts closing and returns at once: later offers are dropped, and the writer writes what is
     * queued, closes the target and stops. {@link #close(Duration)} then waits for it within its bound.
     */
    public void beginClose() {
        closing = true;
        LockSupport.unpark(thread);
    }

    private void run() {
        List<byte[]> batch = new ArrayList<>(BATCH);
        boolean failing = false;
        // Lines the target took since its last good flush. Targets buffer, and keep what a failed
        // flush did not write for the next one, so a line counts as written once a flush after
        // it succeeded, and as failed if the target is closed without one.
        long unflushed = 0;
        try {
            while (!(closing && queue.isEmpty())) {
                CompletableFuture<Void> reopen = pendingReopen.getAndSet(null);
                if (reopen != null) {
                    failing = reopenTarget(failing, reopen);
                }
                for (byte[] line; batch.size() < BATCH && (line = queue.poll()) != null; ) {
                    batch.add(line);
                }
                queuedLines.addAndGet(-batch.size()); // taken: room for as many (their bytes stay counted until written)
                if (batch.isEmpty()) {
                    sleep();
                    continue;
                }
                long bytes = 0;
                boolean batchFailed = false;
                for (byte[] line : batch) {
                    bytes += line.length;
                    try {
                        target.write(line, 0, line.length);
                        unflushed++;
                    } catch (IOException | RuntimeException x) {
                        // A RuntimeException from a target is a bug, but it must not kill the writer thread.
                        failed.increment();
                        batchFailed = true;
                        failing = failure(failing, "write", x);
                    }
                }
                queuedBytes.addAndGet(-bytes);
                batch.clear();
                try {
                    target.flush();
                    written.add(unflushed);
                    unflushed = 0;
                    if (failing && !batchFailed) {
                        LOG.info(() -> "access log " + target + ": writing again");
                        failing = false;
                    }
                } catch (IOException | RuntimeException e) {
                    failing = failure(failing, "flush", e);
                }
                if (Thread.currentThread().isInterrupted()) {
                    break; // close() gave up on a stuck target: the rest is lost; still close it below
                }
            }
            // An interrupt while idle is not a stuck target: with nothing to wait for (closing),
            // the writer drains what is queued without parking and stops.
        } finally {
            try {
                target.close(); // writes out what it holds
                written.add(unflushed);
            } catch (IOException | RuntimeException e) {
                failed.add(unflushed);
                LOG.log(Level.WARNING, "access log " + target + ": closing failed; " + unflushed + " lines lost", e);
            }
            finishReopen();
        }
    }

    /**
     * Sleeps until {@link #IDLE_NANOS} pass, a quarter of the queue's lines arrive, or a reopen or
     * close is asked for; returns at once if one already is, or lines came meanwhile.
     */
    private void sleep() {
        sleeping = true;
        try {
            if (queue.isEmpty() && !closing && pendingReopen.get() == null) {
                LockSupport.parkNanos(this, IDLE_NANOS);
            }
        } finally {
            sleeping = false;
            sinceWake.set(0);
        }
    }

    /** Completes a reopen asked for but not done (the writer stopped first), if there is one. */
    private void finishReopen() {
        CompletableFuture<Void> f = pendingReopen.getAndSet(null);
        if (f != null) {
            f.complete(null);
        }
    }

    private boolean reopenTarget(boolean failing, CompletableFuture<Void> done) {
        try {
            target.reopen();
            done.complete(null);
            return failing;
        } catch (IOException | RuntimeException e) {
            done.completeExceptionally(e);
            return failure(failing, "reopen", e);
        }
    }

    /** Logs the first failure of a run; returns true (now failing). */
    private boolean failure(boolean failing, String what, Exception e) {
        if (!failing) {
            LOG.log(Level.WARNING, "access log " + target + ": " + what + " failed; counting lost lines until it works again", e);
        }
        return true;
    }

    @Override
    public String toString() {
        return "AccessLogWriter{" + format + " -> " + target + ", queued " + queuedLines.get()
                + ", written " + written() + ", dropped " + dropped() + ", failed " + failed() + "}";
    }
}
