package io.kodiak.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

class LatencyRecorderTest {

    private static final long MS = 1_000_000L;

    @Test
    void percentilesOfKnownDataAreWithinHistogramPrecision() {
        LatencyRecorder recorder = new LatencyRecorder("known");
        for (long us = 1; us <= 10_000; us++) {
            recorder.record(us * 1_000);
        }

        LatencySnapshot s = recorder.snapshot();

        assertEquals(10_000, s.count());
        assertWithinPrecision(5_000_000, s.valueAtPercentile(50));
        assertWithinPrecision(9_900_000, s.valueAtPercentile(99));
        assertWithinPrecision(9_990_000, s.valueAtPercentile(99.9));
        assertWithinPrecision(10_000_000, s.max());
        assertWithinPrecision(1_000, s.min());
        assertWithinPrecision(5_000_500, (long) s.mean());
        assertEquals(1, s.intervals());
    }

    @Test
    void valuesFromManyThreadsMergeToTheSameHistogramAsOneThread() throws InterruptedException {
        int threads = 4;
        int perThread = 50_000;
        LatencyRecorder recorder = new LatencyRecorder("threads");
        Histogram reference = new Histogram(1, LatencySettings.DEFAULT.highestTrackableNanos(), 3);
        for (int t = 0; t < threads; t++) {
            for (int i = 0; i < perThread; i++) {
                reference.recordValue(valueFor(t, i));
            }
        }

        runConcurrently(threads, t -> {
            for (int i = 0; i < perThread; i++) {
                recorder.record(valueFor(t, i));
            }
        });
        LatencySnapshot s = recorder.snapshot();

        assertEquals(reference.getTotalCount(), s.count());
        for (double p : new double[] {0, 1, 25, 50, 75, 90, 99, 99.9, 100}) {
            assertEquals(reference.getValueAtPercentile(p), s.valueAtPercentile(p), "p" + p);
        }
        assertEquals(reference.getMaxValue(), s.max());
        assertEquals(reference.getMean(), s.mean(), 1e-6 * reference.getMean());
    }

    @Test
    void snapshotsTakenWhileThreadsRecordLoseAndDuplicateNothing() throws InterruptedException {
        int threads = 3;
        int perThread = 200_000;
        LatencyRecorder recorder = new LatencyRecorder("concurrent", settings(1000, List.of(Duration.ofMillis(1))));
        AtomicBoolean done = new AtomicBoolean();
        List<Long> cumulativeCounts = new ArrayList<>();

        Thread reader = new Thread(() -> {
            // Bounded: stops when the writers are done, or after 10 000 snapshots at most.
            for (int i = 0; i < 10_000 && !done.get(); i++) {
                cumulativeCounts.add(recorder.snapshot().cumulativeCount());
            }
        });
        reader.start();
        runConcurrently(threads, t -> {
            for (int i = 0; i < perThread; i++) {
                recorder.record(i % 2 == 0 ? MS / 2 : 2 * MS);
            }
        });
        done.set(true);
        reader.join(TimeUnit.SECONDS.toMillis(30));
        assertTrue(!reader.isAlive(), "snapshot thread did not finish");
        LatencySnapshot last = recorder.snapshot();

        assertEquals((long) threads * perThread, last.cumulativeCount());
        assertArrayEquals(new long[] {(long) threads * perThread / 2}, last.cumulativeBucketCounts());
        for (int i = 1; i < cumulativeCounts.size(); i++) {
            assertTrue(cumulativeCounts.get(i) >= cumulativeCounts.get(i - 1), "cumulative count went down");
        }
    }

    @Test
    void windowKeepsTheLastIntervalsAndCumulativeFiguresKeepEverything() {
        LatencyRecorder recorder = new LatencyRecorder("window", settings(3, List.of(Duration.ofMillis(2))));
        LatencySnapshot s = null;
        for (int interval = 1; interval <= 5; interval++) {
            for (int i = 0; i < interval; i++) {
                recorder.record(interval * MS);
            }
            s = recorder.snapshot();
        }

        // Intervals 3, 4 and 5 hold 3 + 4 + 5 values of 3, 4 and 5 ms.
        assertEquals(3, s.intervals());
        assertEquals(12, s.count());
        assertWithinPrecision(3 * MS, s.min());
        assertWithinPrecision(5 * MS, s.max());
        assertEquals(15, s.cumulativeCount());
        assertArrayEquals(new long[] {1 + 2}, s.cumulativeBucketCounts());
        assertEquals((1 + 4 + 9 + 16 + 25) * MS, s.cumulativeSumNanos(), 0.001 * 55 * MS);

        LatencySnapshot quiet = recorder.snapshot();
        assertEquals(9, quiet.count());
        assertEquals(15, quiet.cumulativeCount());
    }

