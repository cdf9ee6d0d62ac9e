package io.kodiak.metrics;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * How a {@link LatencyRecorder} sizes its histograms and which Prometheus-style buckets it counts.
 *
 * <p>Memory is dominated by the histogram resolution: at 3 significant digits and a 1 h ceiling one
 * HdrHistogram counts array is about 270 KB, and a recorder holds one per recording thread plus one
 * spare (see {@link LatencyRecorder}). 2 significant digits cut that to about 37 KB at 1 % precision.
 *
 * @param highestTrackableNanos largest value kept exactly; larger values are recorded as this value
 * @param significantDigits     HdrHistogram precision, 0..5 (3 means values are kept within 0.1 %)
 * @param windowIntervals       how many {@link LatencyRecorder#snapshot()} intervals the rolling
 *                              window of a snapshot spans (e.g. 6 snapshots taken every 10 s = 1 min)
 * @param bucketUpperBounds     upper bounds of the cumulative {@code le} buckets, strictly ascending,
 *                              each positive and at most {@code highestTrackableNanos}; the implicit
 *                              {@code +Inf} bucket is the cumulative count
 */
public record LatencySettings(long highestTrackableNanos, int significantDigits, int windowIntervals,
                              List<Duration> bucketUpperBounds) {

    /**
     * Bucket bounds for request latencies in front of Gunicorn: the Prometheus client defaults widened
     * at both ends, down to 1 ms for connect times and up to 60 s because Gunicorn's worker
     * {@code timeout} defaults to 30 s.
     */
    public static final List<Duration> DEFAULT_BUCKETS = List.of(
            Duration.ofMillis(1), Duration.ofMillis(2).plusNanos(500_000), Duration.ofMillis(5),
            Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100),
            Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500),
            Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(60));

    /** 1 h ceiling, 3 significant digits, a window of 6 intervals, {@link #DEFAULT_BUCKETS}. */
    public static final LatencySettings DEFAULT =
            new LatencySettings(TimeUnit.HOURS.toNanos(1), 3, 6, DEFAULT_BUCKETS);

    public LatencySettings {
        // HdrHistogram needs highest >= 2 * lowest, and we always use a lowest discernible value of 1 ns.
        if (highestTrackableNanos < 2) {
            throw new IllegalArgumentException("highestTrackableNanos must be >= 2: " + highestTrackableNanos);
        }
        if (significantDigits < 0 || significantDigits > 5) {
            throw new IllegalArgumentException("significantDigits must be 0..5: " + significantDigits);
        }
        if (windowIntervals < 1) {
            throw new IllegalArgumentException("windowIntervals must be >= 1: " + windowIntervals);
        }
        bucketUpperBounds = List.copyOf(bucketUpperBounds);
        long previous = 0;
        for (Duration bound : bucketUpperBounds) {
            long nanos = bound.toNanos();
            if (nanos <= previous) {
                throw new IllegalArgumentException("bucket bounds must be positive and strictly ascending: "
                        + bucketUpperBounds);
            }
            if (nanos > highestTrackableNanos) {
                throw new IllegalArgumentException("bucket bound " + bound + " exceeds highestTrackableNanos "
                        + highestTrackableNanos);
            }
            previous = nanos;
        }
    }

    /** @return the bucket upper bounds in nanoseconds, a fresh array each call */
    public long[] bucketUpperBoundsNanos() {
        long[] nanos = new long[bucketUpperBounds.size()];
        for (int i = 0; i < nanos.length; i++) {
            nanos[i] = bucketUpperBounds.get(i).toNanos();
        }
        return nanos;
    }
}
