package io.kodiak.balancer;

import io.kodiak.config.UpstreamConfig;
import io.kodiak.upstream.Upstream;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LatencyWeightedTest {
    private static final long MS = 1_000_000L;
    private final AtomicLong clock = new AtomicLong(1_000 * MS);

    private Upstream up(String name, int weight) {
        return new Upstream("p", new UpstreamConfig(name, "127.0.0.1", 1000 + name.hashCode() % 1000 + 1000, weight), clock::get);
    }

    @Test
    void ofTwoUpstreamsTheCheaperAlwaysWins() {
        Upstream fast = up("fast", 1);
        Upstream slow = up("slow", 1);
        fast.responded(200, 5 * MS);
        slow.responded(200, 50 * MS);
        var s = new LatencyWeighted<>(List.of(fast, slow), new SplittableRandom(3));
        for (int i = 0; i < 100; i++) {
            assertEquals(fast, s.pick(u -> true));
        }
    }

    @Test
    void requestsInFlightRaiseTheCost() {
        Upstream a = up("a", 1);
        Upstream b = up("b", 1);
        a.responded(200, 10 * MS);
        b.responded(200, 30 * MS);
        for (int i = 0; i < 3; i++) {
            a.begin(); // 10 ms × (3 + 1) = 40 > 30 ms × 1
        }
        assertEquals(b, new LatencyWeighted<>(List.of(a, b), new SplittableRandom(3)).pick(u -> true));
    }

    @Test
    void aFastFailingUpstreamDoesNotLookCheap() {
        Upstream failing = up("failing", 1);
        Upstream healthy = up("healthy", 1);
        healthy.responded(200, 40 * MS);
        failing.responded(503, 1 * MS); // answered in 1 ms, but with a 5xx
        assertEquals(healthy, new LatencyWeighted<>(List.of(failing, healthy), new SplittableRandom(3)).pick(u -> true));
        failing.responded(200, 1 * MS);
        failing.failed(); // a refused connect
        assertEquals(healthy, new LatencyWeighted<>(List.of(failing, healthy), new SplittableRandom(3)).pick(u -> true));
    }

    @Test
    void aSlowUpstreamAmongManyIsRarelyPickedAndOnlyAsTheLesserOfTwoEvils() {
        List<Upstream> ups = new ArrayList<>();
        for (String n : List.of("a", "b", "c", "slow")) {
            ups.add(up(n, 1));
        }
        ups.forEach(u -> u.responded(200, 10 * MS));
        ups.get(3).responded(200, 100 * MS);
        var s = new LatencyWeighted<>(ups, new SplittableRandom(11));
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < 3000; i++) {
            counts.merge(s.pick(u -> true).name(), 1, Integer::sum);
        }
        // With equal load the slow one loses every draw it is in: never picked.
        assertEquals(null, counts.get("slow"), counts.toString());
        counts.values().forEach(n -> assertTrue(n > 800, "the fast ones share: " + counts));
    }

    @Test
    void anUpstreamWithNoHistoryIsProbedAtTheDefaultRtt() {
        Upstream known = up("known", 1);
        Upstream fresh = up("fresh", 1);
        known.responded(200, 100 * MS); // slower than the 30 ms default
        assertEquals(fresh, new LatencyWeighted<>(List.of(known, fresh), new SplittableRandom(3)).pick(u -> true));
    }

    @Test
    void eligibilityIsRespected() {
        Upstream a = up("a", 1);
        Upstream b = up("b", 1);
        b.responded(200, 500 * MS);
        var s = new LatencyWeighted<>(List.of(a, b), new SplittableRandom(3));
        assertEquals(b, s.pick(u -> u != a));
        assertNull(s.pick(u -> false));
    }

    /**
     * Three choices of four upstreams leave exactly one out, so the costliest and the second
     * costliest never win (one of the two cheapest is always drawn); the cheapest wins whenever it
     * is drawn, 3/4 of the picks, and the second cheapest the remaining 1/4.
     */
    @Test
    void moreChoicesNarrowThePicksToTheCheapest() {
        List<Upstream> ups = new ArrayList<>();
        for (int i = 1; i <= 4; i++) {
            Upstream u = up("u" + i, 1);
            u.responded(200, i * 40 * MS); // above the 30 ms default, so each estimate jumps to its sample
            ups.add(u);
        }
        var s = new LatencyWeighted<>(ups, new SplittableRandom(4), 3);
        Map<String, Integer> counts = new HashMap<>();
        int picks = 40_000;
        for (int i = 0; i < picks; i++) {
            counts.merge(s.pick(u -> true).name(), 1, Integer::sum);
        }
        assertNull(counts.get("u3"), counts.toString());
        assertNull(counts.get("u4"), counts.toString());
        LeastConnectionsTest.assertShare(counts, "u1", picks, 3 / 4.0);
        LeastConnectionsTest.assertShare(counts, "u2", picks, 1 / 4.0);
    }
}
