package io.kodiak.upstream;

import io.kodiak.config.BufferingConfig;
import io.kodiak.config.ConnectionPoolConfig;
import io.kodiak.config.HashConfig;
import io.kodiak.config.HealthCheckConfig;
import io.kodiak.config.OutlierConfig;
import io.kodiak.config.PoolConfig;
import io.kodiak.config.QueueConfig;
import io.kodiak.config.RetryConfig;
import io.kodiak.config.UpstreamConfig;
import io.kodiak.config.UpstreamTimeouts;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Ejections on a fake clock with a scheduler the test runs by hand: no threads, no sleeps. */
class OutlierDetectorTest {
    private final AtomicLong clock = new AtomicLong(TimeUnit.SECONDS.toNanos(1_000));
    /** Scheduled ejection ends: when each is due, and what it does. */
    private final List<long[]> due = new ArrayList<>();
    private final List<Runnable> tasks = new ArrayList<>();
    private final List<String> returned = new ArrayList<>();

    private PoolRuntime pool(int upstreams, OutlierConfig outliers) {
        List<UpstreamConfig> ups = new ArrayList<>();
        for (int i = 0; i < upstreams; i++) {
            ups.add(new UpstreamConfig("u" + i, "127.0.0.1", 9000 + i, 1));
        }
        PoolConfig pc = new PoolConfig("p", PoolConfig.Strategy.ROUND_ROBIN, ups, UpstreamTimeouts.DEFAULTS,
                ConnectionPoolConfig.DEFAULTS, BufferingConfig.defaults(), null, PoolConfig.DEFAULT_LATENCY_DECAY,
                HashConfig.DEFAULTS, QueueConfig.DEFAULTS, PoolConfig.ALL_CHOICES, HealthCheckConfig.DEFAULTS,
                RetryConfig.DEFAULTS, outliers, Duration.ZERO, 0);
        PoolRuntime p = new PoolRuntime(pc, new SplittableRandom(1), clock::get);
        p.outliers().start((task, delay) -> {
            due.add(new long[] {clock.get() + delay});
            tasks.add(task);
        }, u -> returned.add(u.name()));
        return p;
    }

    private static final OutlierConfig FIVE = new OutlierConfig(5, false, Duration.ofSeconds(30), Duration.ofSeconds(300), 50);

    /** Advances the clock and runs every scheduled task that is due by then, in order. */
    private void advance(Duration d) {
        clock.addAndGet(d.toNanos());
        for (int i = 0; i < tasks.size(); i++) {
            if (tasks.get(i) != null && due.get(i)[0] <= clock.get()) {
                Runnable t = tasks.get(i);
                tasks.set(i, null);
                t.run();
            }
        }
    }

    private static void fail(Upstream u, int times) {
        for (int i = 0; i < times; i++) {
            u.failed();
        }
    }

    private static List<String> members(PoolRuntime p) {
        return p.selection().members().stream().map(Upstream::name).toList();
    }

    @Test
    void consecutiveFailuresEjectForTheBaseTime() {
        PoolRuntime p = pool(3, FIVE);
        Upstream u0 = p.upstreams().get(0);
        fail(u0, 4);
        assertFalse(u0.ejected(), "4 of 5");
        u0.failed();
        assertTrue(u0.ejected());
        assertEquals(List.of("u1", "u2"), members(p));
        advance(Duration.ofSeconds(29));
        assertTrue(u0.ejected(), "30 s, not less");
        advance(Duration.ofSeconds(1));
        assertFalse(u0.ejected());
        assertEquals(List.of("u0", "u1", "u2"), members(p));
        assertEquals(List.of("u0"), returned, "its slots are offered to the queue");
    }

    @Test
    void aSuccessInBetweenStartsTheCountOver() {
        PoolRuntime p = pool(3, FIVE);
        Upstream u0 = p.upstreams().get(0);
        fail(u0, 4);
        u0.responded(200, 1_000_000);
        fail(u0, 4);
        assertFalse(u0.ejected());
        u0.failed();
        assertTrue(u0.ejected());
    }

    @Test
    void fiveHundredsCountOnlyWhenConfigured() {
        PoolRuntime off = pool(3, FIVE);
        Upstream a = off.upstreams().get(0);
        for (int i = 0; i < 10; i++) {
            a.responded(503, 1_000_000);
        }
        assertFalse(a.ejected());
        PoolRuntime on = pool(3, new OutlierConfig(5, true, Duration.ofSeconds(30), Duration.ofSeconds(300), 50));
        Upstream b = on.upstreams().get(0);
        for (int i = 0; i < 5; i++) {
            b.responded(503, 1_000_000);
        }
        assertTrue(b.ejected());
    }

