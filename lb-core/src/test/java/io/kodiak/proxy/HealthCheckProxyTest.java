package io.kodiak.proxy;

import io.kodiak.config.ErrorPageConfig;
import io.kodiak.config.HealthCheckConfig;
import io.kodiak.health.HealthCheckPolicy;
import io.kodiak.health.HttpCheck;
import io.kodiak.health.InitialState;
import io.kodiak.testing.Action;
import io.kodiak.testing.HeaderFields;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.RawResponse;
import io.kodiak.testing.RecordedRequest;
import io.kodiak.testing.ScriptedUpstream;
import io.kodiak.upstream.PoolRuntime;
import io.kodiak.upstream.Upstream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Active health checks over real sockets: an upstream that fails its check leaves the pool's
 * selection, so no request is sent to it, and it returns when its checks pass again.
 */
@Timeout(30)
class HealthCheckProxyTest {
    /** Fast checks so the tests take little time: every 50 ms, down after 2 failures, up after 2 passes. */
    private static final HealthCheckPolicy FAST = new HealthCheckPolicy(2, 2, Duration.ofMillis(50),
            Duration.ofMillis(50), Duration.ofMillis(50), Duration.ofMillis(500), 0.0, InitialState.UP);
    private static final Duration SETTLE = Duration.ofSeconds(10);

    private final List<ScriptedUpstream> ups = new ArrayList<>();

    @AfterEach
    void stopUpstreams() {
        ups.forEach(ScriptedUpstream::close);
    }

    private ScriptedUpstream upstream(String name, AtomicBoolean healthy) throws IOException {
        ScriptedUpstream u = ScriptedUpstream.start(name, r -> r.path().equals("/health")
                ? Action.respond(healthy.get() ? 200 : 503, healthy.get() ? "ok" : "sick")
                : ScriptedUpstream.defaultResponse(name, r));
        ups.add(u);
        return u;
    }

    private static HealthCheckConfig http(String method, String path, String host) {
        return new HealthCheckConfig(HealthCheckConfig.Type.HTTP, FAST,
                new HttpCheck(method, path, host, HttpCheck.DEFAULT_STATUS, null, HealthCheckConfig.NODE_HEADERS));
    }

    private static List<String> available(TestProxy proxy) {
        return proxy.kodiak().pool(ProxyConfig.POOL).selection().members().stream().map(Upstream::name).toList();
    }

    private static long proxiedRequests(ScriptedUpstream u) {
        return u.requests().stream().filter(r -> !r.path().equals("/health")).count();
    }

    @Test
    void anUpstreamFailingItsHttpCheckGetsNoRequestsUntilItPassesAgain() throws Exception {
        AtomicBoolean bHealthy = new AtomicBoolean(true);
        ScriptedUpstream a = upstream("a", new AtomicBoolean(true));
        ScriptedUpstream b = upstream("b", bHealthy);
        try (TestProxy proxy = ProxyConfig.to(a, b).healthCheck(http("GET", "/health", null)).start();
             RawClient c = proxy.client()) {
            Conditions.await("b checked", () -> b.requests().stream().anyMatch(r -> r.path().equals("/health")), SETTLE);

            bHealthy.set(false);
            Conditions.await("b out of the selection", () -> available(proxy).equals(List.of("a")), SETTLE);
            long before = proxiedRequests(b);
            for (int i = 0; i < 20; i++) {
                RawResponse r = c.get("/x" + i);
                assertEquals(200, r.status(), r.toString());
                assertEquals("a", r.header("X-Upstream"));
            }
            assertEquals(before, proxiedRequests(b), "a down upstream must get no requests");
            assertTrue(!proxy.kodiak().pool(ProxyConfig.POOL).upstreams().get(1).healthy());

            bHealthy.set(true);
            Conditions.await("b back in the selection", () -> available(proxy).equals(List.of("a", "b")), SETTLE);
            for (int i = 0; i < 10; i++) {
                assertEquals(200, c.get("/y" + i).status());
            }
            assertEquals(before + 5, proxiedRequests(b), "round-robin sends b every other request again");
        }
    }

    @Test
    void anUpstreamThatComesBackUpStartsSlowly() throws Exception {
        AtomicBoolean bHealthy = new AtomicBoolean(true);
        ScriptedUpstream a = upstream("a", new AtomicBoolean(true));
        ScriptedUpstream b = upstream("b", bHealthy);
        try (TestProxy proxy = ProxyConfig.to(a, b).healthCheck(http("GET", "/health", null))
                .slowStart(Duration.ofMinutes(10)).start()) {
            Upstream ub = proxy.kodiak().pool(ProxyConfig.POOL).upstreams().get(1);
            assertTrue(!ub.slowStarting(), "no slow start at start-up, as in HAProxy");
            bHealthy.set(false);
            Conditions.await("b down", () -> available(proxy).equals(List.of("a")), SETTLE);
            bHealthy.set(true);
            Conditions.await("b back", () -> available(proxy).equals(List.of("a", "b")), SETTLE);
            assertTrue(ub.slowStarting());
            assertTrue(ub.effectiveWeight() < Upstream.WEIGHT_SCALE / 10, "seconds into a 10 minute ramp: " + ub.effectiveWeight());
            try (RawClient c = proxy.client()) {
                for (int i = 0; i < 20; i++) {
                    assertEquals("a", c.get("/x" + i).header("X-Upstream"), "a ramping b gets almost nothing yet");
                }
            }
        }
    }

