package io.kodiak.proxy;

import io.kodiak.config.PoolConfig;
import io.kodiak.testing.Action;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.ScriptedUpstream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** latency-weighted over the wire: once an upstream has answered slowly, requests go elsewhere. */
@Timeout(30)
class LatencyWeightedProxyTest {
    @Test
    void aSlowUpstreamStopsGettingRequestsAfterItsFirstSlowAnswer() throws Exception {
        try (ScriptedUpstream fast = ScriptedUpstream.start("fast");
             ScriptedUpstream slow = ScriptedUpstream.builder("slow")
                     .handler(r -> Action.stall(Duration.ofMillis(100)).then(ScriptedUpstream.defaultResponse("slow", r)))
                     .start();
             TestProxy proxy = ProxyConfig.to(fast, slow).strategy(PoolConfig.Strategy.LATENCY_WEIGHTED).start();
             RawClient c = proxy.client()) {
            for (int i = 0; i < 40; i++) {
                assertEquals(200, c.get("/" + i).status());
            }
            // Both start at the default RTT; the slow one may win the first draw, never a later one:
            // its 100 ms peak stays above the fast one's estimate for the whole test.
            assertTrue(slow.requestsReceived() <= 1, "slow got " + slow.requestsReceived());
            assertEquals(40, fast.requestsReceived() + slow.requestsReceived());
        }
    }
}
