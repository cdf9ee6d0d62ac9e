package io.kodiak.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.SplittableRandom;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.PackedHistogram;
import org.junit.jupiter.api.Test;

/** The sparse copy must answer exactly as the HdrHistogram it was copied from. */
class SparseHistogramTest {

    private static final long HIGHEST = 3_600_000_000_000L;
    private static final double[] PERCENTILES = {0, 0.1, 1, 10, 25, 50, 75, 90, 99, 99.9, 99.99, 100};

    private final PackedHistogram shape = new PackedHistogram(1, HIGHEST, 3);

    @Test
    void queriesMatchHdrHistogram() {
        Histogram reference = lognormal(new SplittableRandom(42), 50_000);
        SparseHistogram sparse = SparseHistogram.copyOf(reference, shape);

        assertMatches(reference, sparse);
    }

    @Test
    void mergeMatchesOneHistogramOfAllValues() {
        SplittableRandom random = new SplittableRandom(7);
        Histogram a = lognormal(random, 10_000);
        Histogram b = lognormal(random, 20_000);
        b.recordValue(0);
        b.recordValue(HIGHEST);
        Histogram both = a.copy();
        both.add(b);

        SparseHistogram merged = SparseHistogram.merge(
                List.of(SparseHistogram.copyOf(a, shape), SparseHistogram.empty(shape), SparseHistogram.copyOf(b, shape)),
                shape);

        assertMatches(both, merged);
    }

    @Test
    void countsAtOrBelowMatchCountBetweenZeroAndTheBound() {
        Histogram reference = lognormal(new SplittableRandom(3), 20_000);
        long[] bounds = LatencySettings.DEFAULT.bucketUpperBoundsNanos();
        long[] counts = new long[bounds.length];

        SparseHistogram.copyOf(reference, shape).addCountsAtOrBelow(bounds, counts);

        for (int i = 0; i < bounds.length; i++) {
            assertEquals(reference.getCountBetweenValues(0, bounds[i]), counts[i], "bound " + bounds[i]);
        }
    }

    @Test
    void emptyAnswersZero() {
        SparseHistogram empty = SparseHistogram.empty(shape);
        assertEquals(0, empty.totalCount());
        assertEquals(0, empty.valueAtPercentile(99));
        assertEquals(0, empty.max());
        assertEquals(0, empty.min());
        assertEquals(0.0, empty.mean());
    }

    private static void assertMatches(Histogram reference, SparseHistogram sparse) {
        assertEquals(reference.getTotalCount(), sparse.totalCount());
        for (double p : PERCENTILES) {
            assertEquals(reference.getValueAtPercentile(p), sparse.valueAtPercentile(p), "p" + p);
        }
        assertEquals(reference.getMaxValue(), sparse.max());
        assertEquals(reference.getMinValue(), sparse.min());
        assertEquals(reference.getMean(), sparse.mean(), reference.getMean() * 1e-12);
    }

    /** Latency-like values: log-normal around 5 ms, spanning microseconds to seconds. */
    private static Histogram lognormal(SplittableRandom random, int n) {
        Histogram h = new Histogram(1, HIGHEST, 3);
        for (int i = 0; i < n; i++) {
            double gaussian = Math.sqrt(-2 * Math.log(1 - random.nextDouble())) * Math.cos(2 * Math.PI * random.nextDouble());
            h.recordValue((long) (Math.exp(1.5 * gaussian) * 5_000_000));
        }
        return h;
    }
}
