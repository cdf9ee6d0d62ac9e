package io.kodiak.proxy;

import io.kodiak.Kodiak;
import io.kodiak.admin.Json;
import io.kodiak.config.ConfigLoader;
import io.kodiak.testing.Action;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.ScriptedUpstream;
import io.kodiak.upstream.Upstream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the status page reads (issue 19) over real sockets: the live keys of {@code /v1/status}
 * with their types, the listeners, drain progress, the last reload, {@code metrics: off}, and
 * {@code /v1/history}. The rates come from the admin timer's samples once a second, so a test
 * that needs one waits (bounded) until it shows; nothing asserts on how long anything took.
 */
@Timeout(60)
class StatusViewsTest {
    private static final String TOKEN = "status-token-0123456789abcdef";
    private static final Duration SETTLE = Duration.ofSeconds(15);

    @TempDir
    Path dir;
    private final List<ScriptedUpstream> ups = new ArrayList<>();
    private Kodiak kodiak;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @AfterEach
    void stop() {
        if (kodiak != null) {
            kodiak.close();
        }
        ups.forEach(ScriptedUpstream::close);
    }

    private ScriptedUpstream upstream(ScriptedUpstream u) {
        ups.add(u);
        return u;
    }

    private String config(String metrics, ScriptedUpstream... upstreams) {
        StringBuilder list = new StringBuilder();
        for (ScriptedUpstream u : upstreams) {
            list.append(list.isEmpty() ? "" : ", ").append("{name: ").append(u.name()).append(", address: \"")
                    .append(u.hostPort()).append("\"}");
        }
        return """
                admin: {listen: 127.0.0.1:0, token: %s, state-file: off}
                metrics: %s
                listeners: [{name: web, address: 127.0.0.1:0}]
                pools:
                  app:
                    health-check: {type: none}
                    upstreams: [%s]
                """.formatted(TOKEN, metrics, list);
    }

    private Kodiak start(String yaml) throws Exception {
        Files.writeString(dir.resolve("kodiak.yaml"), yaml);
        kodiak = Kodiak.start(ConfigLoader.load(dir.resolve("kodiak.yaml")));
        return kodiak;
    }

    record Answer(int status, Map<String, Object> body) {
    }