    @Test
    void theNodeDrainsAndReweightsItselfThroughItsHealthResponse() throws Exception {
        AtomicReference<String> state = new AtomicReference<>("ready");
        AtomicReference<String> weight = new AtomicReference<>("100%");
        ScriptedUpstream a = upstream("a", new AtomicBoolean(true));
        ScriptedUpstream b = ScriptedUpstream.start("b", r -> r.path().equals("/health")
                ? Action.respond(200, HeaderFields.of("X-Kodiak-State", state.get(), "X-Kodiak-Weight", weight.get(),
                        "Content-Type", "text/plain"), "ok".getBytes(StandardCharsets.UTF_8))
                : ScriptedUpstream.defaultResponse("b", r));
        ups.add(b);
        try (TestProxy proxy = ProxyConfig.to(a, b).healthCheck(http("GET", "/health", null)).start();
             RawClient c = proxy.client()) {
            Upstream ub = proxy.kodiak().pool(ProxyConfig.POOL).upstreams().get(1);
            state.set("drain");
            Conditions.await("b drained", () -> available(proxy).equals(List.of("a")), SETTLE);
            assertTrue(ub.healthy(), "drained, not down: its checks pass");
            long before = proxiedRequests(b);
            for (int i = 0; i < 10; i++) {
                assertEquals("a", c.get("/x" + i).header("X-Upstream"));
            }
            assertEquals(before, proxiedRequests(b));

            state.set("ready");
            weight.set("50%");
            Conditions.await("b ready at half weight", () -> available(proxy).size() == 2 && ub.nodeWeightPercent() == 50, SETTLE);
            long b0 = proxiedRequests(b);
            for (int i = 0; i < 30; i++) {
                assertEquals(200, c.get("/y" + i).status());
            }
            assertEquals(b0 + 10, proxiedRequests(b), "weights 100 : 50 give b a third");

            weight.set("0%");
            Conditions.await("0% drains b", () -> available(proxy).equals(List.of("a")), SETTLE);
        }
    }

    @Test
    void theHttpCheckSendsTheConfiguredMethodPathAndHost() throws Exception {
        ScriptedUpstream a = upstream("a", new AtomicBoolean(true));
        try (TestProxy proxy = ProxyConfig.to(a).healthCheck(http("HEAD", "/health", "app.internal")).start()) {
            RecordedRequest check = a.takeRequest(SETTLE);
            assertEquals("HEAD", check.method());
            assertEquals("/health", check.target());
            assertEquals("app.internal", check.header("Host"));
            assertEquals("close", check.header("Connection"), "every check on a new connection, as HAProxy's");
            assertEquals(List.of("a"), available(proxy));
        }
    }

    @Test
    void aRefusingUpstreamFailsTheTcpCheckAndReturnsWhenItListensAgain() throws Exception {
        ScriptedUpstream a = upstream("a", new AtomicBoolean(true));
        ScriptedUpstream b = upstream("b", new AtomicBoolean(true));
        HealthCheckConfig tcp = new HealthCheckConfig(HealthCheckConfig.Type.TCP, FAST, null);
        try (TestProxy proxy = ProxyConfig.to(a, b).healthCheck(tcp).start(); RawClient c = proxy.client()) {
            b.refuseConnections();
            Conditions.await("b out of the selection", () -> available(proxy).equals(List.of("a")), SETTLE);
            for (int i = 0; i < 6; i++) {
                assertEquals("a", c.get("/x" + i).header("X-Upstream"));
            }
            b.acceptConnections();
            Conditions.await("b back in the selection", () -> available(proxy).equals(List.of("a", "b")), SETTLE);
            long before = proxiedRequests(b);
            for (int i = 0; i < 6; i++) {
                assertEquals(200, c.get("/y" + i).status());
            }
            assertEquals(before + 3, proxiedRequests(b));
        }
    }

