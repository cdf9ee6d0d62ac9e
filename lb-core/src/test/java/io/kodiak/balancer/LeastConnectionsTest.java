package io.kodiak.balancer;

import io.kodiak.config.UpstreamConfig;
import io.kodiak.upstream.Upstream;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LeastConnectionsTest {
    private static Upstream up(String name, int weight, int inFlight) {
        Upstream u = new Upstream("p", new UpstreamConfig(name, "127.0.0.1", 1000 + name.charAt(0), weight));
        for (int i = 0; i < inFlight; i++) {
            u.begin();
        }
        return u;
    }

    @Test
    void picksTheUpstreamWithFewestRequestsInFlight() {
        Upstream a = up("a", 1, 3);
        Upstream b = up("b", 1, 1);
        Upstream c = up("c", 1, 2);
        var s = new LeastConnections<>(List.of(a, b, c), new SplittableRandom(1));
        assertEquals(b, s.pick(u -> true));
        b.begin();
        b.begin(); // b now has 3, c has 2
        assertEquals(c, s.pick(u -> true));
    }

    @Test
    void weightsScaleTheLoad() {
        Upstream big = up("big", 4, 6);   // 6/4 = 1.5
        Upstream small = up("small", 1, 2); // 2/1 = 2
        var s = new LeastConnections<>(List.of(small, big), new SplittableRandom(1));
        assertEquals(big, s.pick(u -> true));
        big.begin();
        big.begin(); // 8/4 = 2: a tie, either may win
        big.begin(); // 9/4 > 2
        assertEquals(small, s.pick(u -> true));
    }

    @Test
    void tiedUpstreamsTakeTurnsNotListOrder() {
        List<Upstream> ups = List.of(up("a", 1, 0), up("b", 1, 0), up("c", 1, 0), up("d", 1, 0));
        var s = new LeastConnections<>(ups, new SplittableRandom(7));
        for (int window = 0; window < 100; window++) {
            Map<String, Integer> counts = new HashMap<>();
            for (int i = 0; i < 4; i++) {
                counts.merge(s.pick(u -> true).name(), 1, Integer::sum);
            }
            assertEquals(Map.of("a", 1, "b", 1, "c", 1, "d", 1), counts, "every 4 tied picks cover all 4");
        }
    }

    @Test
    void ofPartlyTiedUpstreamsTheTiedOnesShareEvenly() {
        List<Upstream> ups = List.of(up("a", 1, 3), up("b", 1, 1), up("c", 1, 2), up("d", 1, 1));
        var s = new LeastConnections<>(ups, new SplittableRandom(3));
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < 400; i++) {
            counts.merge(s.pick(u -> true).name(), 1, Integer::sum);
        }
        assertEquals(Map.of("b", 200, "d", 200), counts);
    }

    @Test
    void theFirstTurnIsRandomisedSoInstancesDoNotStartTogether() {
        List<Upstream> ups = List.of(up("a", 1, 0), up("b", 1, 0), up("c", 1, 0), up("d", 1, 0));
        var firsts = new java.util.HashSet<String>();
        for (int seed = 0; seed < 40; seed++) {
            firsts.add(new LeastConnections<>(ups, new SplittableRandom(seed)).pick(u -> true).name());
        }
        assertEquals(4, firsts.size(), "first picks of 40 instances: " + firsts);
    }

    @Test
    void onlyEligibleUpstreamsArePicked() {
        Upstream a = up("a", 1, 0);
        Upstream b = up("b", 1, 5);
        var s = new LeastConnections<>(List.of(a, b), new SplittableRandom(1));
        assertEquals(b, s.pick(u -> u != a));
        assertNull(s.pick(u -> false));
    }

    /**
     * P2C over four upstreams with loads 0 < 1 < 2 < 3: each of the six pairs is equally likely and
     * its lesser wins, so the least loaded wins 3/6 of the picks, the next 2/6, the third 1/6, and
     * the most loaded never, unlike a full scan, which always takes the least loaded.
     */
    @Test
    void twoChoicesTakeTheLesserOfARandomPair() {
        List<Upstream> ups = List.of(up("a", 1, 0), up("b", 1, 1), up("c", 1, 2), up("d", 1, 3));
        var s = new LeastConnections<>(ups, new SplittableRandom(5), 2);
        Map<String, Integer> counts = new HashMap<>();
        int picks = 60_000;
        for (int i = 0; i < picks; i++) {
            counts.merge(s.pick(u -> true).name(), 1, Integer::sum);
        }
        assertNull(counts.get("d"), "the most loaded upstream never wins a pair: " + counts);
        assertShare(counts, "a", picks, 3 / 6.0);
        assertShare(counts, "b", picks, 2 / 6.0);
        assertShare(counts, "c", picks, 1 / 6.0);
    }

    @Test
    void choicesWeighTheLoad() {
        Upstream big = up("big", 4, 6);     // 6/4 = 1.5
        Upstream small = up("small", 1, 2); // 2/1 = 2
        Upstream busy = up("busy", 1, 9);
        var s = new LeastConnections<>(List.of(small, big, busy), new SplittableRandom(2), 2);
        for (int i = 0; i < 100; i++) {
            Upstream picked = s.pick(u -> true);
            assertTrue(picked != busy, "busy loses every pair it is drawn in");
            assertEquals(big, s.pick(u -> u != busy), "of small and big, big is less loaded per weight");
        }
    }

    @Test
    void choicesAtOrAboveThePoolSizeScanEverything() {
        List<Upstream> ups = List.of(up("a", 1, 4), up("b", 1, 2), up("c", 1, 0), up("d", 1, 3));
        for (int d : List.of(4, 10, Integer.MAX_VALUE)) {
            var s = new LeastConnections<>(ups, new SplittableRandom(d), d);
            for (int i = 0; i < 100; i++) {
                assertEquals("c", s.pick(u -> true).name(), "d = " + d);
            }
        }
    }

    @Test
    void choicesDrawOnlyEligibleUpstreams() {
        Upstream a = up("a", 1, 0);
        Upstream b = up("b", 1, 5);
        Upstream c = up("c", 1, 7);
        var s = new LeastConnections<>(List.of(a, b, c), new SplittableRandom(1), 2);
        for (int i = 0; i < 100; i++) {
            assertEquals(b, s.pick(u -> u != a), "of b and c, b; a is not eligible");
            assertEquals(c, s.pick(u -> u == c), "one eligible upstream is picked even though two are drawn");
        }
        assertNull(s.pick(u -> false));
    }

    @Test
    void tiesUnderChoicesAreBrokenAtRandom() {
        List<Upstream> ups = List.of(up("a", 1, 0), up("b", 1, 0), up("c", 1, 0), up("d", 1, 0));
        var s = new LeastConnections<>(ups, new SplittableRandom(9), 2);
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < 4000; i++) {
            counts.merge(s.pick(u -> true).name(), 1, Integer::sum);
        }
        assertEquals(4, counts.size(), "every tied upstream must be picked: " + counts);
        counts.values().forEach(n -> assertTrue(n > 800 && n < 1200, "roughly uniform: " + counts));
    }

    static void assertShare(Map<String, Integer> counts, String name, int picks, double expected) {
        double share = counts.getOrDefault(name, 0) / (double) picks;
        assertTrue(Math.abs(share - expected) < 0.01, name + " should win " + expected + " of picks: " + counts);
    }
}
