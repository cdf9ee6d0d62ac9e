package io.kodiak.metrics;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.LongSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;

import org.HdrHistogram.AbstractHistogram;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.PackedHistogram;
import org.HdrHistogram.Recorder;
import org.HdrHistogram.SingleWriterRecorder;
import org.HdrHistogram.ValueRecorder;

/**
 * Records durations in nanoseconds into HdrHistograms, one per recording thread, and merges them on read.
 *
 * <p><b>Threading.</b> {@link #record(long)} may be called from any thread and is wait-free: it
 * never takes a lock (after a thread's first call) and never writes memory another recording
 * thread writes. One shared {@code org.HdrHistogram.Recorder} measured 35-45 ns per value with one
 * writer but 100-380 ns with two, because both threads bounce the same cache lines. So each thread
 * gets its own {@link SingleWriterRecorder} (about 15 ns here), found by scanning a small
 * copy-on-write array for the current thread, which costs a few nanoseconds for the handful of
 * selector threads that record in practice. Not a {@code ThreadLocal}: a per-instance
 * {@code ThreadLocal} leaves its histogram in every thread's map after the recorder is dropped.
 * {@link #snapshot()} and {@link #lastSnapshot()} may be called from any thread; {@code snapshot()}
 * calls are serialized and may briefly wait for a record in progress to finish, never the reverse.
 *
 * <p><b>Bounds.</b> Values below 0 are recorded as 0 and values above
 * {@link LatencySettings#highestTrackableNanos()} as that ceiling. At most {@value #MAX_THREAD_SLOTS}
 * threads get their own histogram; further threads share one multi-writer {@code Recorder}, which is
 * correct but contended (a warning is logged once). A slot whose thread has died is merged one last
 * time and dropped at the next snapshot.
 *
 * <p><b>Memory.</b> One full histogram per recording thread plus one spare that the snapshot cycles
 * through them (about 270 KB each at the default 1 h / 3 digits, see {@link LatencySettings}); the
 * window and snapshots are kept sparse.
 *
 * <p><b>Reading.</b> Each {@link #snapshot()} closes an interval: it collects what every thread
 * recorded since the previous snapshot, adds it to the never-reset bucket counts, and publishes the
 * last {@link LatencySettings#windowIntervals()} intervals as a {@link LatencySnapshot}. Call it from
 * one periodic task (the metrics publisher). Readers that need counts up to now, such as MBean
 * attribute getters at a scrape, use {@link #current()}: it harvests what was recorded since into
 * the open interval, the bucket counts and the window's quantiles without closing the interval, at
 * most once per {@link #CURRENT_MAX_AGE_NANOS}, so a scrape that reads twenty attributes harvests
 * once. Log lines use {@link #lastSnapshot()}, which never harvests.
 */
public final class LatencyRecorder {

    /** Threads beyond this many share one contended recorder; more would cost memory and scan time. */
    static final int MAX_THREAD_SLOTS = 16;

    /** How old a snapshot {@link #current()} may return: one harvest serves all the reads of one scrape. */
    public static final long CURRENT_MAX_AGE_NANOS = 200_000_000L;

    private static final Logger LOG = Logger.getLogger(LatencyRecorder.class.getName());
    private static final Slot[] NO_SLOTS = new Slot[0];

    private final String name;
    private final LatencySettings settings;
    private final long highestTrackable;
    private final long[] bucketBounds;
    /** Never recorded into: supplies value-equivalence arithmetic for sparse copies, at ~300 bytes. */
    private final AbstractHistogram shape;
    private final LongSupplier clock;

    // Write side. slots is copy-on-write: replaced under registrationLock, scanned without a lock.
    private final Object registrationLock = new Object();
    private volatile Slot[] slots = NO_SLOTS;
    private volatile Recorder overflow;

    // Read side, guarded by 'this'.
    private Histogram spare;
    private Histogram overflowSpare;
    /** Closed intervals, oldest first, at most windowIntervals. */
    private final ArrayDeque<SparseHistogram> window = new ArrayDeque<>();
    /** What was harvested since the last {@link #snapshot()}: the interval still open. */
    private SparseHistogram open;
    private final long[] cumulativeBucketCounts;
    private long cumulativeCount;
    private double cumulativeSum;
    private volatile LatencySnapshot last;
    /** When {@link #last} was published, by {@link #clock}. */
    private volatile long lastAt;

    /** A recorder with {@link LatencySettings#DEFAULT}. */
    public LatencyRecorder(String name) {
        this(name, LatencySettings.DEFAULT);
    }

    /**
     * @param name     names the recorder in {@link #toString()} and log lines, e.g. {@code "pool/app1 latency"}
     * @param settings histogram resolution, window length and bucket bounds
     */
    public LatencyRecorder(String name, LatencySettings settings) {
        this(name, settings, System::nanoTime);
    }

    /** @param clock nanoseconds, for {@link #current()}'s age; tests pass a fake */
    LatencyRecorder(String name, LatencySettings settings, LongSupplier clock) {
        this.name = name;
        this.clock = clock;
        this.settings = settings;
        this.highestTrackable = settings.highestTrackableNanos();
        this.bucketBounds = settings.bucketUpperBoundsNanos();
        this.shape = new PackedHistogram(1, highestTrackable, settings.significantDigits());
        this.cumulativeBucketCounts = new long[bucketBounds.length];
        this.open = SparseHistogram.empty(shape);
        this.lastAt = clock.getAsLong();
        this.last = new LatencySnapshot(SparseHistogram.empty(shape), 0, bucketBounds, cumulativeBucketCounts, 0, 0.0D);
    }