    @Test
    void withNoUpstreamUpRequestsGetTheErrorPageAtOnce() throws Exception {
        AtomicBoolean healthy = new AtomicBoolean(true);
        ScriptedUpstream a = upstream("a", healthy);
        byte[] page = "<h1>down for maintenance</h1>".getBytes(StandardCharsets.UTF_8);
        try (TestProxy proxy = ProxyConfig.to(a).healthCheck(http("GET", "/health", null))
                .errorPage(new ErrorPageConfig(503, "text/html", null, page)).start();
             RawClient c = proxy.client()) {
            healthy.set(false);
            Conditions.await("no upstream up", () -> available(proxy).isEmpty(), SETTLE);
            long before = proxiedRequests(a);
            RawResponse r = c.get("/x");
            assertEquals(503, r.status());
            assertEquals("<h1>down for maintenance</h1>", r.bodyString());
            assertEquals(before, proxiedRequests(a), "no request may reach an upstream that is down");
        }
    }

    @Test
    void withoutAnErrorPageNoUpstreamUpIs503WithRetryAfter() throws Exception {
        AtomicBoolean healthy = new AtomicBoolean(false);
        ScriptedUpstream a = upstream("a", healthy);
        try (TestProxy proxy = ProxyConfig.to(a).healthCheck(http("GET", "/health", null)).start();
             RawClient c = proxy.client()) {
            Conditions.await("no upstream up", () -> available(proxy).isEmpty(), SETTLE);
            RawResponse r = c.get("/x");
            assertEquals(503, r.status());
            assertEquals("1", r.header("Retry-After"));
            assertEquals(0, proxiedRequests(a));
        }
    }

    @Test
    void queuedRequestsGoToAnUpstreamThatComesBack() throws Exception {
        AtomicBoolean bHealthy = new AtomicBoolean(false);
        ScriptedUpstream a = ScriptedUpstream.start("a", r -> r.path().equals("/health") ? Action.ok("ok")
                : r.path().equals("/slow") ? Action.sequence(Action.stall(Duration.ofSeconds(20)), Action.ok("late"))
                : ScriptedUpstream.defaultResponse("a", r));
        ups.add(a);
        ScriptedUpstream b = upstream("b", bHealthy);
        try (TestProxy proxy = ProxyConfig.to(a, b).maxConnections(1).queue(10, Duration.ofSeconds(20))
                .healthCheck(http("GET", "/health", null)).start();
             RawClient slow = proxy.client(); RawClient c = proxy.client()) {
            Conditions.await("b down", () -> available(proxy).equals(List.of("a")), SETTLE);
            slow.send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n"); // holds a's only slot
            a.await("a busy", () -> a.requestsInProgress() == 1, SETTLE);
            c.send("GET /queued HTTP/1.1\r\nHost: t\r\n\r\n");
            Conditions.await("a request queued", () -> proxy.kodiak().queued(ProxyConfig.POOL) == 1, SETTLE);
            bHealthy.set(true);
            RawResponse r = c.readResponse();
            assertEquals(200, r.status());
            assertEquals("b", r.header("X-Upstream"), "the queued request goes to b as soon as b is up");
        }
    }

    @Test
    void queuedRequestsAreAnsweredAtOnceWhenTheLastUpstreamGoesDown() throws Exception {
        AtomicBoolean healthy = new AtomicBoolean(true);
        ScriptedUpstream a = ScriptedUpstream.start("a", r -> r.path().equals("/health")
                ? Action.respond(healthy.get() ? 200 : 503, "check")
                : r.path().equals("/slow") ? Action.sequence(Action.stall(Duration.ofSeconds(20)), Action.ok("late"))
                : ScriptedUpstream.defaultResponse("a", r));
        ups.add(a);
        try (TestProxy proxy = ProxyConfig.to(a).maxConnections(1).queue(10, Duration.ofSeconds(30))
                .healthCheck(http("GET", "/health", null)).start();
             RawClient slow = proxy.client(); RawClient c = proxy.client()) {
            slow.send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n"); // holds a's only slot
            a.await("a busy", () -> a.requestsInProgress() == 1, SETTLE);
            c.send("GET /queued HTTP/1.1\r\nHost: t\r\n\r\n");
            Conditions.await("a request queued", () -> proxy.kodiak().queued(ProxyConfig.POOL) == 1, SETTLE);
            healthy.set(false);
            // The queue's timeout is 30 s and the client's read timeout 10 s: only an early answer passes.
            RawResponse r = c.readResponse();
            assertEquals(503, r.status());
            assertEquals(0, proxy.kodiak().queued(ProxyConfig.POOL));
        }
    }

    @Test
    void theSelectionOnlyChangesOnTransitions() throws Exception {
        ScriptedUpstream a = upstream("a", new AtomicBoolean(true));
        try (TestProxy proxy = ProxyConfig.to(a).healthCheck(http("GET", "/health", null)).start()) {
            PoolRuntime pool = proxy.kodiak().pool(ProxyConfig.POOL);
            PoolRuntime.Selection first = pool.selection();
            a.await("checked a few times", () -> a.requests().size() >= 3, SETTLE);
            assertTrue(first == pool.selection(), "passing checks must not rebuild the selection (and reset round-robin)");
        }
    }
}
