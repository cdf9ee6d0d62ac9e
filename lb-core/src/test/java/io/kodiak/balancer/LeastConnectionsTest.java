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
        var s = new LeastConnections(List.of(a, b, c), new SplittableRandom(1));
        assertEquals(b, s.pick(u -> true));
        b.begin();
        b.begin(); // b now has 3, c has 2
        assertEquals(c, s.pick(u -> true));
    }

    @Test
    void weightsScaleTheLoad() {
        Upstream big = up("big", 4, 6);   // 6/4 = 1.5
        Upstream small = up("small", 1, 2); // 2/1 = 2
        var s = new LeastConnections(List.of(small, big), new SplittableRandom(1));
        assertEquals(big, s.pick(u -> true));
        big.begin();
        big.begin(); // 8/4 = 2: a tie, either may win
        big.begin(); // 9/4 > 2
        assertEquals(small, s.pick(u -> true));
    }

    @Test
    void tiesAreBrokenAtRandomNotByListOrder() {
        List<Upstream> ups = List.of(up("a", 1, 0), up("b", 1, 0), up("c", 1, 0), up("d", 1, 0));
        var s = new LeastConnections(ups, new SplittableRandom(7));
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < 4000; i++) {
            counts.merge(s.pick(u -> true).name(), 1, Integer::sum);
        }
        assertEquals(4, counts.size(), "every tied upstream must be picked: " + counts);
        counts.values().forEach(n -> assertTrue(n > 800 && n < 1200, "roughly uniform: " + counts));
    }

    @Test
    void onlyEligibleUpstreamsArePicked() {
        Upstream a = up("a", 1, 0);
        Upstream b = up("b", 1, 5);
        var s = new LeastConnections(List.of(a, b), new SplittableRandom(1));
        assertEquals(b, s.pick(u -> u != a));
        assertNull(s.pick(u -> false));
    }
}