    @Test
    void repeatedEjectionsLastLongerUpToTheMaximum() {
        PoolRuntime p = pool(3, new OutlierConfig(1, false, Duration.ofSeconds(30), Duration.ofSeconds(70), 50));
        Upstream u0 = p.upstreams().get(0);
        long[] expected = {30, 60, 70, 70};
        for (long seconds : expected) {
            u0.failed();
            assertTrue(u0.ejected());
            advance(Duration.ofSeconds(seconds - 1));
            assertTrue(u0.ejected(), "ejection lasts " + seconds + " s");
            advance(Duration.ofSeconds(1));
            assertFalse(u0.ejected(), "ejection lasts " + seconds + " s");
        }
        advance(Duration.ofSeconds(69));
        u0.failed();
        advance(Duration.ofSeconds(69));
        assertTrue(u0.ejected(), "back for 69 s only: the fifth ejection still lasts 70 s");
        advance(Duration.ofSeconds(1));
        advance(Duration.ofSeconds(70));
        u0.failed();
        advance(Duration.ofSeconds(30));
        assertFalse(u0.ejected(), "back for max-ejection-time: the count starts over at 30 s");
    }

    @Test
    void atMostTheMaxPercentIsEjectedButAlwaysOne() {
        PoolRuntime p = pool(3, new OutlierConfig(1, false, Duration.ofSeconds(30), Duration.ofSeconds(300), 10));
        p.upstreams().get(0).failed();
        p.upstreams().get(1).failed();
        assertTrue(p.upstreams().get(0).ejected(), "10 % of 3 rounds down to 0, but one may always go");
        assertFalse(p.upstreams().get(1).ejected(), "a second would exceed 10 %");
        PoolRuntime half = pool(4, new OutlierConfig(1, false, Duration.ofSeconds(30), Duration.ofSeconds(300), 50));
        half.upstreams().forEach(Upstream::failed);
        assertEquals(2, half.upstreams().stream().filter(Upstream::ejected).count());
    }

    @Test
    void theLastAvailableUpstreamIsNeverEjected() {
        PoolRuntime p = pool(2, new OutlierConfig(1, false, Duration.ofSeconds(30), Duration.ofSeconds(300), 100));
        p.upstreams().get(0).setHealthy(false);
        p.refresh();
        p.upstreams().get(1).failed();
        assertFalse(p.upstreams().get(1).ejected(), "ejecting it would leave no upstream at all");
        assertEquals(List.of("u1"), members(p));
    }

    @Test
    void ejectionAndHealthAreIndependentFlags() {
        PoolRuntime p = pool(3, FIVE);
        Upstream u0 = p.upstreams().get(0);
        fail(u0, 5);
        u0.setHealthy(false); // the active check found it down meanwhile
        p.refresh();
        advance(Duration.ofSeconds(30));
        assertFalse(u0.ejected());
        assertFalse(u0.available(), "the ejection is over, but its health check still says DOWN");
        assertEquals(List.of("u1", "u2"), members(p));
        u0.setHealthy(true);
        p.refresh();
        assertEquals(List.of("u0", "u1", "u2"), members(p));
    }

    @Test
    void anUpstreamThatRecoversThroughItsActiveCheckReturnsAtOnce() {
        PoolRuntime p = pool(3, FIVE);
        Upstream u0 = p.upstreams().get(0);
        fail(u0, 5);
        assertTrue(u0.ejected());
        assertTrue(p.outliers().healthRestored(u0));
        p.refresh();
        assertEquals(List.of("u0", "u1", "u2"), members(p));
        fail(u0, 5); // ejected again, the second time: 60 s
        advance(Duration.ofSeconds(30));
        assertTrue(u0.ejected(), "the first ejection's end must not end the second one");
        advance(Duration.ofSeconds(30));
        assertFalse(u0.ejected());
        assertFalse(p.outliers().healthRestored(u0), "nothing to end");
    }

    @Test
    void zeroConsecutiveFailuresTurnsItOff() {
        PoolRuntime p = pool(3, OutlierConfig.OFF);
        fail(p.upstreams().get(0), 1_000);
        assertFalse(p.upstreams().get(0).ejected());
    }
}