    private Answer call(String method, String path) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + kodiak.adminAddress().getPort() + path));
        if (method.equals("GET")) {
            b.GET();
        } else {
            b.method(method, HttpRequest.BodyPublishers.ofString("{}"))
                    .header("Authorization", "Bearer " + TOKEN).header("Content-Type", "application/json");
        }
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Answer(r.statusCode(), map(Json.parse(r.body())));
    }

    private Answer setState(String upstream, String state) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + kodiak.adminAddress().getPort()
                        + "/v1/pools/app/upstreams/" + upstream + "/state"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"state\": \"" + state + "\"}"))
                .header("Authorization", "Bearer " + TOKEN).header("Content-Type", "application/json").build();
        HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return new Answer(r.statusCode(), map(Json.parse(r.body())));
    }

    private Map<String, Object> status() throws Exception {
        Answer a = call("GET", "/v1/status");
        assertEquals(200, a.status(), a.body().toString());
        return a.body();
    }

    private Map<String, Object> upstreamView(String name) throws Exception {
        Answer a = call("GET", "/v1/pools/app/upstreams/" + name);
        assertEquals(200, a.status(), a.body().toString());
        return a.body();
    }

    private void send(int n) throws Exception {
        for (int i = 0; i < n; i++) {
            try (RawClient c = RawClient.connect(kodiak.boundAddress("web").getPort())) {
                assertEquals(200, c.get("/n" + i).status());
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o) {
        return (Map<String, Object>) o;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object o) {
        return (List<Object>) o;
    }

    private static Map<String, Object> firstUpstream(Map<String, Object> status) {
        return map(list(map(list(status.get("pools")).get(0)).get("upstreams")).get(0));
    }

    @Test
    void statusShowsTheInstanceListenersRatesAndLatenciesWithTheirTypes() throws Exception {
        ScriptedUpstream a = upstream(ScriptedUpstream.start("a"));
        ScriptedUpstream b = upstream(ScriptedUpstream.start("b"));
        start(config("{listen: off}", a, b));
        send(6);
        kodiak.metrics().snapshotAll(); // the metrics publisher's 5 s tick, now: the status shows its latency window
        try (RawClient open = RawClient.connect(kodiak.boundAddress("web").getPort())) {
            assertEquals(200, open.get("/kept").status()); // a keep-alive connection stays open meanwhile
            Conditions.await("a request rate in the status", () -> {
                try {
                    return (Double) firstUpstream(status()).get("request_rate") > 0;
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            }, SETTLE);
            Map<String, Object> s = status();

            Map<String, Object> k = map(s.get("kodiak"));
            assertInstanceOf(String.class, k.get("version"));
            assertFalse(((String) k.get("version")).startsWith("(version unknown"), k.toString());
            assertInstanceOf(Long.class, k.get("uptime_s"));
            assertTrue((Long) k.get("uptime_s") >= 0);
            Instant.parse((String) k.get("now"));
            assertEquals(true, k.get("metrics"));
            assertTrue(k.containsKey("last_reload"));
            assertNull(k.get("last_reload"), "no reload yet");
            assertNotNull(k.get("config_version"), "the keys from before stay");

            List<Object> listeners = list(s.get("listeners"));
            assertEquals(1, listeners.size());
            Map<String, Object> web = map(listeners.get(0));
            assertEquals("web", web.get("name"));
            assertEquals("127.0.0.1:" + kodiak.boundAddress("web").getPort(), web.get("address"));
            assertEquals(false, web.get("tls"));
            assertTrue((Long) web.get("connections") >= 1, "the kept connection: " + web);
            assertTrue((Long) web.get("accepted") >= 7, web.toString());
            assertTrue((Long) web.get("requests") >= 7, web.toString());
            assertInstanceOf(Double.class, web.get("request_rate"));
            assertEquals(0L, web.get("refused"));
            assertEquals(0L, web.get("rejected"));

            Map<String, Object> pool = map(list(s.get("pools")).get(0));
            double sum = 0;
            for (Object o : list(pool.get("upstreams"))) {
                Map<String, Object> u = map(o);
                assertInstanceOf(Double.class, u.get("request_rate"), u.toString());
                assertInstanceOf(Double.class, u.get("error_rate"), u.toString());
                assertEquals(0.0, u.get("error_rate"));
                Map<String, Object> errors = map(u.get("errors"));
                assertEquals(List.of("connect_refused", "connect_timeout", "tls_handshake", "reset", "timeout",
                        "invalid_response", "status_5xx"), List.copyOf(errors.keySet()));
                errors.values().forEach(v -> assertEquals(0.0, v));
                assertNull(u.get("drain"));
                assertTrue(u.containsKey("drain"));
                sum += (Double) u.get("request_rate");
            }
            // The pool's rate is made from these very maps (one read), so it adds up exactly whenever the sampler ran.
            assertEquals(Math.round(sum * 10) / 10.0, pool.get("request_rate"), "a pool's rate is its upstreams'");
            assertEquals(false, pool.get("rates_partial"));

            Map<String, Object> latency = map(firstUpstream(s).get("latency_ms"));
            long window = (Long) latency.get("window_s");
            assertTrue(window > 0 && window % 5 == 0, "whole 5 s intervals (the publisher may have closed more): " + window);
            assertInstanceOf(Double.class, latency.get("p50"), latency.toString());
            assertInstanceOf(Double.class, latency.get("p99"), latency.toString());
            assertTrue((Double) latency.get("p50") <= (Double) latency.get("p99"));
        }

        // The same keys in a pool's and an upstream's own answers.
        Map<String, Object> pool = call("GET", "/v1/pools/app").body();
        assertInstanceOf(Double.class, pool.get("request_rate"));
        Map<String, Object> ua = upstreamView("a");
        assertInstanceOf(Double.class, ua.get("request_rate"));
        assertNotNull(ua.get("errors"));
        assertNotNull(ua.get("latency_ms"));

        Answer h = call("GET", "/v1/history");
        assertEquals(200, h.status());
        assertEquals(5L, h.body().get("interval_s"));
        assertEquals(60L, h.body().get("points"));
        assertEquals(false, h.body().get("truncated"));
        List<Object> series = list(h.body().get("upstreams"));
        assertEquals(List.of("a", "b"), series.stream().map(o -> map(o).get("name")).toList());
        for (Object o : series) {
            Map<String, Object> m = map(o);
            assertEquals("app", m.get("pool"));
            assertEquals(60, list(m.get("request_rate")).size());
            assertEquals(60, list(m.get("p99_ms")).size());
            list(m.get("request_rate")).forEach(v -> assertTrue(v == null || v instanceof Double, String.valueOf(v)));
        }
        List<Object> ls = list(h.body().get("listeners"));
        assertEquals("web", map(ls.get(0)).get("name"));
        assertEquals(60, list(map(ls.get(0)).get("request_rate")).size());
    }

    @Test
    void withMetricsOffLatencyAndErrorsByCauseAreNull() throws Exception {
        ScriptedUpstream a = upstream(ScriptedUpstream.start("a"));
        start(config("off", a));
        send(2);
        Map<String, Object> s = status();
        assertEquals(false, map(s.get("kodiak")).get("metrics"));
        Map<String, Object> u = firstUpstream(s);
        assertTrue(u.containsKey("errors") && u.containsKey("latency_ms"));
        assertNull(u.get("errors"));
        assertNull(u.get("latency_ms"));
        assertInstanceOf(Double.class, u.get("request_rate"));
        assertInstanceOf(Double.class, u.get("error_rate"));
        Map<String, Object> series = map(list(call("GET", "/v1/history").body().get("upstreams")).get(0));
        assertEquals(Collections.nCopies(60, null), series.get("p99_ms"));
    }

    @Test
    void aDrainShowsSinceElapsedAndInFlightUntilReady() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch arrived = new CountDownLatch(1);
        ScriptedUpstream a = upstream(ScriptedUpstream.start("a", req -> {
            if (req.path().equals("/held")) {
                arrived.countDown();
                try {
                    release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return Action.ok("a");
        }));
        start(config("{listen: off}", a));
        Upstream ua = kodiak.upstream("app", "a");
        try (RawClient held = RawClient.connect(kodiak.boundAddress("web").getPort())) {
            held.send("GET /held HTTP/1.1\r\nHost: x\r\n\r\n");
            assertTrue(arrived.await(10, TimeUnit.SECONDS));
            assertEquals(1, ua.inFlight());

            Map<String, Object> reply = setState("a", "drain").body();
            assertEquals("DRAIN", reply.get("state"));
            Map<String, Object> drain = map(reply.get("drain"));
            assertNotNull(drain, "the change's reply shows the drain: " + reply);
            Instant since = Instant.parse((String) drain.get("since"));
            assertInstanceOf(Long.class, drain.get("elapsed_ms"));
            assertTrue((Long) drain.get("elapsed_ms") >= 0);
            assertEquals(1L, drain.get("in_flight"));

            drain = map(firstUpstream(status()).get("drain"));
            assertEquals(since.toString(), drain.get("since"), "the same drain");
            assertEquals(1L, drain.get("in_flight"));

            release.countDown();
            assertEquals(200, held.readResponse().status());
        } finally {
            release.countDown();
        }
        Conditions.await("nothing in flight", () -> ua.inFlight() == 0, SETTLE);
        Map<String, Object> drain = map(upstreamView("a").get("drain"));
        assertEquals(0L, drain.get("in_flight"), "drained: still shown while the state is DRAIN");
        String since = (String) drain.get("since");

        drain = map(setState("a", "maint").body().get("drain"));
        assertEquals(since, drain.get("since"), "DRAIN then MAINT is one drain");

        Map<String, Object> ready = setState("a", "ready").body();
        assertEquals("UP", ready.get("state"));
        assertTrue(ready.containsKey("drain"));
        assertNull(ready.get("drain"));
        assertNull(firstUpstream(status()).get("drain"));
    }

    @Test
    void theLastReloadIsShownAfterAGoodAndAFailedOne() throws Exception {
        ScriptedUpstream a = upstream(ScriptedUpstream.start("a"));
        ScriptedUpstream b = upstream(ScriptedUpstream.start("b"));
        start(config("off", a));
        assertNull(map(status().get("kodiak")).get("last_reload"));

        Files.writeString(dir.resolve("kodiak.yaml"), config("off", a, b));
        Answer good = call("POST", "/v1/reload");
        assertEquals(200, good.status(), good.body().toString());
        Map<String, Object> r = map(map(status().get("kodiak")).get("last_reload"));
        assertEquals(true, r.get("ok"));
        assertEquals(good.body().get("config_version"), r.get("config_version"));
        assertNull(r.get("error"));
        assertTrue(r.containsKey("error"));
        assertTrue(r.containsKey("note"));
        assertNull(r.get("note"), "nothing went wrong besides");
        Instant.parse((String) r.get("at"));

        Files.writeString(dir.resolve("kodiak.yaml"), config("off", a, b) + "  broken: [\n");
        Answer bad = call("POST", "/v1/reload");
        assertEquals(400, bad.status(), bad.body().toString());
        Map<String, Object> k = map(status().get("kodiak"));
        r = map(k.get("last_reload"));
        assertEquals(false, r.get("ok"));
        assertEquals(k.get("config_version"), r.get("config_version"), "the version still running");
        assertEquals(good.body().get("config_version"), r.get("config_version"));
        String error = (String) r.get("error");
        assertNotNull(error);
        assertFalse(error.isBlank());
        assertFalse(error.contains("\n"), "one line: " + error);
    }

    @Test
    void aReloadAppliedWhoseStateFileCouldNotBeWrittenIsRecordedAsAppliedWithANote() throws Exception {
        ScriptedUpstream a = upstream(ScriptedUpstream.start("a"));
        ScriptedUpstream b = upstream(ScriptedUpstream.start("b"));
        Path state = dir.resolve("state.json");
        String withState = "state-file: \"" + state + "\"";
        start(config("off", a).replace("state-file: off", withState));
        // The state file's path turns into a directory with something in it: the save's move onto it fails.
        Files.deleteIfExists(state);
        Files.createDirectories(state.resolve("in-the-way"));

        Files.writeString(dir.resolve("kodiak.yaml"), config("off", a, b).replace("state-file: off", withState));
        Answer reload = call("POST", "/v1/reload");
        assertEquals(500, reload.status(), "the caller still hears that the state file lags: " + reload.body());
        assertTrue(((String) reload.body().get("error")).contains("is in force"), reload.body().toString());

        Map<String, Object> k = map(status().get("kodiak"));
        assertEquals(2, list(map(list(status().get("pools")).get(0)).get("upstreams")).size(), "the reload is in force");
        Map<String, Object> r = map(k.get("last_reload"));
        assertEquals(true, r.get("ok"), "applied, not failed: " + r);
        assertNull(r.get("error"));
        assertEquals(k.get("config_version"), r.get("config_version"), "the new version");
        String note = (String) r.get("note");
        assertNotNull(note, r.toString());
        assertTrue(note.contains("state file"), note);
        assertFalse(note.contains("\n"), "one line: " + note);
    }
}
