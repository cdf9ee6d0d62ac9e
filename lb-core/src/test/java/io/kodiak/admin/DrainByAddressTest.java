package io.kodiak.admin;

import io.kodiak.Kodiak;
import io.kodiak.config.AdminConfig;
import io.kodiak.config.ConfigLoader;
import io.kodiak.config.UpstreamConfig;
import io.kodiak.testing.CtlRun;
import io.kodiak.testing.Loopback;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.RecordedRequest;
import io.kodiak.testing.ScriptedUpstream;
import io.kodiak.upstream.AdminState;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Drain by address: one server (upstream {@code g}) in two pools, {@code api} and {@code rest},
 * routed by path, each pool with a second upstream of its own. {@code kodiak ctl drain ADDRESS
 * --wait} reaches both pools, returns only once the request in flight through each has finished,
 * and no pool sends it a new request until {@code ready ADDRESS}; the API's answers for unknown and
 * bad addresses; a drain of an address no pool has yet reaches an upstream added there later.
 */
@Timeout(60)
class DrainByAddressTest {
    static final String TOKEN = "test-token-0123456789abcdef";
    /** One listener routing {@code /api/} to pool {@code api} and {@code /rest/} to {@code rest}; the pools follow. */
    private static final String TWO_POOLS = """
            metrics: off
            listeners:
              - name: web
                address: 127.0.0.1:0
                routes:
                  - {path-prefix: /api/, pool: api}
                  - {path-prefix: /rest/, pool: rest}
            pools:
            """;
    private final List<ScriptedUpstream> ups = new ArrayList<>();
    private final List<RawClient> clients = new ArrayList<>();
    private final Map<String, String> env = new HashMap<>();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final ExecutorService background = Executors.newSingleThreadExecutor();
    /** Released at the end: the slow requests held by {@code a} and {@code r}. */
    private final CountDownLatch others = new CountDownLatch(1);
    private Kodiak kodiak;
    private ScriptedUpstream g;
    @TempDir
    Path dir;

    record Answer(int status, Map<String, Object> body) {
    }

    @AfterEach
    void stop() throws IOException {
        others.countDown();
        background.shutdownNow();
        for (RawClient c : clients) {
            c.close();
        }
        if (kodiak != null) {
            kodiak.close();
        }
        ups.forEach(ScriptedUpstream::close);
    }

    /** {@code /PREFIX/slow} waits for {@code slow(prefix)}; anything else answers at once. */
    private ScriptedUpstream upstream(String name, Function<String, CountDownLatch> slow) throws IOException {
        ScriptedUpstream u = ScriptedUpstream.start(name, req -> {
            if (req.target().endsWith("/slow")) {
                await(slow.apply(req.target().substring(1, req.target().indexOf('/', 1))));
            }
            return ScriptedUpstream.defaultResponse(name, req);
        });
        ups.add(u);
        return u;
    }

