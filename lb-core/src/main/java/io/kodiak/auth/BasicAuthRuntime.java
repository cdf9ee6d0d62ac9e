package io.kodiak.auth;

import io.kodiak.htpasswd.HtpasswdUsers;

import java.lang.ref.WeakReference;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * What every {@code basic-auth} section shares for the life of the process, across reloads: the
 * workers that check passwords off the selector threads, their bound, the caches of recent
 * verifications, and the watches on htpasswd files.
 *
 * <p><b>Workers.</b> A bcrypt check costs milliseconds to tens of milliseconds of CPU, so it runs
 * on a few daemon threads (half the cores, 1 to 4), never on a selector. At most
 * {@link #DEFAULT_PENDING} checks are running or waiting; beyond that a request gets 503 with
 * {@code Retry-After} at once ({@link #busy()} counts them): a flood of guesses costs Kodiak a
 * bounded share of its CPU and a bounded queue, and the selectors stay free for everyone else.
 * Threads start only when a first check needs one and stop when idle.
 *
 * <p><b>Files.</b> Every {@link #POLL_SECONDS} seconds, once some {@code basic-auth} exists, the
 * feature timer hands one worker the job of looking at each watched file ({@link HtpasswdWatch#poll}).
 * Watches are held weakly: one whose configuration is gone is forgotten.
 *
 * <p>Threading: thread-safe. {@link #close} once, when the server stops.
 */
public final class BasicAuthRuntime implements AutoCloseable {
    /** Checks running or queued, at most. */
    public static final int DEFAULT_PENDING = 64;
    static final long POLL_SECONDS = 2;
    static final long PASSED_TTL_NANOS = TimeUnit.MINUTES.toNanos(5);
    static final long FAILED_TTL_NANOS = TimeUnit.SECONDS.toNanos(5);
    static final int CACHE_ENTRIES = 4096;

    private final ScheduledExecutorService timer;
    private final ExecutorService workers;
    private final Semaphore pending;
    private final int maxPending;
    final PasswordCache passed;
    final PasswordCache failed;
    private final Map<Path, WeakReference<HtpasswdWatch>> watches = new HashMap<>();
    private final AtomicBoolean polling = new AtomicBoolean();
    private ScheduledFuture<?> pollTask;

    private final LongAdder granted = new LongAdder();
    private final LongAdder refused = new LongAdder();
    private final LongAdder busy = new LongAdder();
    private final LongAdder cacheHits = new LongAdder();
    private final LongAdder polls = new LongAdder();

    /** The process's runtime: its own workers, the real clock. */
    public BasicAuthRuntime(ScheduledExecutorService timer) {
        this(timer, defaultWorkers(), DEFAULT_PENDING, System::nanoTime);
    }

    /**
     * @param workers    where checks run (tests give a small or a stalled one)
     * @param maxPending checks running or queued at most; more get 503
     * @param nanoTime   the clock of the caches
     */
    public BasicAuthRuntime(ScheduledExecutorService timer, ExecutorService workers, int maxPending, LongSupplier nanoTime) {
        this.timer = timer;
        this.workers = workers;
        this.maxPending = maxPending;
        this.pending = new Semaphore(maxPending);
        this.passed = new PasswordCache(PASSED_TTL_NANOS, CACHE_ENTRIES, nanoTime);
        this.failed = new PasswordCache(FAILED_TTL_NANOS, CACHE_ENTRIES, nanoTime);
    }

    private static ExecutorService defaultWorkers() {
        int n = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors() / 2));
        AtomicInteger count = new AtomicInteger();
        ThreadPoolExecutor e = new ThreadPoolExecutor(n, n, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "kodiak-basic-auth-" + count.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        e.allowCoreThreadTimeOut(true); // the queue is bounded by the semaphore, not here
        return e;
    }

    /**
     * The watch of {@code file}, made if none exists, holding {@code users} (what a configuration
     * just read). Starts the polling with the first watch.
     */
    public synchronized HtpasswdWatch watch(Path file, HtpasswdUsers users) {
        WeakReference<HtpasswdWatch> ref = watches.get(file);
        HtpasswdWatch w = ref == null ? null : ref.get();
        if (w == null) {
            w = new HtpasswdWatch(file, users);
            watches.put(file, new WeakReference<>(w));
        } else {
            w.offer(users);
        }
        if (pollTask == null && !timer.isShutdown()) {
            pollTask = timer.scheduleWithFixedDelay(this::pollSoon, POLL_SECONDS, POLL_SECONDS, TimeUnit.SECONDS);
        }
        return w;
    }

    /** On the timer: hands the polling to a worker (the timer never touches the disk). */
    private void pollSoon() {
        if (!polling.compareAndSet(false, true)) {
            return;
        }
        try {
            workers.execute(() -> {
                try {
                    for (HtpasswdWatch w : liveWatches()) {
                        w.poll();
                    }
                    polls.increment();
                } finally {
                    polling.set(false);
                }
            });
        } catch (RejectedExecutionException e) {
            polling.set(false); // shutting down
        }
    }

    private synchronized java.util.List<HtpasswdWatch> liveWatches() {
        java.util.List<HtpasswdWatch> live = new java.util.ArrayList<>();
        for (Iterator<WeakReference<HtpasswdWatch>> it = watches.values().iterator(); it.hasNext(); ) {
            HtpasswdWatch w = it.next().get();
            if (w == null) {
                it.remove();
            } else {
                live.add(w);
            }
        }
        return live;
    }

    /** Takes a place for one check; false when {@link #maxPending} are running or queued. */
    boolean tryStart() {
        return pending.tryAcquire();
    }

    /** Runs a check that holds a place from {@link #tryStart}; the place is given back when it ends. */
    void execute(Runnable check) {
        workers.execute(() -> {
            try {
                check.run();
            } finally {
                pending.release();
            }
        });
    }

    /** Gives back a place whose check could not be started. */
    void abandon() {
        pending.release();
    }

    void countGranted(boolean fromCache) {
        granted.increment();
        if (fromCache) {
            cacheHits.increment();
        }
    }

    void countRefused() {
        refused.increment();
    }

    void countBusy() {
        busy.increment();
    }

    /** Requests let through since the start. */
    public long granted() {
        return granted.sum();
    }

    /** Requests answered 401 (no, malformed or wrong credentials, unknown user). */
    public long refused() {
        return refused.sum();
    }

    /** Requests answered 503 because {@link #maxPending} checks were already pending. */
    public long busy() {
        return busy.sum();
    }

    /** Checks running or queued now (at most {@link #DEFAULT_PENDING}, or the bound given). */
    public int pending() {
        return maxPending - pending.availablePermits();
    }

    /** Granted requests whose check the cache of recent successes spared. */
    public long cacheHits() {
        return cacheHits.sum();
    }

    /** Rounds of looking at the watched files since the start (tests wait on it). */
    public long polls() {
        return polls.sum();
    }

    @Override
    public synchronized void close() {
        if (pollTask != null) {
            pollTask.cancel(false);
        }
        workers.shutdownNow();
    }

    @Override
    public String toString() {
        return "BasicAuthRuntime[pending " + pending() + "/" + maxPending
                + ", granted " + granted() + ", refused " + refused() + ", busy " + busy() + ", " + passed + "]";
    }
}
