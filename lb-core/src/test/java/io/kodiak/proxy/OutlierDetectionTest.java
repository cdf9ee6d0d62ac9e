package io.kodiak.proxy;

import io.kodiak.config.OutlierConfig;
import io.kodiak.testing.Action;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.ScriptedUpstream;
import io.kodiak.upstream.Upstream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Passive health over real sockets: an upstream that fails on live traffic is taken out, then comes back. */
@Timeout(30)
class OutlierDetectionTest {
    private final List<ScriptedUpstream> ups = new ArrayList<>();

    @AfterEach
    void stopUpstreams() {
        ups.forEach(ScriptedUpstream::close);
    }

    @Test
    void anUpstreamThatKeepsResettingIsEjectedAndReturnsAfterTheEjectionTime() throws Exception {
        AtomicBoolean broken = new AtomicBoolean(true);
        ScriptedUpstream a = ScriptedUpstream.start("a", r -> broken.get() ? Action.reset() : ScriptedUpstream.defaultResponse("a", r));
        ScriptedUpstream b = ScriptedUpstream.start("b");
        ups.add(a);
        ups.add(b);
        OutlierConfig three = new OutlierConfig(3, false, Duration.ofMillis(500), Duration.ofSeconds(5), 50);
        try (TestProxy proxy = ProxyConfig.to(a, b).outliers(three).start()) {
            int failed = 0;
            for (int i = 0; i < 20; i++) {
                try (RawClient c = proxy.client()) {
                    if (c.get("/r" + i).status() == 502) {
                        failed++;
                    }
                }
            }
            assertEquals(3, failed, "three failures in a row, then a is out and b answers everything");
            assertEquals(3, a.requestsReceived());
            Upstream ua = proxy.kodiak().pool(ProxyConfig.POOL).upstreams().get(0);
            broken.set(false);
            Conditions.await("a back after its ejection", () -> !ua.ejected(), Duration.ofSeconds(10));
            try (RawClient c = proxy.client()) {
                for (int i = 0; i < 4; i++) {
                    assertEquals(200, c.get("/s" + i).status());
                }
            }
            assertEquals(5, a.requestsReceived(), "round-robin sends a its share again");
        }
    }
}
