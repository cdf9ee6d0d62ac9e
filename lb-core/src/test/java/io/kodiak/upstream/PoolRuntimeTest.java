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

    @Test
    void anUpstreamTheOperatorTookOutIsNeverPickedNotEvenInPanic() {
        PoolRuntime p = pool(PoolConfig.Strategy.ROUND_ROBIN, 50);
        Upstream a = p.upstreams().get(0);
        a.setAdminState(AdminState.DRAIN);
        p.refresh();
        assertEquals(List.of("b", "c"), members(p));
        p.upstreams().get(1).setHealthy(false);
        p.refresh();
        assertFalse(p.selection().panic(), "1 of the 2 in rotation is not below 50 %: the drained one counts in neither");
        p.upstreams().get(2).setHealthy(false);
        p.refresh();
        assertTrue(p.selection().panic());
        assertEquals(List.of("b", "c"), members(p), "panic sends to the unhealthy ones, never to the drained one");
    }

    @Test
    void adminStateShowsOverHealthAndEveryReasonIsListed() {
        Upstream u = pool(PoolConfig.Strategy.ROUND_ROBIN).upstreams().get(0);
        assertEquals("UP", u.state());
        assertEquals(List.of(), u.stateReasons());
        u.setHealthy(false);
        assertEquals("DOWN", u.state());
        u.setAdminState(AdminState.DRAIN);
        assertEquals("DRAIN", u.state());
        assertEquals(List.of("admin", "health"), u.stateReasons());
        u.setAdminState(AdminState.MAINT);
        assertEquals("MAINT", u.state());
        u.setAdminState(AdminState.READY);
        u.setHealthy(true);
        u.setNodeState(true, 100);
        assertEquals("DRAIN", u.state());
        assertEquals(List.of("node"), u.stateReasons());
        u.setNodeState(false, 100);
        u.setRuntimeWeight(0);
        assertEquals("DRAIN", u.state(), "weight 0 is DRAIN, as in HAProxy");
        assertFalse(u.available());
        u.setRuntimeWeight(-1);
        assertTrue(u.available());
    }

    @Test
    void aRequestRacingADrainEitherCountsInFlightOrIsRefused() {
        Upstream u = pool(PoolConfig.Strategy.ROUND_ROBIN).upstreams().get(0);
        assertTrue(u.tryBegin());
        u.setAdminState(AdminState.DRAIN);
        assertEquals(1, u.inFlight(), "begun before the drain: in flight, so a wait sees it");
        long requests = u.requests();
        assertFalse(u.tryBegin(), "a pick from a selection read before the drain is refused");
        assertEquals(1, u.inFlight());
        assertEquals(requests, u.requests(), "and not counted");
    }

    @Test
    void whenIdleCompletesWhenTheLastRequestInFlightEnds() {
        Upstream u = pool(PoolConfig.Strategy.ROUND_ROBIN).upstreams().get(0);
        assertTrue(u.whenIdle().isDone(), "nothing in flight: at once");
        u.begin();
        u.begin();
        java.util.concurrent.CompletableFuture<Void> idle = u.whenIdle();
        java.util.concurrent.CompletableFuture<Void> second = u.whenIdle();
        assertFalse(idle.isDone());
        u.end();
        assertFalse(idle.isDone(), "one still in flight");
        u.end();
        assertTrue(idle.isDone());
        assertTrue(second.isDone(), "every waiter is told");
        u.begin();
        assertFalse(u.whenIdle().isDone(), "a new wait waits for the new request");
        u.end();
    }

    @Test
    void aRuntimeWeightCountsUntilResetAndTheConfiguredOneStaysKnown() {
        Upstream u = pool(PoolConfig.Strategy.ROUND_ROBIN).upstreams().get(0);
        u.setRuntimeWeight(5);
        assertEquals(5, u.weight());
        assertEquals(1, u.configuredWeight());
        assertEquals(5 * Upstream.WEIGHT_SCALE, u.effectiveWeight());
        assertTrue(u.weightOverridden());
        u.setRuntimeWeight(1);
        assertFalse(u.weightOverridden(), "setting the configured weight is no override");
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> u.setRuntimeWeight(1001));
    }

    @Test
    void aReloadGivesKeptUpstreamsTheNewLatencyDecay() {
        long[] now = {1_000_000_000L};
        PoolConfig d = pool(PoolConfig.Strategy.LATENCY_WEIGHTED).config();
        PoolRuntime p = new PoolRuntime(d, new SplittableRandom(1), () -> now[0]);
        Upstream a = p.upstreams().get(0);
        a.latency().observe(1_000_000_000L); // one second
        p.reconfigure(new PoolConfig(d.name(), d.strategy(), d.upstreams(), d.timeouts(), d.connections(),
                d.buffering(), d.errorPage(), java.time.Duration.ofSeconds(1), d.hash(), d.queue(), d.choiceCount(),
                d.healthCheck(), d.retries(), d.outlierDetection(), d.slowStart(), d.panicThreshold()), u -> { });
        assertSame(a, p.upstreams().get(0), "kept, with its estimate");
        now[0] += 1_000_000_000L; // one new τ
        assertEquals(1e9 * Math.exp(-1), a.latency().nanos(), 1e3);
    }
}