    @Test
    void bucketCountsAreCumulativeAcrossBoundsAndSnapshots() {
        LatencyRecorder recorder = new LatencyRecorder("buckets",
                settings(2, List.of(Duration.ofMillis(1), Duration.ofMillis(10), Duration.ofMillis(100))));
        record(recorder, MS / 2, 3);
        record(recorder, 5 * MS, 2);
        record(recorder, 50 * MS, 1);
        record(recorder, 500 * MS, 1);
        recorder.record(MS);
        LatencySnapshot first = recorder.snapshot();

        assertArrayEquals(new long[] {MS, 10 * MS, 100 * MS}, first.bucketUpperBoundsNanos());
        assertArrayEquals(new long[] {4, 6, 7}, first.cumulativeBucketCounts());
        assertEquals(8, first.cumulativeCount());

        record(recorder, 20 * MS, 5);
        recorder.snapshot();
        recorder.snapshot();
        LatencySnapshot later = recorder.snapshot();

        // The window has moved past all of it; the buckets have not.
        assertEquals(0, later.count());
        assertArrayEquals(new long[] {4, 6, 12}, later.cumulativeBucketCounts());
        assertEquals(13, later.cumulativeCount());
        assertArrayEquals(new long[] {4, 6, 7}, first.cumulativeBucketCounts(), "an older snapshot changed");
    }

    @Test
    void outOfRangeValuesAreClamped() {
        LatencySettings settings = new LatencySettings(TimeUnit.SECONDS.toNanos(10), 3, 1, List.of(Duration.ofSeconds(1)));
        LatencyRecorder recorder = new LatencyRecorder("clamp", settings);
        recorder.record(-5);
        recorder.record(Long.MAX_VALUE);

        LatencySnapshot s = recorder.snapshot();

        assertEquals(2, s.count());
        assertEquals(0, s.min());
        assertWithinPrecision(TimeUnit.SECONDS.toNanos(10), s.max());
    }

    @Test
    void lastSnapshotHasNoSideEffects() {
        LatencyRecorder recorder = new LatencyRecorder("last");
        assertEquals(0, recorder.lastSnapshot().count());
        recorder.record(MS);
        LatencySnapshot s = recorder.snapshot();
        recorder.record(MS);

        assertSame(s, recorder.lastSnapshot());
        assertSame(s, recorder.lastSnapshot());
        assertEquals(2, recorder.snapshot().count());
    }

