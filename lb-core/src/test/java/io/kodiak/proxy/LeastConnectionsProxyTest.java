package io.kodiak.proxy;

import io.kodiak.config.PoolConfig;
import io.kodiak.testing.Action;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.RawResponse;
import io.kodiak.testing.ScriptedUpstream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** least-connections over the wire: an upstream busy with a request gets no new ones while another is idle. */
@Timeout(30)
class LeastConnectionsProxyTest {
    @Test
    void requestsAvoidTheUpstreamThatIsStillBusy() throws Exception {
        Function<String, Function<io.kodiak.testing.RecordedRequest, Action>> handler = name -> r ->
                r.path().equals("/slow") ? Action.stall(Duration.ofSeconds(20)) : ScriptedUpstream.defaultResponse(name, r);
        try (ScriptedUpstream a = ScriptedUpstream.builder("a").handler(handler.apply("a")).start();
             ScriptedUpstream b = ScriptedUpstream.builder("b").handler(handler.apply("b")).start();
             TestProxy proxy = ProxyConfig.to(a, b).strategy(PoolConfig.Strategy.LEAST_CONNECTIONS).start();
             RawClient slow = proxy.client();
             RawClient fast = proxy.client()) {
            slow.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
            Conditions.await("the slow request reached an upstream",
                    () -> a.requestsInProgress() + b.requestsInProgress() == 1, Duration.ofSeconds(10));
            ScriptedUpstream busy = a.requestsInProgress() == 1 ? a : b;
            ScriptedUpstream idle = busy == a ? b : a;

            for (int i = 0; i < 10; i++) {
                RawResponse r = fast.get("/fast/" + i);
                assertEquals(200, r.status());
                assertEquals(idle.name(), r.header("X-Upstream"), "request " + i + " went to the busy upstream");
            }
            assertEquals(1, busy.requestsReceived(), "the busy upstream got only the slow request");
            assertEquals(10, idle.requestsReceived());
        }
    }
}
