package io.kodiak.balancer;

import io.kodiak.config.UpstreamConfig;
import io.kodiak.upstream.Upstream;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class SmoothWeightedRoundRobinTest {
    private static Upstream up(String name, int weight) {
        return new Upstream("p", new UpstreamConfig(name, "127.0.0.1", 1000 + weight, weight));
    }

    /** A random source whose first nextInt is 0: the sequence starts at nginx's phase. */
    private static Random phaseZero() {
        return new Random() {
            @Override
            public int nextInt(int bound) {
                return 0;
            }
        };
    }

    @Test
    void sequenceIsNginxSmoothOrder() {
        var s = new SmoothWeightedRoundRobin<>(List.of(up("a", 5), up("b", 1), up("c", 1)), phaseZero());
        String seq = IntStream.range(0, 14).mapToObj(i -> s.pick(u -> true).name()).collect(Collectors.joining());
        assertEquals("aabacaaaabacaa", seq); // nginx: a a b a c a a, repeating
    }

    @Test
    void everyWindowOfTotalWeightHonoursWeightsExactly() {
        var s = new SmoothWeightedRoundRobin<>(List.of(up("a", 3), up("b", 2), up("c", 1)), new Random(42));
        for (int window = 0; window < 5; window++) {
            Map<String, Integer> counts = new HashMap<>();
            for (int i = 0; i < 6; i++) {
                counts.merge(s.pick(u -> true).name(), 1, Integer::sum);
            }
            assertEquals(Map.of("a", 3, "b", 2, "c", 1), counts);
        }
    }

    @Test
    void ineligibleUpstreamsAreSkippedAndNoneEligibleGivesNull() {
        Upstream a = up("a", 1);
        Upstream b = up("b", 1);
        var s = new SmoothWeightedRoundRobin<>(List.of(a, b), new Random(1));
        for (int i = 0; i < 10; i++) {
            assertEquals("b", s.pick(u -> u != a).name());
        }
        assertNull(s.pick(u -> false));
    }

    @Test
    void startPhaseIsRandomised() {
        List<Upstream> ups = List.of(up("a", 1), up("b", 1), up("c", 1), up("d", 1));
        var firstPicks = IntStream.range(0, 40)
                .mapToObj(seed -> new SmoothWeightedRoundRobin<>(ups, new java.util.SplittableRandom(seed)).pick(u -> true).name())
                .collect(Collectors.toSet());
        assertNotEquals(1, firstPicks.size(), "every instance started on the same upstream");
    }

    /**
     * Picks from two threads at once still form one smooth sequence: every pick is one atomic step
     * of it, so 2 x 30,000 picks (a multiple of the total weight 6) honour the weights exactly. A
     * lost or doubled update would show as a count off by some.
     */
    @Test
    void concurrentPicksAreEachOneStepOfTheSequence() throws Exception {
        var s = new SmoothWeightedRoundRobin<>(List.of(up("a", 3), up("b", 2), up("c", 1)), new Random(5));
        Map<String, java.util.concurrent.atomic.AtomicInteger> counts = new java.util.concurrent.ConcurrentHashMap<>();
        var start = new java.util.concurrent.CountDownLatch(1);
        Runnable picker = () -> {
            try {
                start.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            for (int i = 0; i < 30_000; i++) {
                counts.computeIfAbsent(s.pick(u -> true).name(), k -> new java.util.concurrent.atomic.AtomicInteger())
                        .incrementAndGet();
            }
        };
        Thread t1 = new Thread(picker);
        Thread t2 = new Thread(picker);
        t1.start();
        t2.start();
        start.countDown();
        t1.join();
        t2.join();
        assertEquals(30_000, counts.get("a").get());
        assertEquals(20_000, counts.get("b").get());
        assertEquals(10_000, counts.get("c").get());
    }
}
