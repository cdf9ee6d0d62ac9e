package io.kodiak.balancer;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;

class PeakEwmaTest {
    private static final long MS = 1_000_000L;
    private final AtomicLong clock = new AtomicLong(1_000 * MS);
    private final PeakEwma ewma = new PeakEwma(Duration.ofSeconds(10), Duration.ofMillis(30), Duration.ofSeconds(1), clock::get);

    @Test
    void startsAtTheDefaultRtt() {
        assertEquals(30 * MS, ewma.nanos(), 1);
    }

    @Test
    void aSlowerRoundTripIsTakenAtOnce() {
        ewma.observe(200 * MS);
        assertEquals(200 * MS, ewma.nanos(), 1);
    }

    @Test
    void aFasterRoundTripMovesTheEstimateByTheTimeWeightedFactor() {
        ewma.observe(100 * MS);
        clock.addAndGet(2_000 * MS); // Δt = 2 s, τ = 10 s
        ewma.observe(10 * MS);
        double w = Math.exp(-2.0 / 10.0);
        assertEquals(100 * MS * w + 10 * MS * (1 - w), ewma.nanos(), 1);
    }

    @Test
    void samplesCloseTogetherBarelyMoveIt() {
        ewma.observe(100 * MS);
        ewma.observe(10 * MS); // Δt = 0: w = 1, the fast sample has no weight yet
        assertEquals(100 * MS, ewma.nanos(), 1);
    }

    @Test
    void idleTimeDecaysTheEstimateSoARecoveredUpstreamIsTriedAgain() {
        ewma.observe(1_000 * MS);
        clock.addAndGet(10_000 * MS); // one τ
        assertEquals(1_000 * MS * Math.exp(-1), ewma.nanos(), 1);
    }

    @Test
    void aFailureCountsAsThePenaltyRoundTrip() {
        ewma.observe(5 * MS);
        ewma.fail();
        assertEquals(1_000 * MS, ewma.nanos(), 1);
    }

    @Test
    void aNewDecayKeepsTheEstimateAndAppliesFromTheNextRead() {
        ewma.observe(1_000 * MS);
        ewma.setDecay(Duration.ofSeconds(2));
        assertEquals(1_000 * MS, ewma.nanos(), 1);
        clock.addAndGet(2_000 * MS); // one new τ, a fifth of the old one
        assertEquals(1_000 * MS * Math.exp(-1), ewma.nanos(), 1);
    }
}
