package io.kodiak.proxy;

import io.kodiak.Kodiak;
import io.kodiak.admin.Json;
import io.kodiak.config.AdminConfig;
import io.kodiak.config.HealthCheckConfig;
import io.kodiak.health.HealthCheckPolicy;
import io.kodiak.health.HttpCheck;
import io.kodiak.health.InitialState;
import io.kodiak.testing.Action;
import io.kodiak.testing.Loopback;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.RawResponse;
import io.kodiak.testing.ScriptedUpstream;
import io.kodiak.upstream.AdminState;
import io.kodiak.upstream.Upstream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The admin API over real sockets: what it shows, what it changes and what the data path then
 * does, its auth, and its answers to bad input (which change nothing).
 */
@Timeout(60)
class AdminApiTest {
    static final String TOKEN = "test-token-0123456789abcdef";
    private static final Duration SETTLE = Duration.ofSeconds(10);
    private static final HealthCheckPolicy FAST = new HealthCheckPolicy(1, 1, Duration.ofMillis(50),
            Duration.ofMillis(50), Duration.ofMillis(50), Duration.ofMillis(500), 0.0, InitialState.UP);

    private final List<ScriptedUpstream> ups = new ArrayList<>();
    private final List<Kodiak> kodiaks = new ArrayList<>();
    private final List<RawClient> clientsToClose = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    @TempDir
    Path dir;

    @AfterEach
    void stop() {
        kodiaks.forEach(Kodiak::close);
        ups.forEach(ScriptedUpstream::close);
    }

    private ScriptedUpstream upstream(String name) throws IOException {
        ScriptedUpstream u = ScriptedUpstream.start(name);
        ups.add(u);
        return u;
    }

    private Kodiak start(ProxyConfig c) throws IOException {
        return start(c, new AdminConfig(Loopback.at(0), TOKEN, dir.resolve("kodiak.state.json")));
    }

    private Kodiak start(ProxyConfig c, AdminConfig admin) throws IOException {
        Kodiak k = Kodiak.start(c.build().withAdmin(admin));
        kodiaks.add(k);
        return k;
    }

    record Answer(int status, Map<String, Object> body, HttpResponse<String> raw) {
        String error() {
            return String.valueOf(body.get("error"));
        }
    }