    /**
     * Records one duration. Wait-free; see the class comment for the cost.
     *
     * @param nanos a duration in nanoseconds, e.g. the difference of two {@link System#nanoTime()} readings
     */
    public void record(long nanos) {
        long value = nanos <= 0 ? 0 : Math.min(nanos, highestTrackable);
        recorderForCurrentThread().recordValue(value);
    }

    private ValueRecorder recorderForCurrentThread() {
        Thread current = Thread.currentThread();
        Slot[] s = slots;
        for (Slot slot : s) {
            if (slot.owner == current) {
                return slot.recorder;
            }
        }
        Recorder shared = overflow;
        if (shared != null && s.length >= MAX_THREAD_SLOTS) {
            return shared;
        }
        return register(current);
    }

    private ValueRecorder register(Thread thread) {
        synchronized (registrationLock) {
            Slot[] current = slots;
            if (current.length >= MAX_THREAD_SLOTS) {
                if (overflow == null) {
                    LOG.log(Level.WARNING, "More than {0} threads record into {1}; the others share one contended recorder",
                            new Object[] {MAX_THREAD_SLOTS, name});
                    overflow = new Recorder(1, highestTrackable, settings.significantDigits());
                }
                return overflow;
            }
            SingleWriterRecorder recorder = new SingleWriterRecorder(1, highestTrackable, settings.significantDigits());
            Slot[] next = Arrays.copyOf(current, current.length + 1);
            next[current.length] = new Slot(thread, recorder);
            slots = next;
            return recorder;
        }
    }

    /**
     * Closes the current interval and publishes a snapshot of the rolling window and the cumulative
     * counts. Call it periodically from one place; see the class comment.
     *
     * @return the new snapshot, also returned by {@link #lastSnapshot()} until the next call
     */
    public synchronized LatencySnapshot snapshot() {
        harvest();
        window.addLast(open);
        if (window.size() > settings.windowIntervals()) {
            window.removeFirst();
        }
        open = SparseHistogram.empty(shape);
        return publish(SparseHistogram.merge(List.copyOf(window), shape), window.size());
    }

    /**
     * A snapshot no older than {@link #CURRENT_MAX_AGE_NANOS}: if {@link #lastSnapshot()} is older,
     * harvests what every thread recorded since into the bucket counts and the open interval, without
     * closing it. Its window is the closed intervals plus the open one.
     */
    public LatencySnapshot current() {
        if (clock.getAsLong() - lastAt < CURRENT_MAX_AGE_NANOS) {
            return last;
        }
        synchronized (this) {
            if (clock.getAsLong() - lastAt < CURRENT_MAX_AGE_NANOS) {
                return last; // another reader harvested while this one waited
            }
            harvest();
            List<SparseHistogram> parts = new ArrayList<>(window);
            parts.add(open);
            return publish(SparseHistogram.merge(parts, shape), window.size());
        }
    }

    /** Collects what every thread recorded since the last harvest into {@link #open} and the cumulative counts. */
    private void harvest() {
        List<SparseHistogram> parts = new ArrayList<>();
        List<Slot> dead = null;
        for (Slot slot : slots) {
            // Checked before harvesting: once isAlive() is false, everything that thread recorded is
            // visible here (JLS 17.4.4), so this harvest is its last and the slot can go.
            boolean alive = slot.owner.isAlive();
            // The histogram handed in becomes the slot's new active one, and the slot's old active one
            // comes back to be read and then handed to the next slot: one spare serves all slots.
            spare = slot.recorder.getIntervalHistogram(spare, false);
            parts.add(SparseHistogram.copyOf(spare, shape));
            if (!alive) {
                dead = dead == null ? new ArrayList<>() : dead;
                dead.add(slot);
            }
        }
        Recorder shared = overflow;
        if (shared != null) {
            overflowSpare = shared.getIntervalHistogram(overflowSpare);
            parts.add(SparseHistogram.copyOf(overflowSpare, shape));
        }
        if (dead != null) {
            retire(dead);
        }

        SparseHistogram harvested = SparseHistogram.merge(parts, shape);
        harvested.addCountsAtOrBelow(bucketBounds, cumulativeBucketCounts);
        cumulativeCount += harvested.totalCount();
        cumulativeSum += harvested.approximateSum();
        open = SparseHistogram.merge(List.of(open, harvested), shape);
    }

    private LatencySnapshot publish(SparseHistogram windowed, int intervals) {
        LatencySnapshot snapshot = new LatencySnapshot(windowed, intervals, bucketBounds, cumulativeBucketCounts,
                cumulativeCount, cumulativeSum);
        last = snapshot;
        lastAt = clock.getAsLong();
        return snapshot;
    }

    private void retire(List<Slot> dead) {
        synchronized (registrationLock) {
            List<Slot> remaining = new ArrayList<>(Arrays.asList(slots));
            remaining.removeAll(dead);
            slots = remaining.toArray(NO_SLOTS);
        }
    }

    /** @return the snapshot the last {@link #snapshot()} or harvesting {@link #current()} published (an empty one before); no side effects */
    public LatencySnapshot lastSnapshot() {
        return last;
    }

    /** @return how many threads currently have their own histogram (for tests) */
    int threadSlotCount() {
        return slots.length;
    }

    public String name() {
        return name;
    }

    public LatencySettings settings() {
        return settings;
    }

    @Override
    public String toString() {
        return "LatencyRecorder{" + name + ", threads=" + slots.length + (overflow != null ? "+shared" : "")
                + ", last=" + last + '}';
    }

    /** One recording thread and the histogram only it writes. */
    private record Slot(Thread owner, SingleWriterRecorder recorder) {
    }
}
