package io.kodiak.upstream;

import io.kodiak.config.BufferingConfig;
import io.kodiak.config.ConnectionPoolConfig;
import io.kodiak.config.PoolConfig;
import io.kodiak.config.UpstreamConfig;
import io.kodiak.config.UpstreamTimeouts;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PoolRuntimeTest {
    private static PoolRuntime pool(PoolConfig.Strategy strategy) {
        return pool(strategy, 0);
    }

    private static PoolRuntime pool(PoolConfig.Strategy strategy, int panicThreshold) {
        List<UpstreamConfig> ups = List.of(new UpstreamConfig("a", "127.0.0.1", 9001, 1),
                new UpstreamConfig("b", "127.0.0.1", 9002, 1), new UpstreamConfig("c", "127.0.0.1", 9003, 1));
        PoolConfig d = new PoolConfig("p", strategy, ups, UpstreamTimeouts.DEFAULTS, ConnectionPoolConfig.DEFAULTS,
                BufferingConfig.defaults(), null);
        return new PoolRuntime(new PoolConfig(d.name(), d.strategy(), d.upstreams(), d.timeouts(), d.connections(),
                d.buffering(), d.errorPage(), d.latencyDecay(), d.hash(), d.queue(), d.choiceCount(), d.healthCheck(),
                d.retries(), d.outlierDetection(), d.slowStart(), panicThreshold), new SplittableRandom(1));
    }

    private static List<String> members(PoolRuntime p) {
        return p.selection().members().stream().map(Upstream::name).toList();
    }

    @Test
    void strategiesOnlySeeAvailableUpstreams() {
        for (PoolConfig.Strategy strategy : PoolConfig.Strategy.values()) {
            PoolRuntime p = pool(strategy);
            Upstream b = p.upstreams().get(1);
            b.setHealthy(false);
            assertTrue(p.refresh());
            assertEquals(List.of("a", "c"), members(p), strategy.configName());
            for (int i = 0; i < 50; i++) {
                assertNotSame(b, p.strategy().pick(i, u -> true), strategy.configName() + " picked a DOWN upstream");
            }
            b.setHealthy(true);
            assertTrue(p.refresh());
            assertEquals(List.of("a", "b", "c"), members(p), strategy.configName());
        }
    }

    @Test
    void aRefreshWithoutAChangeKeepsTheSnapshot() {
        PoolRuntime p = pool(PoolConfig.Strategy.ROUND_ROBIN);
        PoolRuntime.Selection before = p.selection();
        assertFalse(p.refresh());
        assertSame(before, p.selection(), "a rebuild would restart round-robin for nothing");
    }

    @Test
    void loadStateSurvivesARebuild() {
        PoolRuntime p = pool(PoolConfig.Strategy.LATENCY_WEIGHTED);
        Upstream a = p.upstreams().get(0);
        a.begin();
        a.begin();
        a.responded(200, 80_000_000L);
        double latency = a.latency().nanos();
        p.upstreams().get(2).setHealthy(false);
        p.refresh();
        assertSame(a, p.selection().members().get(0), "the same upstream object, not a copy");
        assertEquals(2, a.inFlight());
        assertEquals(latency, a.latency().nanos(), latency * 0.01, "the latency estimate is kept");
    }

    @Test
    void withNoUpstreamUpNothingIsPicked() {
        PoolRuntime p = pool(PoolConfig.Strategy.LEAST_CONNECTIONS);
        p.upstreams().forEach(u -> u.setHealthy(false));
        p.refresh();
        assertTrue(p.selection().members().isEmpty());
        assertNull(p.strategy().pick(u -> true));
    }

    @Test
    void belowThePanicThresholdEveryUpstreamIsUsed() {
        PoolRuntime p = pool(PoolConfig.Strategy.ROUND_ROBIN, 50);
        p.upstreams().get(0).setHealthy(false);
        p.refresh();
        assertEquals(List.of("b", "c"), members(p), "2 of 3 is above 50 %");
        assertFalse(p.selection().panic());
        p.upstreams().get(1).setHealthy(false);
        p.refresh();
        assertTrue(p.selection().panic(), "1 of 3 is below 50 %");
        assertEquals(List.of("a", "b", "c"), members(p), "panic: all of them, as Envoy does");
        p.upstreams().get(1).setHealthy(true);
        p.refresh();
        assertFalse(p.selection().panic());
        assertEquals(List.of("b", "c"), members(p));
    }

    @Test
    void withoutAPanicThresholdNoUpstreamUpMeansNone() {
        PoolRuntime p = pool(PoolConfig.Strategy.ROUND_ROBIN, 0);
        p.upstreams().forEach(u -> u.setHealthy(false));
        p.refresh();
        assertFalse(p.selection().panic());
        assertTrue(p.selection().members().isEmpty(), "the default: 503 (or the error page) at once");
    }
}