    Answer call(Kodiak k, String method, String path, String body, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + k.adminAddress().getPort() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) Json.parse(r.body());
        return new Answer(r.statusCode(), m, r);
    }

    Answer post(Kodiak k, String path, String body) throws Exception {
        return call(k, "POST", path, body, TOKEN);
    }

    private static String path(String upstream, String action) {
        return "/v1/pools/" + ProxyConfig.POOL + "/upstreams/" + upstream + (action == null ? "" : "/" + action);
    }

    /** Sends {@code n} requests through Kodiak, each on its own connection; returns who answered. */
    private static List<String> send(Kodiak k, int n) throws IOException {
        List<String> who = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            try (RawClient c = RawClient.connect(k.boundAddress(ProxyConfig.LISTENER).getPort())) {
                RawResponse r = c.get("/n" + i);
                assertEquals(200, r.status(), r.toString());
                who.add(r.header("X-Upstream"));
            }
        }
        return who;
    }

    @Test
    void statusShowsEveryUpstreamWithItsStateLoadAndWeight() throws Exception {
        ScriptedUpstream a = upstream("a");
        ScriptedUpstream b = upstream("b");
        Kodiak k = start(ProxyConfig.to(a, b));
        send(k, 4);
        Answer r = call(k, "GET", "/v1/status", null, null); // reads are open on loopback
        assertEquals(200, r.status(), r.raw().body());
        assertEquals("application/json", r.raw().headers().firstValue("Content-Type").orElse("").split(";")[0]);
        Map<String, Object> pool = map(list(r.body().get("pools")).get(0));
        assertEquals(ProxyConfig.POOL, pool.get("name"));
        List<Object> upstreams = list(pool.get("upstreams"));
        assertEquals(2, upstreams.size());
        Map<String, Object> ua = map(upstreams.get(0));
        assertEquals("a", ua.get("name"));
        assertEquals(a.hostPort(), ua.get("address"));
        assertEquals("UP", ua.get("state"));
        assertEquals(List.of(), ua.get("reasons"));
        assertEquals("ready", ua.get("admin_state"));
        assertEquals("unchecked", ua.get("health"));
        assertEquals(1L, ua.get("weight"));
        assertEquals(1L, ua.get("configured_weight"));
        assertEquals(0L, ua.get("in_flight"));
        assertEquals(2L, ua.get("requests"));
        assertEquals(0L, ua.get("failures"));
        assertTrue(r.body().get("kodiak") instanceof Map<?, ?>);
    }

    @Test
    void changesNeedTheBearerToken() throws Exception {
        ScriptedUpstream a = upstream("a");
        Kodiak k = start(ProxyConfig.to(a, upstream("b")));
        Answer none = call(k, "POST", path("a", "state"), "{\"state\":\"drain\"}", null);
        assertEquals(401, none.status());
        assertEquals("Bearer realm=\"kodiak\"", none.raw().headers().firstValue("WWW-Authenticate").orElse(null));
        assertTrue(none.error().contains("bearer token"), none.error());
        Answer wrong = call(k, "POST", path("a", "state"), "{\"state\":\"drain\"}", "not-the-token-at-all");
        assertEquals(403, wrong.status());
        assertEquals("wrong token", wrong.error());
        HttpResponse<String> basic = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                        + k.adminAddress().getPort() + path("a", "state"))).header("Authorization", "Basic " + TOKEN)
                .POST(HttpRequest.BodyPublishers.ofString("{\"state\":\"drain\"}")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(403, basic.statusCode(), "only a bearer token counts");
        assertEquals(AdminState.READY, k.upstream(ProxyConfig.POOL, "a").adminState(), "nothing changed");
        assertEquals(200, post(k, path("a", "state"), "{\"state\":\"drain\"}").status());
    }

    @Test
    void anH2cUpgradeIsRefusedAtOnceNotLeftToTimeOut() throws Exception {
        Kodiak k = start(ProxyConfig.to(upstream("a")));
        HttpClient h2c = HttpClient.newHttpClient(); // the JDK's default asks to upgrade to h2c
        HttpResponse<String> r = h2c.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                        + k.adminAddress().getPort() + path("a", "state"))).header("Authorization", "Bearer " + TOKEN)
                .timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofString("{\"state\":\"drain\"}")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(400, r.statusCode(), r.body());
        assertTrue(r.body().contains("send HTTP/1.1 without Upgrade"), r.body());
        assertEquals(AdminState.READY, k.upstream(ProxyConfig.POOL, "a").adminState());
    }

    @Test
    void badInputGetsA4xxThatSaysWhatWasWrongAndChangesNothing() throws Exception {
        Kodiak k = start(ProxyConfig.to(upstream("a"), upstream("b")));
        record Case(String method, String path, String body, int status, String says) {
        }
        List<Case> cases = List.of(
                new Case("POST", "/v1/pools/nope/upstreams/a/state", "{\"state\":\"drain\"}", 404, "no pool named \"nope\""),
                new Case("POST", path("zz", "state"), "{\"state\":\"drain\"}", 404, "has no upstream \"zz\""),
                new Case("POST", path("a", "state"), "{\"state\":\"sleep\"}", 400, "invalid state \"sleep\" (expected ready, drain or maint)"),
                new Case("POST", path("a", "state"), "{\"state\": drain}", 400, "malformed JSON: line 1, column 11"),
                new Case("POST", path("a", "state"), "[\"drain\"]", 400, "must be a JSON object"),
                new Case("POST", path("a", "state"), "{}", 400, "missing field \"state\""),
                new Case("POST", path("a", "state"), "{\"state\":\"drain\",\"force\":true}", 400, "unknown field \"force\""),
                new Case("POST", path("a", "state"), "{\"state\":3}", 400, "\"state\" must be a string"),
                new Case("POST", path("a", "weight"), "{\"weight\":1001}", 400, "\"weight\" must be an integer 0-1000"),
                new Case("POST", path("a", "weight"), "{\"weight\":1.5}", 400, "\"weight\" must be an integer 0-1000"),
                new Case("POST", path("a", "weight"), "{}", 400, "missing field \"weight\""),
                new Case("POST", path("a", "wait-drained"), "{\"timeout\":\"soon\"}", 400, "\"timeout\" must be a duration"),
                new Case("POST", path("a", "wait-drained"), "{}", 409, "is ready: drain it first"),
                new Case("POST", path("a", "explode"), "{}", 404, "no such action \"explode\""),
                new Case("GET", path("a", "state"), null, 405, "method GET is not allowed here (use POST)"),
                new Case("DELETE", "/v1/status", null, 401, "bearer token"),
                new Case("GET", "/v1/nothing", null, 404, "no such endpoint"));
        for (Case c : cases) {
            Answer r = call(k, c.method(), c.path(), c.body(), c.method().equals("DELETE") ? null : TOKEN);
            assertEquals(c.status(), r.status(), c + " -> " + r.raw().body());
            assertTrue(r.error().contains(c.says()), c + " -> " + r.error());
        }
        for (Upstream u : k.pool(ProxyConfig.POOL).upstreams()) {
            assertEquals(AdminState.READY, u.adminState(), u + ": nothing changed");
            assertFalse(u.weightOverridden(), u + ": nothing changed");
        }
        send(k, 4); // and both still serve
        assertEquals(2, k.pool(ProxyConfig.POOL).selection().members().size());
    }

    @Test
    void drainStopsNewRequestsAndClosesIdleConnectionsAndReadyBringsItBack() throws Exception {
        ScriptedUpstream a = upstream("a");
        ScriptedUpstream b = upstream("b");
        Kodiak k = start(ProxyConfig.to(a, b));
        send(k, 4);
        Conditions.await("a keeps an idle pooled connection", () -> k.idleConnections(k.upstream(ProxyConfig.POOL, "a")) > 0, SETTLE);
        Answer r = post(k, path("a", "state"), "{\"state\":\"drain\"}");
        assertEquals(200, r.status(), r.raw().body());
        assertEquals("DRAIN", r.body().get("state"));
        assertEquals(List.of("admin"), r.body().get("reasons"));
        assertEquals(0L, r.body().get("idle_connections"), "the drain closed a's idle connections");
        Conditions.await("a's side sees its connections closed", () -> a.openConnections() == 0, SETTLE);
        int before = a.requestsReceived();
        assertEquals(List.of("b", "b", "b", "b", "b", "b"), send(k, 6));
        assertEquals(before, a.requestsReceived(), "no request reached the drained upstream");
        assertEquals(0, k.idleConnections(k.upstream(ProxyConfig.POOL, "a")));

        Answer back = post(k, path(a.hostPort(), "state"), "{\"state\":\"ready\"}"); // by host:port too
        assertEquals("UP", back.body().get("state"));
        assertTrue(send(k, 6).contains("a"));
    }

    @Test
    void drainingTheLastUpstreamAnswers503AndNotTheDrainedOne() throws Exception {
        ScriptedUpstream a = upstream("a");
        Kodiak k = start(ProxyConfig.to(a));
        post(k, path("a", "state"), "{\"state\":\"drain\"}");
        try (RawClient c = RawClient.connect(k.boundAddress(ProxyConfig.LISTENER).getPort())) {
            assertEquals(503, c.get("/").status());
        }
        assertEquals(0, a.requestsReceived());
    }

    @Test
    void waitDrainedReturnsWhenTheLastRequestInFlightHasFinishedOrTimesOutWithTheCount() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch arrived = new CountDownLatch(1);
        ScriptedUpstream a = ScriptedUpstream.start("a", req -> {
            arrived.countDown();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return Action.ok("slow");
        });
        ups.add(a);
        ScriptedUpstream b = upstream("b");
        Kodiak k = start(ProxyConfig.to(a, b).strategy(io.kodiak.config.PoolConfig.Strategy.ROUND_ROBIN));
        Upstream ua = k.upstream(ProxyConfig.POOL, "a");
        // Requests until one is held by a.
        List<RawClient> clients = new ArrayList<>();
        try {
            while (ua.inFlight() == 0) {
                RawClient c = RawClient.connect(k.boundAddress(ProxyConfig.LISTENER).getPort());
                clients.add(c);
                int atB = b.requestsReceived();
                c.send("GET /held HTTP/1.1\r\nHost: x\r\n\r\n");
                if (clients.size() > 4) {
                    break;
                }
                // Picked before deciding to send another: held by a, or answered by b.
                Conditions.await("the request picked", () -> ua.inFlight() > 0 || b.requestsReceived() > atB, SETTLE);
            }
            assertTrue(arrived.await(10, TimeUnit.SECONDS));
            assertEquals(1, ua.inFlight());
            assertEquals(200, post(k, path("a", "state"), "{\"state\":\"drain\"}").status());

            Answer timedOut = post(k, path("a", "wait-drained"), "{\"timeout\":\"200ms\"}");
            assertEquals(200, timedOut.status());
            assertEquals(false, timedOut.body().get("drained"));
            assertEquals(1L, timedOut.body().get("in_flight"));

            CompletableFuture<Answer> waiting = CompletableFuture.supplyAsync(() -> {
                try {
                    return post(k, path("a", "wait-drained"), "{\"timeout\":\"20s\"}");
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            Conditions.staysFalse("the wait returns while a request is in flight", waiting::isDone, Duration.ofMillis(300));
            release.countDown();
            Answer done = waiting.get(20, TimeUnit.SECONDS);
            assertEquals(true, done.body().get("drained"), done.raw().body());
            assertEquals(0L, done.body().get("in_flight"));
            assertEquals(0, ua.inFlight());
            for (RawClient c : clients) {
                assertEquals(200, c.readResponse().status(), "the request in flight finished normally");
            }
        } finally {
            release.countDown();
            for (RawClient c : clients) {
                c.close();
            }
        }
    }

    @Test
    void maintStopsChecksAndReadyWaitsForAPassedCheck() throws Exception {
        ScriptedUpstream a = upstream("a");
        ScriptedUpstream b = upstream("b");
        HealthCheckConfig hc = new HealthCheckConfig(HealthCheckConfig.Type.HTTP, FAST,
                new HttpCheck("GET", "/health", null, HttpCheck.DEFAULT_STATUS, null, HealthCheckConfig.NODE_HEADERS));
        Kodiak k = start(ProxyConfig.to(a, b).healthCheck(hc));
        Upstream ua = k.upstream(ProxyConfig.POOL, "a");
        Conditions.await("a's first check", () -> ua.lastCheck() != null, SETTLE);
        Answer m = post(k, path("a", "state"), "{\"state\":\"maint\"}");
        assertEquals("MAINT", m.body().get("state"));
        assertEquals("unchecked", m.body().get("health"));
        int checks = a.requestsReceived();
        Conditions.staysFalse("a is checked in MAINT", () -> a.requestsReceived() > checks + 1, Duration.ofMillis(400));
        a.refuseConnections(); // "restarted" while in maintenance: not up yet
        Answer r = post(k, path("a", "state"), "{\"state\":\"ready\"}");
        assertEquals("DOWN", r.body().get("state"), "back only once a check passes");
        assertEquals(List.of("health"), r.body().get("reasons"));
        Answer notUp = post(k, path("a", "wait-up"), "{\"timeout\":\"300ms\"}");
        assertEquals(false, notUp.body().get("up"));
        assertFalse(k.pool(ProxyConfig.POOL).selection().members().contains(ua));
        a.acceptConnections();
        Answer up = post(k, path("a", "wait-up"), "{\"timeout\":\"10s\"}");
        assertEquals(true, up.body().get("up"), up.raw().body());
        assertEquals("UP", map(up.body().get("upstream")).get("state"));
    }

    @Test
    void weightCanBeSetResetAndZeroDrains() throws Exception {
        ScriptedUpstream a = upstream("a");
        ScriptedUpstream b = upstream("b");
        Kodiak k = start(ProxyConfig.to(a, b));
        Answer w = post(k, path("a", "weight"), "{\"weight\":3}");
        assertEquals(3L, w.body().get("weight"));
        assertEquals(1L, w.body().get("configured_weight"));
        List<String> who = send(k, 8);
        assertEquals(6, who.stream().filter("a"::equals).count(), who.toString());
        Answer zero = post(k, path("a", "weight"), "{\"weight\":0}");
        assertEquals("DRAIN", zero.body().get("state"));
        assertEquals(List.of("b", "b", "b"), send(k, 3));
        Answer reset = post(k, path("a", "weight"), "{\"weight\":null}");
        assertEquals(1L, reset.body().get("weight"));
        assertEquals("UP", reset.body().get("state"));
        assertFalse(k.upstream(ProxyConfig.POOL, "a").weightOverridden());
    }

    @Test
    void adminStateAndWeightSurviveARestartThroughTheStateFile() throws Exception {
        ScriptedUpstream a = upstream("a");
        ScriptedUpstream b = upstream("b");
        ScriptedUpstream c = upstream("c");
        Kodiak first = start(ProxyConfig.to(a, b, c));
        post(first, path("a", "state"), "{\"state\":\"maint\"}");
        post(first, path("b", "weight"), "{\"weight\":5}");
        first.close();
        kodiaks.remove(first);
        String saved = java.nio.file.Files.readString(dir.resolve("kodiak.state.json"));
        assertTrue(saved.contains("\"state\": \"maint\""), saved);

        Kodiak second = start(ProxyConfig.to(a, b, c));
        assertEquals(AdminState.MAINT, second.upstream(ProxyConfig.POOL, "a").adminState());
        assertEquals(5, second.upstream(ProxyConfig.POOL, "b").weight());
        int seen = a.requestsReceived();
        assertFalse(send(second, 6).contains("a"));
        assertEquals(seen, a.requestsReceived(), "maint from before the restart is in force from the first request");
        second.close();
        kodiaks.remove(second);

        // The configured weight of b changed meanwhile: the new configuration wins.
        ProxyConfig changed = new ProxyConfig().upstream("a", a.port(), 1).upstream("b", b.port(), 2).upstream("c", c.port(), 1);
        Kodiak third = start(changed);
        assertEquals(2, third.upstream(ProxyConfig.POOL, "b").weight());
        assertEquals(AdminState.MAINT, third.upstream(ProxyConfig.POOL, "a").adminState());
    }

    @Test
    void aCorruptStateFileStopsTheStartWithTheFileAndTheProblem() throws Exception {
        java.nio.file.Files.writeString(dir.resolve("kodiak.state.json"), "{\"kodiak-state\": 1, \"upstreams\": [");
        IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class,
                () -> start(ProxyConfig.to(upstream("a"))));
        assertTrue(e.getMessage().startsWith("state file " + dir.resolve("kodiak.state.json") + ": line 1"), e.getMessage());
    }

    @Test
    void withoutATokenOneIsGeneratedIntoAnOwnerOnlyTokenFile() throws Exception {
        Kodiak k = Kodiak.start(ProxyConfig.to(upstream("a")).build());
        kodiaks.add(k);
        io.kodiak.admin.AdminServer admin = io.kodiak.admin.AdminServer.start(k,
                new AdminConfig(Loopback.at(0), null, null), null, dir);
        try {
            Path file = admin.tokenFile();
            assertEquals(dir.resolve("admin-127.0.0.1-" + admin.address().getPort() + ".token"), file);
            assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
                    java.nio.file.Files.getPosixFilePermissions(file)));
            String token = java.nio.file.Files.readString(file).trim();
            assertEquals(32, token.length());
        } finally {
            admin.close();
        }
        assertFalse(java.nio.file.Files.exists(admin.tokenFile()), "removed when Kodiak stops");
    }

    @Test
    void aNonLoopbackAdminAddressNeedsAToken() throws Exception {
        Kodiak k = Kodiak.start(ProxyConfig.to(upstream("a")).build());
        kodiaks.add(k);
        IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class, () -> io.kodiak.admin.AdminServer.start(k,
                new AdminConfig(new java.net.InetSocketAddress("0.0.0.0", 0), null, null), null, dir));
        assertTrue(e.getMessage().contains("is not a loopback address"), e.getMessage());
        assertNull(k.adminAddress());
    }

    @Test
    void upstreamsCanBeAddedAndRemovedAtRuntimeAndRemovalWaitsForRequestsInFlight() throws Exception {
        ScriptedUpstream a = upstream("a");
        CountDownLatch release = new CountDownLatch(1);
        ScriptedUpstream b = ScriptedUpstream.start("b", req -> {
            if (req.target().equals("/held")) {
                try {
                    release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return ScriptedUpstream.defaultResponse("b", req);
        });
        ups.add(b);
        Kodiak k = start(ProxyConfig.to(a));
        Answer added = post(k, "/v1/pools/p/upstreams", "{\"address\": \"" + b.hostPort() + "\", \"name\": \"b\"}");
        assertEquals(200, added.status(), added.raw().body());
        assertEquals("b", added.body().get("name"));
        assertEquals("UP", added.body().get("state"));
        assertTrue(send(k, 4).contains("b"));

        assertEquals(409, post(k, "/v1/pools/p/upstreams", "{\"address\": \"127.0.0.1:1\", \"name\": \"b\"}").status());
        Answer sameAddress = post(k, "/v1/pools/p/upstreams", "{\"address\": \"" + a.hostPort() + "\", \"name\": \"a2\"}");
        assertEquals(409, sameAddress.status());
        assertTrue(sameAddress.error().contains("already has an upstream at " + a.hostPort() + " (a)"), sameAddress.error());
        Answer badAddress = post(k, "/v1/pools/p/upstreams", "{\"address\": \"nowhere\"}");
        assertEquals(400, badAddress.status());
        assertTrue(badAddress.error().contains("nowhere"), badAddress.error());
        Answer ghost = post(k, "/v1/pools/p/upstreams", "{\"address\": \"no-such-host.invalid:80\"}");
        assertEquals(400, ghost.status());
        assertEquals("\"address\": cannot resolve host \"no-such-host.invalid\"", ghost.error());
        assertEquals(400, post(k, "/v1/pools/p/upstreams", "{\"address\": \"127.0.0.1:2\", \"weight\": 0}").status());
        assertEquals(400, post(k, "/v1/pools/p/upstreams", "{\"address\": \"127.0.0.1:2\", \"port\": 1}").status());
        assertEquals(2, k.pool("p").upstreams().size(), "the refused adds changed nothing");

        Upstream ub = k.upstream("p", "b");
        try (RawClient held = RawClient.connect(k.boundAddress(ProxyConfig.LISTENER).getPort())) {
            // Round-robin over a and b: send until one request is held by b.
            for (int i = 0; i < 4 && ub.inFlight() == 0; i++) {
                RawClient c = RawClient.connect(k.boundAddress(ProxyConfig.LISTENER).getPort());
                int atA = a.requestsReceived();
                c.send("GET /held HTTP/1.1\r\nHost: x\r\n\r\n");
                // Picked: held by b, or answered by a.
                Conditions.await("the request picked", () -> ub.inFlight() > 0 || a.requestsReceived() > atA, SETTLE);
                if (ub.inFlight() == 0) {
                    assertEquals(200, c.readResponse().status());
                    c.close();
                } else {
                    clientsToClose.add(c);
                }
            }
            assertEquals(1, ub.inFlight());
            Answer removed = call(k, "DELETE", path("b", null), "{\"timeout\": \"200ms\"}", TOKEN);
            assertEquals(200, removed.status(), removed.raw().body());
            assertEquals(true, removed.body().get("removed"));
            assertEquals(false, removed.body().get("drained"));
            assertEquals(1L, removed.body().get("in_flight"));
            assertEquals(404, call(k, "GET", path("b", null), null, null).status(), "gone from the pool");
            int seen = b.requestsReceived();
            assertEquals(List.of("a", "a", "a"), send(k, 3));
            assertEquals(seen, b.requestsReceived(), "no new request reached the removed upstream");
            release.countDown();
            assertEquals(200, clientsToClose.get(0).readResponse().status(), "its request in flight finished");
            Conditions.await("the removed upstream is idle", () -> ub.inFlight() == 0, SETTLE);
        } finally {
            release.countDown();
            for (RawClient c : clientsToClose) {
                c.close();
            }
        }
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object o) {
        return (Map<String, Object>) o;
    }

    @SuppressWarnings("unchecked")
    static List<Object> list(Object o) {
        return (List<Object>) o;
    }
}
