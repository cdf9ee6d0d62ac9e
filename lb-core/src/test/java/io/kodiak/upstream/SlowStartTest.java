package io.kodiak.upstream;

import io.kodiak.balancer.SmoothWeightedRoundRobin;
import io.kodiak.config.UpstreamConfig;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** HAProxy's slowstart on a fake clock: weight and max-connections ramp linearly. */
class SlowStartTest {
    private final AtomicLong clock = new AtomicLong(TimeUnit.SECONDS.toNanos(100));

    private Upstream up(String name, int weight, int maxConnections) {
        return new Upstream("p", new UpstreamConfig(name, "127.0.0.1", 9000 + weight, weight, maxConnections), clock::get);
    }

    private void advance(Duration d) {
        clock.addAndGet(d.toNanos());
    }

    @Test
    void theWeightRampsLinearlyFromAlmostNothing() {
        Upstream u = up("a", 2, 0);
        assertEquals(200, u.effectiveWeight(), "full weight outside a slow start");
        u.startSlowStart(Duration.ofSeconds(40));
        assertTrue(u.slowStarting());
        assertEquals(1, u.effectiveWeight(), "at the start: the least weight there is");
        advance(Duration.ofSeconds(10));
        assertEquals(50, u.effectiveWeight());
        advance(Duration.ofSeconds(20));
        assertEquals(150, u.effectiveWeight());
        advance(Duration.ofSeconds(10));
        assertEquals(200, u.effectiveWeight());
        assertFalse(u.slowStarting());
    }

    @Test
    void maxConnectionsRampTooButNeverBelowOne() {
        Upstream u = up("a", 1, 8);
        u.startSlowStart(Duration.ofSeconds(10));
        assertTrue(u.tryBegin(), "one slot from the start");
        assertFalse(u.tryBegin());
        advance(Duration.ofSeconds(5));
        assertTrue(u.tryBegin());
        assertTrue(u.tryBegin());
        assertTrue(u.tryBegin());
        assertFalse(u.tryBegin(), "half the ramp: 4 of 8");
        advance(Duration.ofSeconds(5));
        for (int i = 0; i < 4; i++) {
            assertTrue(u.tryBegin());
        }
        assertFalse(u.tryBegin(), "the full 8");
    }

    @Test
    void roundRobinGivesAStartingUpstreamItsRampedShare() {
        Upstream a = up("a", 1, 0);
        Upstream b = up("b", 1, 0);
        var s = new SmoothWeightedRoundRobin<>(List.of(a, b), new SplittableRandom(1));
        b.startSlowStart(Duration.ofSeconds(100));
        advance(Duration.ofSeconds(25)); // b at 25 of a's 100
        int toB = 0;
        for (int i = 0; i < 1_250; i++) {
            if (s.pick(u -> true) == b) {
                toB++;
            }
        }
        // 25 / (100 + 25) of the picks; the scores left over from full weight shift it by one at most.
        assertTrue(Math.abs(toB - 250) <= 1, "b got " + toB + " of 1,250 picks");
    }

    @Test
    void aZeroWindowIsNoSlowStart() {
        Upstream u = up("a", 1, 4);
        u.startSlowStart(Duration.ZERO);
        assertFalse(u.slowStarting());
        assertEquals(100, u.effectiveWeight());
    }
}