    private static void await(CountDownLatch l) {
        try {
            l.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void start(CountDownLatch gApi, CountDownLatch gRest) throws Exception {
        g = upstream("g", prefix -> prefix.equals("api") ? gApi : gRest);
        ScriptedUpstream a = upstream("a", prefix -> others);
        ScriptedUpstream r = upstream("r", prefix -> others);
        String yaml = TWO_POOLS + """
                  api:
                    upstreams: [{address: "%s", name: g}, {address: "%s", name: a}]
                  rest:
                    upstreams: [{address: "%s", name: g}, {address: "%s", name: r}]
                """.formatted(g.hostPort(), a.hostPort(), g.hostPort(), r.hostPort());
        kodiak = Kodiak.start(ConfigLoader.parse(yaml, dir.resolve("kodiak.yaml"))
                .withAdmin(new AdminConfig(Loopback.at(0), TOKEN, dir.resolve("kodiak.state.json"))));
        env.put("KODIAK_ADMIN", "127.0.0.1:" + kodiak.adminAddress().getPort());
        env.put("KODIAK_ADMIN_TOKEN", TOKEN);
        env.put("KODIAK_HOME", dir.toString());
    }

    private CtlRun ctl(String... args) {
        return CtlRun.run(env::get, args);
    }

    private Answer api(String method, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + kodiak.adminAddress().getPort() + path))
                .header("Authorization", "Bearer " + TOKEN);
        b = body == null ? b.method(method, HttpRequest.BodyPublishers.noBody())
                : b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) Json.parse(r.body());
        return new Answer(r.statusCode(), m);
    }

    private static void poll(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("not within 10 s: " + what);
            }
            Thread.sleep(10);
        }
    }

    /** Sends slow requests through {@code prefix} until one is in flight on {@code g} (round-robin: the first or second). */
    private void holdOneOnG(String pool) throws Exception {
        for (int i = 0; i < 3 && kodiak.upstream(pool, "g").inFlight() == 0; i++) {
            int before = kodiak.pool(pool).upstreams().stream().mapToInt(u -> u.inFlight()).sum();
            RawClient c = RawClient.connect(kodiak.boundAddress("web").getPort());
            clients.add(c);
            c.send("GET /" + pool + "/slow HTTP/1.1\r\nHost: x\r\n\r\n");
            poll("request " + (i + 1) + " through " + pool + " is in flight",
                    () -> kodiak.pool(pool).upstreams().stream().mapToInt(u -> u.inFlight()).sum() == before + 1);
        }
        assertEquals(1, kodiak.upstream(pool, "g").inFlight(), pool);
    }

    /** {@code n} quick requests through {@code pool}, each answered 200. */
    private void send(String pool, int n) throws IOException {
        try (RawClient c = RawClient.connect(kodiak.boundAddress("web").getPort())) {
            for (int i = 0; i < n; i++) {
                assertEquals(200, c.get("/" + pool + "/x").status());
            }
        }
    }

    private int gRequests(String pool) {
        return (int) g.requests().stream().map(RecordedRequest::target).filter(t -> t.startsWith("/" + pool + "/")).count();
    }

    @Test
    void drainByAddressWaitsForBothPoolsAndNeitherSendsItANewRequestUntilReady() throws Exception {
        CountDownLatch gApi = new CountDownLatch(1);
        CountDownLatch gRest = new CountDownLatch(1);
        start(gApi, gRest);
        holdOneOnG("api");
        holdOneOnG("rest");
        String address = g.hostPort();

        CtlRun early = ctl("wait-drained", address, "--timeout", "200ms");
        assertEquals(Ctl.REFUSED, early.code(), "wait-drained of an address still ready: " + early.err());
        assertTrue(early.err().contains("is ready: drain the address first"), early.err());

        CompletableFuture<CtlRun> drain = CompletableFuture.supplyAsync(() -> ctl("drain", address, "--wait", "--timeout", "30s"), background);
        poll("drained in both pools", () -> kodiak.upstream("api", "g").adminState() == AdminState.DRAIN
                && kodiak.upstream("rest", "g").adminState() == AdminState.DRAIN);
        int apiSeen = gRequests("api");
        int restSeen = gRequests("rest");
        send("api", 6);
        send("rest", 6);
        assertEquals(apiSeen, gRequests("api"), "api sends the drained address no new request");
        assertEquals(restSeen, gRequests("rest"), "rest sends the drained address no new request");

        CtlRun timedOut = ctl("wait-drained", address, "--timeout", "200ms");
        assertEquals(Ctl.TIMED_OUT, timedOut.code(), timedOut.out() + timedOut.err());
        assertTrue(timedOut.err().contains("still 2 request(s) in flight on api/g, rest/g"), timedOut.err());

        gApi.countDown();
        poll("the api request finished", () -> kodiak.upstream("api", "g").inFlight() == 0);
        assertFalse(drain.isDone(), "--wait holds while rest's request is in flight");
        assertEquals(1, kodiak.upstream("rest", "g").inFlight());
        gRest.countDown();
        CtlRun drained = drain.get(20, TimeUnit.SECONDS);
        assertEquals(Ctl.OK, drained.code(), drained.out() + drained.err());
        assertTrue(drained.out().contains(address + ": drain in 2 upstream(s): api/g"), drained.out());
        assertTrue(drained.out().contains(address + ": drained (nothing in flight on api/g, rest/g)"), drained.out());
        assertEquals(0, kodiak.upstream("api", "g").inFlight() + kodiak.upstream("rest", "g").inFlight());

        String saved = Files.readString(dir.resolve("kodiak.state.json"));
        assertTrue(saved.contains("\"address\": \"" + address + "\""), saved);

        CtlRun ready = ctl("ready", address, "--wait");
        assertEquals(Ctl.OK, ready.code(), ready.out() + ready.err());
        assertTrue(ready.out().contains("api/g: UP after") && ready.out().contains("rest/g: UP after"), ready.out());
        send("api", 4);
        send("rest", 4);
        assertTrue(gRequests("api") > apiSeen && gRequests("rest") > restSeen, "both pools use it again");
        assertFalse(Files.readString(dir.resolve("kodiak.state.json")).contains(address), "ready clears the address");
    }

    @Test
    void unknownAndBadAddressesAndADrainBeforeTheUpstreamExists() throws Exception {
        start(new CountDownLatch(0), new CountDownLatch(0));
        String later = "127.0.0.1:" + ScriptedUpstream.unusedPort();

        Answer unknown = api("GET", "/v1/addresses?address=" + later, null);
        assertEquals(404, unknown.status(), unknown.body().toString());
        assertEquals(404, api("POST", "/v1/addresses/state", "{\"address\": \"" + later + "\", \"state\": \"ready\"}").status());
        assertEquals(404, api("POST", "/v1/addresses/wait-drained", "{\"address\": \"" + later + "\"}").status());

        Answer bad = api("POST", "/v1/addresses/state", "{\"address\": \"g\", \"state\": \"drain\"}");
        assertEquals(400, bad.status());
        assertEquals("\"address\": \"g\" is not host:port", String.valueOf(bad.body().get("error")).substring(0, 31), bad.body().toString());
        assertEquals(400, api("POST", "/v1/addresses/state", "{\"state\": \"drain\"}").status());
        assertEquals(400, api("POST", "/v1/addresses/state", "{\"address\": \"" + later + "\", \"state\": \"off\"}").status());
        assertEquals(400, api("POST", "/v1/addresses/state", "{\"address\": \"" + later + "\", \"state\": \"drain\", \"x\": 1}").status());
        assertEquals(405, api("GET", "/v1/addresses/state", null).status());
        assertEquals(404, api("POST", "/v1/addresses/nope", "{\"address\": \"" + later + "\"}").status());

        // A drain of an address no pool has now is kept for upstreams made there later: 202.
        Answer preset = api("POST", "/v1/addresses/state", "{\"address\": \"" + later + "\", \"state\": \"maint\"}");
        assertEquals(202, preset.status(), preset.body().toString());
        assertEquals(Map.of("address", later, "state", "maint", "preset", true, "upstreams", List.of()), preset.body());
        Answer shown = api("GET", "/v1/addresses?address=" + later, null);
        assertEquals(200, shown.status());
        assertEquals("maint", shown.body().get("state"));

        kodiak.addUpstream("api", new UpstreamConfig("late", "127.0.0.1", Integer.parseInt(later.substring(later.indexOf(':') + 1)), 1));
        assertEquals(AdminState.MAINT, kodiak.upstream("api", "late").adminState(), "the preset reached the upstream made later");
        Answer both = api("GET", "/v1/addresses?address=" + later, null);
        assertEquals(1, ((List<?>) both.body().get("upstreams")).size());

        Answer ready = api("POST", "/v1/addresses/state", "{\"address\": \"" + later + "\", \"state\": \"ready\"}");
        assertEquals(200, ready.status(), ready.body().toString());
        assertEquals(false, ready.body().get("preset"));
        assertEquals(AdminState.READY, kodiak.upstream("api", "late").adminState());

        CtlRun ctlBad = ctl("drain", "api");
        assertEquals(Ctl.USAGE, ctlBad.code(), "a lone POOL is a usage error: " + ctlBad.err());
        assertTrue(ctlBad.err().contains("one argument is an ADDRESS"), ctlBad.err());
        String other = "127.0.0.1:" + ScriptedUpstream.unusedPort();
        CtlRun ctlPreset = ctl("drain", other, "--wait");
        assertEquals(Ctl.OK, ctlPreset.code(), ctlPreset.err());
        assertTrue(ctlPreset.out().contains(other + ": drain; no pool has an upstream there now, so upstreams found there later start drain"),
                ctlPreset.out());
        assertEquals(Ctl.OK, ctl("ready", other).code());
        assertEquals(Ctl.REFUSED, ctl("ready", other).code(), "nothing there and nothing preset: 404");
    }

    @Test
    void aUnixSocketIsAnAddressToo() throws Exception {
        Path sock = dir.resolve("g.sock");
        String yaml = TWO_POOLS + """
                  api:
                    health-check: {type: none}
                    upstreams: ["unix:%s"]
                  rest:
                    health-check: {type: none}
                    upstreams: [{address: "unix:%s", name: g}]
                """.formatted(sock, sock);
        kodiak = Kodiak.start(ConfigLoader.parse(yaml, dir.resolve("kodiak.yaml"))
                .withAdmin(new AdminConfig(Loopback.at(0), TOKEN, null)));
        Answer drained = api("POST", "/v1/addresses/state", "{\"address\": \"unix:" + sock + "\", \"state\": \"drain\"}");
        assertEquals(200, drained.status(), drained.body().toString());
        assertEquals(2, ((List<?>) drained.body().get("upstreams")).size(), drained.body().toString());
        assertTrue(kodiak.pools().stream().allMatch(p -> p.upstreams().get(0).adminState() == AdminState.DRAIN));
        Answer bad = api("POST", "/v1/addresses/state", "{\"address\": \"unix:g.sock\", \"state\": \"drain\"}");
        assertEquals(400, bad.status());
        assertTrue(String.valueOf(bad.body().get("error")).contains("is not unix:/absolute/path"), bad.body().toString());
    }

    @Test
    void aDrainOfAnAddressNotThereYetSurvivesARestart() throws Exception {
        start(new CountDownLatch(0), new CountDownLatch(0));
        String later = "127.0.0.1:" + ScriptedUpstream.unusedPort();
        assertEquals(202, api("POST", "/v1/addresses/state", "{\"address\": \"" + later + "\", \"state\": \"drain\"}").status());
        io.kodiak.config.KodiakConfig config = kodiak.config();
        kodiak.close();

        kodiak = Kodiak.start(config);
        assertEquals("drain", api("GET", "/v1/addresses?address=" + later, null).body().get("state"), "restored from the state file");
        kodiak.addUpstream("rest", new UpstreamConfig("late", "127.0.0.1", Integer.parseInt(later.substring(later.indexOf(':') + 1)), 1));
        assertEquals(AdminState.DRAIN, kodiak.upstream("rest", "late").adminState());
        assertEquals(AdminState.READY, kodiak.upstream("rest", "g").adminState());
    }

    /** A drain of an address no pool has reaches a pool a reload adds there ("a reload adds it", Control.setAdminStateAt). */
    @Test
    void aPoolAddedByAReloadHonoursADrainByAddress() throws Exception {
        Path file = dir.resolve("kodiak.yaml");
        String one = """
                admin: {listen: off, state-file: off}
                metrics: off
                listeners: [{address: "127.0.0.1:0", routes: [{path-prefix: /, pool: app}]}]
                pools:
                  app:
                    upstreams: [127.0.0.1:9]
                    health-check: {type: none}
                """;
        Files.writeString(file, one);
        kodiak = Kodiak.start(ConfigLoader.load(file));
        assertEquals(List.of(), kodiak.setAdminStateAt(AddressKey.parse("127.0.0.1:19"), AdminState.DRAIN), "a preset only");
        Files.writeString(file, one + """
                  other:
                    upstreams: [127.0.0.1:19, 127.0.0.1:29]
                    health-check: {type: none}
                """);
        kodiak.reload();
        assertEquals(AdminState.DRAIN, kodiak.upstream("other", "127.0.0.1:19").adminState(), "a new pool at a drained address");
        assertEquals(List.of(kodiak.upstream("other", "127.0.0.1:29")), kodiak.pool("other").selection().members(),
                "and out of its selection");
    }

    /** A drain in one spelling of an IPv6 address, ready in another (RFC 5952's): one address, so nothing stays preset. */
    @Test
    void readyWithAnotherSpellingOfTheSameIpv6AddressClearsTheDrain() throws Exception {
        kodiak = Kodiak.start(ConfigLoader.parse("""
                admin: {listen: off}               # the state file next to kodiak.yaml, in the test's directory
                metrics: off
                listeners: [{address: "127.0.0.1:0", routes: [{path-prefix: /, pool: app}]}]
                pools:
                  app:
                    upstreams: [127.0.0.1:9]
                    health-check: {type: none}
                """, dir.resolve("kodiak.yaml")));
        kodiak.setAdminStateAt(AddressKey.parse("[FD00:0:0:0:0:0:0:5]:8000"), AdminState.DRAIN);
        assertEquals(AdminState.DRAIN, kodiak.addressPreset(AddressKey.parse("[fd00::5]:8000")));
        kodiak.setAdminStateAt(AddressKey.parse("[fd00::5]:8000"), AdminState.READY);
        assertEquals(null, kodiak.addressPreset(AddressKey.parse("[FD00:0:0:0:0:0:0:5]:8000")), "ready cleared it");
        assertEquals(Map.of(), kodiak.pools().iterator().next().presets().addresses());
        assertFalse(Files.readString(dir.resolve("kodiak.state.json")).contains("fd00"), "and the state file has it no more");
    }
}
