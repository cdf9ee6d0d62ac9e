package io.kodiak.balancer;

import io.kodiak.config.PoolConfig;
import io.kodiak.config.UpstreamConfig;
import io.kodiak.upstream.Upstream;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StrategiesTest {
    @Test
    void everyNameTheConfigAcceptsHasAStrategyAndNoOtherIsRegistered() {
        assertEquals(Arrays.stream(PoolConfig.Strategy.values()).map(PoolConfig.Strategy::configName).toList(),
                Strategies.names());
    }

    @Test
    void eachBuildsAStrategyThatPicksAndOverNoMembersNone() {
        List<Upstream> ups = List.of(new Upstream("p", new UpstreamConfig("a", "127.0.0.1", 9001, 1)),
                new Upstream("p", new UpstreamConfig("b", "127.0.0.1", 9002, 1)));
        Strategies.Settings settings = new Strategies.Settings(2, 125);
        for (String name : Strategies.names()) {
            assertNotNull(Strategies.create(name, ups, new SplittableRandom(1), settings).pick(7, u -> true), name);
            assertNull(Strategies.create(name, List.of(), new SplittableRandom(1), settings).pick(7, u -> true), name);
        }
        assertThrows(IllegalArgumentException.class, () -> Strategies.create("random", ups, new SplittableRandom(1), settings));
    }

    /** A candidate that is only the view: no upstream, no clock, no connections. */
    private record Plain(String name, int weight, int inFlight) implements Backend {
        @Override
        public int effectiveWeight() {
            return weight * 100;
        }

        @Override
        public double latencyNanos() {
            return 1e6;
        }
    }

    @Test
    void strategiesNeedOnlyTheBackendViewAndHandBackTheCallersOwnCandidates() {
        List<Plain> plain = List.of(new Plain("a", 1, 3), new Plain("b", 2, 0), new Plain("c", 1, 1));
        Strategies.Settings settings = new Strategies.Settings(2, 125);
        for (String name : Strategies.names()) {
            Strategy<Plain> s = Strategies.create(name, plain, new SplittableRandom(1), settings);
            for (long key = 0; key < 20; key++) {
                Plain picked = s.pick(key, p -> !p.name().equals("b"));
                assertTrue(picked == plain.get(0) || picked == plain.get(2), name + " picked " + picked);
            }
            assertNull(s.pick(7, p -> false), name);
        }
    }

    @Test
    void optionMessagesNameTheStrategiesThatReadThem() {
        assertEquals("strategies least-connections and latency-weighted",
                PoolConfig.Strategy.describe(PoolConfig.Strategy::drawsChoices));
        assertEquals("strategy consistent-hash", PoolConfig.Strategy.describe(PoolConfig.Strategy::hashes));
    }
}
