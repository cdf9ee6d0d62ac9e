package io.kodiak.metrics;

import java.util.Locale;

/**
 * An immutable view of a {@link LatencyRecorder} at one {@link LatencyRecorder#snapshot()}.
 *
 * <p>Two kinds of figures, for two consumers:
 * <ul>
 *   <li>the <b>rolling window</b> ({@link #count()}, {@link #valueAtPercentile(double)}, {@link #max()},
 *       {@link #min()}, {@link #mean()}): the last {@link #intervals()} snapshot intervals merged, for
 *       gauges such as "p99 over the last minute" and for log lines;</li>
 *   <li>the <b>cumulative</b> figures ({@link #cumulativeCount()}, {@link #cumulativeSumNanos()},
 *       {@link #cumulativeBucketCounts()}): everything recorded up to this snapshot, never reset, in
 *       the shape of a Prometheus histogram ({@code _count}, {@code _sum}, {@code _bucket{le}}).</li>
 * </ul>
 * All values are nanoseconds, reported as HdrHistogram does: within its precision, at the highest
 * (percentiles, max) or lowest (min) value of the sub-bucket a value fell into.
 */
public final class LatencySnapshot {

    private final SparseHistogram window;
    private final int intervals;
    private final long[] bucketUpperBoundsNanos;
    private final long[] cumulativeBucketCounts;
    private final long cumulativeCount;
    private final double cumulativeSumNanos;

    LatencySnapshot(SparseHistogram window, int intervals, long[] bucketUpperBoundsNanos,
                    long[] cumulativeBucketCounts, long cumulativeCount, double cumulativeSumNanos) {
        this.window = window;
        this.intervals = intervals;
        this.bucketUpperBoundsNanos = bucketUpperBoundsNanos.clone();
        this.cumulativeBucketCounts = cumulativeBucketCounts.clone();
        this.cumulativeCount = cumulativeCount;
        this.cumulativeSumNanos = cumulativeSumNanos;
    }

    /** @return how many values the rolling window holds */
    public long count() {
        return window.totalCount();
    }

    /**
     * @param percentile 0..100 (values outside are clamped)
     * @return the value at or below which {@code percentile} % of the window's values fall, or 0 when
     *         the window is empty
     */
    public long valueAtPercentile(double percentile) {
        return window.valueAtPercentile(percentile);
    }

    /** @return the largest value in the window, or 0 when it is empty */
    public long max() {
        return window.max();
    }

    /** @return the smallest value in the window, or 0 when it is empty */
    public long min() {
        return window.min();
    }

    /** @return the mean of the window, or 0 when it is empty */
    public double mean() {
        return window.mean();
    }

    /** @return how many snapshot intervals the window spans: at most {@link LatencySettings#windowIntervals()} */
    public int intervals() {
        return intervals;
    }

    /** @return every value recorded up to this snapshot (the Prometheus {@code _count} and {@code le="+Inf"}) */
    public long cumulativeCount() {
        return cumulativeCount;
    }

    /** @return the sum of every value recorded up to this snapshot, within the histogram precision */
    public double cumulativeSumNanos() {
        return cumulativeSumNanos;
    }

    /** @return the bucket upper bounds, as configured in {@link LatencySettings#bucketUpperBounds()}; a copy */
    public long[] bucketUpperBoundsNanos() {
        return bucketUpperBoundsNanos.clone();
    }

    /**
     * @return for each of {@link #bucketUpperBoundsNanos()}, how many values recorded up to this
     *         snapshot were at or below it (so the counts never decrease, across buckets or across
     *         snapshots); a value above a bound by less than one histogram sub-bucket may be counted
     *         under it. A copy.
     */
    public long[] cumulativeBucketCounts() {
        return cumulativeBucketCounts.clone();
    }

    @Override
    public String toString() {
        if (window.totalCount() == 0) {
            return "{n=0, total=" + cumulativeCount + '}';
        }
        return String.format(Locale.ROOT, "{n=%d, mean=%s, p50=%s, p90=%s, p99=%s, max=%s, total=%d}",
                window.totalCount(), millis(window.mean()), millis(window.valueAtPercentile(50)),
                millis(window.valueAtPercentile(90)), millis(window.valueAtPercentile(99)),
                millis(window.max()), cumulativeCount);
    }

    private static String millis(double nanos) {
        return String.format(Locale.ROOT, "%.3fms", nanos / 1e6);
    }
}