    @Test
    void currentCountsEverythingUpToTheReadWithoutClosingTheInterval() {
        java.util.concurrent.atomic.AtomicLong clock = new java.util.concurrent.atomic.AtomicLong();
        LatencyRecorder recorder = new LatencyRecorder("current", settings(2, List.of(Duration.ofMillis(2))), clock::get);
        record(recorder, MS, 3);
        LatencySnapshot young = recorder.current();
        assertEquals(0, young.cumulativeCount(), "the empty snapshot is younger than the max age: no harvest yet");

        clock.addAndGet(LatencyRecorder.CURRENT_MAX_AGE_NANOS);
        LatencySnapshot first = recorder.current();
        assertEquals(3, first.cumulativeCount());
        assertArrayEquals(new long[] {3}, first.cumulativeBucketCounts());
        assertEquals(3, first.count(), "the open interval is in the window");
        assertEquals(0, first.intervals(), "but not counted as a closed one");
        assertSame(first, recorder.lastSnapshot());

        record(recorder, 5 * MS, 2);
        assertSame(first, recorder.current(), "reads within the max age share one harvest");
        clock.addAndGet(LatencyRecorder.CURRENT_MAX_AGE_NANOS);
        LatencySnapshot second = recorder.current();
        assertEquals(5, second.cumulativeCount());
        assertArrayEquals(new long[] {3}, second.cumulativeBucketCounts());
        assertEquals(5, second.count());

        // Closing the interval neither loses nor double-counts what current() harvested.
        record(recorder, MS, 1);
        LatencySnapshot closed = recorder.snapshot();
        assertEquals(6, closed.cumulativeCount());
        assertArrayEquals(new long[] {4}, closed.cumulativeBucketCounts());
        assertEquals(6, closed.count());
        assertEquals(1, closed.intervals());
        assertEquals((3 + 10 + 1) * MS, closed.cumulativeSumNanos(), 0.001 * 14 * MS);

        // The window still ages by closed intervals: two more and the one with values is gone.
        recorder.snapshot();
        LatencySnapshot aged = recorder.snapshot();
        assertEquals(0, aged.count(), "the window of 2 has moved past the interval with values");
        assertEquals(6, aged.cumulativeCount());
        record(recorder, MS, 1);
        clock.addAndGet(LatencyRecorder.CURRENT_MAX_AGE_NANOS);
        LatencySnapshot now = recorder.current();
        assertEquals(7, now.cumulativeCount());
        assertEquals(1, now.count());
    }

    @Test
    void slotsOfDeadThreadsAreMergedOnceAndDropped() throws InterruptedException {
        LatencyRecorder recorder = new LatencyRecorder("dead");
        runConcurrently(2, t -> record(recorder, MS, 10));
        assertEquals(2, recorder.threadSlotCount());

        assertEquals(20, recorder.snapshot().count());
        assertEquals(0, recorder.threadSlotCount());
        assertEquals(20, recorder.snapshot().cumulativeCount());
    }

    @Test
    void threadsBeyondTheSlotLimitShareOneRecorder() throws InterruptedException {
        LatencyRecorder recorder = new LatencyRecorder("overflow");
        int threads = LatencyRecorder.MAX_THREAD_SLOTS + 4;
        // One after another, so the slots of finished threads are still taken when the next one starts.
        for (int t = 0; t < threads; t++) {
            runConcurrently(1, ignored -> record(recorder, MS, 10));
        }
        assertEquals(LatencyRecorder.MAX_THREAD_SLOTS, recorder.threadSlotCount());

        assertEquals(threads * 10L, recorder.snapshot().count());
        assertEquals(0, recorder.threadSlotCount());
    }

    private static long valueFor(int thread, int i) {
        // Distinct per thread, spread from 10 us to about 2 s.
        return 10_000L + (long) thread * 7_919 + (long) i * i % 2_000_000_000L;
    }

    private static void record(LatencyRecorder recorder, long value, int times) {
        for (int i = 0; i < times; i++) {
            recorder.record(value);
        }
    }

    private static LatencySettings settings(int windowIntervals, List<Duration> buckets) {
        return new LatencySettings(TimeUnit.HOURS.toNanos(1), 3, windowIntervals, buckets);
    }

    private static void assertWithinPrecision(long expected, long actual) {
        // 3 significant digits: every value is kept within 0.1 % (HdrHistogram's guarantee).
        assertEquals(expected, actual, Math.max(1, expected / 1000), "within 0.1 % of " + expected);
    }

    interface PerThread {
        void run(int thread);
    }

    /** Starts {@code threads} threads together, waits for all of them (bounded), and fails on any error. */
    private static void runConcurrently(int threads, PerThread body) throws InterruptedException {
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> started = new ArrayList<>();
        List<Throwable> failures = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int index = t;
            Thread thread = new Thread(() -> {
                try {
                    start.await();
                    body.run(index);
                } catch (Throwable e) {
                    synchronized (failures) {
                        failures.add(e);
                    }
                }
            }, "recorder-test-" + t);
            thread.start();
            started.add(thread);
        }
        start.countDown();
        for (Thread thread : started) {
            thread.join(TimeUnit.SECONDS.toMillis(30));
            assertTrue(!thread.isAlive(), thread + " did not finish");
        }
        assertTrue(failures.isEmpty(), () -> "failures: " + failures);
    }
}
