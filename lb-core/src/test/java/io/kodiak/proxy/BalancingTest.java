package io.kodiak.proxy;

import io.kodiak.testing.RawClient;
import io.kodiak.testing.RawResponse;
import io.kodiak.testing.ScriptedUpstream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Round-robin over real sockets: every upstream gets traffic, and weights give exact shares. */
@Timeout(30)
class BalancingTest {
    private final List<ScriptedUpstream> ups = new ArrayList<>();

    @BeforeEach
    void startUpstreams() throws IOException {
        for (String name : List.of("a", "b", "c")) {
            ups.add(ScriptedUpstream.start(name));
        }
    }

    @AfterEach
    void stopUpstreams() {
        ups.forEach(ScriptedUpstream::close);
    }

    @Test
    void equalWeightsSpreadEvenlyOverThreeUpstreams() throws Exception {
        try (TestProxy proxy = ProxyConfig.to(ups.get(0), ups.get(1), ups.get(2)).start();
             RawClient c = proxy.client()) {
            Map<String, Integer> seen = send(c, 30);
            assertEquals(Map.of("a", 10, "b", 10, "c", 10), seen);
        }
        for (ScriptedUpstream u : ups) {
            assertEquals(10, u.requestsReceived(), u.toString());
        }
    }

    @Test
    void weightsTwoOneOneGiveExactSharesOverEveryWindow() throws Exception {
        ProxyConfig config = new ProxyConfig()
                .upstream("a", ups.get(0).port(), 2)
                .upstream("b", ups.get(1).port(), 1)
                .upstream("c", ups.get(2).port(), 1);
        try (TestProxy proxy = config.start(); RawClient c = proxy.client()) {
            // Smooth weighted round-robin repeats with period sum(weights) = 4 from a random phase,
            // so every window of 4 consecutive requests holds a twice and b and c once each.
            for (int window = 0; window < 10; window++) {
                assertEquals(Map.of("a", 2, "b", 1, "c", 1), send(c, 4), "window " + window);
            }
        }
        assertEquals(20, ups.get(0).requestsReceived());
        assertEquals(10, ups.get(1).requestsReceived());
        assertEquals(10, ups.get(2).requestsReceived());
    }

    /** Sends {@code n} sequential GETs on one keep-alive connection; counts answers per upstream. */
    private static Map<String, Integer> send(RawClient c, int n) throws IOException {
        Map<String, Integer> seen = new TreeMap<>();
        for (int i = 0; i < n; i++) {
            RawResponse r = c.get("/r" + i);
            assertEquals(200, r.status(), r.toString());
            String upstream = r.header("X-Upstream");
            assertEquals(upstream + " GET /r" + i, r.bodyString());
            seen.merge(upstream, 1, Integer::sum);
        }
        return seen;
    }
}
