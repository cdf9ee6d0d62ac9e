package io.kodiak.proxy;

import io.kodiak.Kodiak;
import io.kodiak.admin.Ctl;
import io.kodiak.config.ConfigException;
import io.kodiak.config.ConfigLoader;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.RawResponse;
import io.kodiak.testing.ScriptedUpstream;
import io.kodiak.upstream.AdminState;
import io.kodiak.upstream.Upstream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Hot reload: what changes, what carries over, and that a bad file changes nothing. */
@Timeout(60)
class ReloadTest {
    private static final String TOKEN = AdminApiTest.TOKEN;
    private final List<ScriptedUpstream> ups = new ArrayList<>();
    private Kodiak kodiak;
    @TempDir
    Path dir;
    private Path file;

    @AfterEach
    void stop() {
        if (kodiak != null) {
            kodiak.close();
        }
        ups.forEach(ScriptedUpstream::close);
    }

    private ScriptedUpstream upstream(String name) throws IOException {
        ScriptedUpstream u = ScriptedUpstream.start(name);
        ups.add(u);
        return u;
    }

    /** A config with listener web on {@code listen}, pool app over {@code upstreams} ("name=port[*weight]"), and extra pool keys. */
    private void write(String listen, String poolKeys, ScriptedUpstream... upstreams) throws IOException {
        StringBuilder y = new StringBuilder("admin:\n  listen: 127.0.0.1:0\n  token: " + TOKEN + "\nmetrics: off\n"
                + "listeners:\n  - name: web\n    address: " + listen + "\npools:\n  app:\n    upstreams:\n");
        for (ScriptedUpstream u : upstreams) {
            y.append("      - {name: ").append(u.name()).append(", address: ").append(u.hostPort()).append("}\n");
        }
        y.append(poolKeys);
        if (file == null) {
            file = dir.resolve("kodiak.yaml");
        }
        Files.writeString(file, y.toString());
    }

    private void start() throws Exception {
        kodiak = Kodiak.start(ConfigLoader.load(file));
    }

    private int port() {
        return kodiak.boundAddress("web").getPort();
    }

    private List<String> send(int n) throws IOException {
        List<String> who = new ArrayList<>();
        try (RawClient c = RawClient.connect(port())) {
            for (int i = 0; i < n; i++) {
                RawResponse r = c.get("/r" + i);
                assertEquals(200, r.status(), r.toString());
                who.add(r.header("X-Upstream"));
            }
        }
        return who;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Test
    void addedRemovedAndReweightedUpstreamsApplyAndKeptOnesKeepTheirState() throws Exception {
        ScriptedUpstream a = upstream("a");
        ScriptedUpstream b = upstream("b");
        ScriptedUpstream c = upstream("c");
        write("127.0.0.1:0", "", a, b);
        start();
        Upstream ua = kodiak.upstream("app", "a");
        Upstream ub = kodiak.upstream("app", "b");
        send(4);
        kodiak.setAdminState(ub, AdminState.DRAIN);
        long requestsOfA = ua.requests();
        String v1 = kodiak.config().version();

        write("127.0.0.1:0", "", a, c);
        Files.writeString(file, Files.readString(file).replace("{name: a, address: " + a.hostPort() + "}",
                "{name: a, address: " + a.hostPort() + ", weight: 3}"));
        Kodiak.Reload r = kodiak.reload();
        assertNotEquals(v1, r.version());
        assertTrue(r.changes().contains("pool app: upstream c (" + c.hostPort() + ") added"), r.changes().toString());
        assertTrue(r.changes().contains("pool app: upstream b (" + b.hostPort() + ") removed"), r.changes().toString());
        assertTrue(r.changes().contains("pool app: upstream a now weight 3"), r.changes().toString());
        assertSame(ua, kodiak.upstream("app", "a"), "a is kept, with its load state");
        assertEquals(requestsOfA, ua.requests());
        assertEquals(3, ua.weight());
        assertTrue(ub.removed());
        List<String> who = send(8);
        assertEquals(6, who.stream().filter("a"::equals).count(), who.toString());
        assertEquals(2, who.stream().filter("c"::equals).count(), who.toString());
        assertEquals(List.of(), kodiak.reload().changes(), "the same file again changes nothing");
    }

    @Test
    void theAdminStateOfAKeptUpstreamSurvivesAReload() throws Exception {
        ScriptedUpstream a = upstream("a");
        ScriptedUpstream b = upstream("b");
        write("127.0.0.1:0", "", a, b);
        start();
        kodiak.setAdminState(kodiak.upstream("app", "a"), AdminState.MAINT);
        write("127.0.0.1:0", "    strategy: least-connections\n", a, b);
        Kodiak.Reload r = kodiak.reload();
        assertTrue(r.changes().contains("pool app: settings changed"), r.changes().toString());
        assertEquals(AdminState.MAINT, kodiak.upstream("app", "a").adminState());
        assertEquals(List.of("b", "b", "b"), send(3));
    }

    @Test
    void reloadingAnUnchangedFileWithAnErrorPageReportsNoChange() throws Exception {
        ScriptedUpstream a = upstream("a");
        Files.writeString(dir.resolve("503.html"), "<h1>down</h1>\n");
        write("127.0.0.1:0", "    error-page: {status: 503, file: 503.html}\n", a);
        start();
        // The page is read again on every load: equal bytes in a new array must count as no change.
        assertEquals(List.of(), kodiak.reload().changes());
        Files.writeString(dir.resolve("503.html"), "<h1>gone</h1>\n");
        assertEquals(List.of("pool app: settings changed"), kodiak.reload().changes(), "a new page is a change");
    }

    @Test
    void anInvalidFileIsRejectedWithTheReasonAndTheOldConfigKeepsRunning() throws Exception {
        ScriptedUpstream a = upstream("a");
        write("127.0.0.1:0", "", a);
        start();
        String v1 = kodiak.config().version();
        Files.writeString(file, Files.readString(file) + "    strategy: fastest\n");
        ConfigException e = assertThrows(ConfigException.class, () -> kodiak.reload());
        assertTrue(e.getMessage().startsWith(file + ":12: pools.app.strategy: "), e.getMessage());
        assertEquals(v1, kodiak.config().version());
        assertEquals(List.of("a", "a"), send(2));
    }

    @Test
    void anUpstreamWhoseHostDoesNotResolveStopsTheStartWithTheFileAndKey() throws Exception {
        ScriptedUpstream a = upstream("a");
        write("127.0.0.1:0", "", a);
        Files.writeString(file, Files.readString(file).replace("    upstreams:\n",
                "    upstreams:\n      - {name: ghost, address: \"no-such-host.invalid:80\"}\n"));
        IOException e = assertThrows(IOException.class, this::start);
        assertEquals(file + ": pools.app.upstreams: ghost: cannot resolve host \"no-such-host.invalid\"", e.getMessage());
    }

    @Test
    void anUpstreamWhoseHostDoesNotResolveRejectsTheWholeReload() throws Exception {
        ScriptedUpstream a = upstream("a");
        ScriptedUpstream b = upstream("b");
        write("127.0.0.1:0", "", a, b);
        start();
        int oldPort = port();
        String v1 = kodiak.config().version();
        Upstream ua = kodiak.upstream("app", "a");
        int newPort = freePort();
        // A new listener, b removed and an upstream whose DNS record does not exist yet: none of it applies.
        write("127.0.0.1:" + newPort, "", a);
        Files.writeString(file, Files.readString(file).replace("    upstreams:\n",
                "    upstreams:\n      - {name: ghost, address: \"no-such-host.invalid:80\"}\n"));
        IOException e = assertThrows(IOException.class, () -> kodiak.reload());
        assertEquals(file + ": pools.app.upstreams: ghost: cannot resolve host \"no-such-host.invalid\"", e.getMessage());
        assertEquals(v1, kodiak.config().version());
        assertEquals(oldPort, port());
        assertEquals(List.of("a", "b"), kodiak.pool("app").upstreams().stream().map(Upstream::name).toList());
        assertFalse(kodiak.upstream("app", "b").removed());
        assertSame(ua, kodiak.upstream("app", "a"));
        assertEquals(2, send(4).stream().filter("b"::equals).count());
        assertThrows(IOException.class, () -> RawClient.connect(newPort).get("/"), "the new listener was never bound");

        write("127.0.0.1:" + newPort, "", a);
        Kodiak.Reload r = kodiak.reload();
        assertTrue(r.changes().contains("listener web: now on 127.0.0.1:" + newPort), r.changes().toString());
        assertEquals(List.of("a", "a"), send(2));
    }

    @Test
    void aNewListenerAddressIsBoundAndTheOldOneStopsAcceptingButFinishesItsRequest() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        ScriptedUpstream a = ScriptedUpstream.start("a", req -> {
            if (req.target().equals("/held")) {
                try {
                    release.await(20, TimeUnit.SECONDS);
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                }
            }
            return ScriptedUpstream.defaultResponse("a", req);
        });
        ups.add(a);
        int first = freePort();
        write("127.0.0.1:" + first, "", a);
        start();
        try (RawClient held = RawClient.connect(first)) {
            held.send("GET /held HTTP/1.1\r\nHost: x\r\n\r\n");
            Conditions.await("the request is in flight", () -> kodiak.upstream("app", "a").inFlight() == 1, Duration.ofSeconds(10));
            int second = freePort();
            write("127.0.0.1:" + second, "", a);
            Kodiak.Reload r = kodiak.reload();
            assertTrue(r.changes().contains("listener web: now on 127.0.0.1:" + second), r.changes().toString());
            assertEquals(second, port());
            assertEquals(List.of("a"), send(1), "the new address serves");
            assertThrows(IOException.class, () -> RawClient.connect(first).get("/"), "the old address stopped accepting");
            release.countDown();
            RawResponse rr = held.readResponse();
            assertEquals(200, rr.status(), "the request in flight on the old address finished");
            assertEquals("close", rr.header("Connection"), "and its connection closes as it goes idle");
        }
    }

    @Test
    void requestsWaitingInTheQueueOfARemovedPoolAreAnsweredAtOnceAndNewOnesGoToTheNewPool() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        ScriptedUpstream a = ScriptedUpstream.start("a", req -> {
            if (req.target().equals("/held")) {
                try {
                    release.await(20, TimeUnit.SECONDS);
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                }
            }
            return ScriptedUpstream.defaultResponse("a", req);
        });
        ups.add(a);
        ScriptedUpstream b = upstream("b");
        file = dir.resolve("kodiak.yaml");
        String head = "admin: {listen: off, state-file: off}\nmetrics: off\nlisteners:\n  - name: web\n    address: 127.0.0.1:0\n";
        Files.writeString(file, head + "    routes: [{pool: v1}]\npools:\n  v1:\n    health-check: {type: none}\n"
                + "    queue: {max-length: 10, timeout: 60s}\n"
                + "    upstreams:\n      - {name: a, address: \"" + a.hostPort() + "\", max-connections: 1}\n");
        start();
        try (RawClient held = RawClient.connect(port()); RawClient queued = RawClient.connect(port())) {
            held.send("GET /held HTTP/1.1\r\nHost: x\r\n\r\n");
            Conditions.await("the request is in flight", () -> kodiak.upstream("v1", "a").inFlight() == 1, Duration.ofSeconds(10));
            queued.send("GET /queued HTTP/1.1\r\nHost: x\r\n\r\n");
            Conditions.await("the second request waits", () -> kodiak.queued("v1") == 1, Duration.ofSeconds(10));

            Files.writeString(file, head + "    routes: [{pool: v2}]\npools:\n  v2:\n    health-check: {type: none}\n"
                    + "    upstreams:\n      - {name: b, address: \"" + b.hostPort() + "\"}\n");
            Kodiak.Reload r = kodiak.reload();
            assertTrue(r.changes().contains("pool v1: removed (requests in flight finish; the 1 waiting in its queue got 503"
                    + " or the error page)"), r.changes().toString());
            assertEquals(503, queued.readResponse().status(), "answered now, not at the 60 s queue timeout");
            assertEquals(List.of("b", "b"), send(2));
            release.countDown();
            assertEquals(200, held.readResponse().status(), "the request in flight finished");
        }
    }

    @Test
    void aNodeThatDrainedItselfThroughItsHttpCheckIsBackWhenAReloadSwitchesToTcpChecks() throws Exception {
        ScriptedUpstream a = upstream("a");
        ScriptedUpstream b = ScriptedUpstream.start("b", r -> r.path().equals("/health")
                ? io.kodiak.testing.Action.respond(200, io.kodiak.testing.HeaderFields.of("X-Kodiak-State", "drain",
                        "Content-Type", "text/plain"), "ok".getBytes(java.nio.charset.StandardCharsets.UTF_8))
                : ScriptedUpstream.defaultResponse("b", r));
        ups.add(b);
        write("127.0.0.1:0", "    health-check: {type: http, path: /health, interval: 100ms}\n", a, b);
        start();
        Upstream ub = kodiak.upstream("app", "b");
        Conditions.await("b drained by its check, a up", () -> ub.state().equals("DRAIN")
                && kodiak.upstream("app", "a").available(), Duration.ofSeconds(10));
        assertEquals(List.of("a", "a"), send(2));

        write("127.0.0.1:0", "    health-check: {type: tcp, interval: 100ms}\n", a, b);
        kodiak.reload();
        assertSame(ub, kodiak.upstream("app", "b"));
        Conditions.await("b back: a TCP check cannot drain it", () -> ub.state().equals("UP") && ub.available(),
                Duration.ofSeconds(10));
        assertTrue(send(4).contains("b"));
    }

    @Test
    void theConnectionOfTheLastRequestToARemovedUpstreamClosesWhenItEnds() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        ScriptedUpstream a = upstream("a");
        ScriptedUpstream b = ScriptedUpstream.start("b", req -> {
            try {
                release.await(20, TimeUnit.SECONDS);
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
            return ScriptedUpstream.defaultResponse("b", req);
        });
        ups.add(b);
        write("127.0.0.1:0", "    health-check: {type: none}\n", a, b);
        start();
        Upstream ub = kodiak.upstream("app", "b");
        kodiak.setAdminState(kodiak.upstream("app", "a"), AdminState.MAINT); // the request goes to b
        try (RawClient held = RawClient.connect(port())) {
            held.send("GET /held HTTP/1.1\r\nHost: x\r\n\r\n");
            Conditions.await("a request in flight at b", () -> ub.inFlight() == 1, Duration.ofSeconds(10));
            java.util.concurrent.CompletableFuture<Void> idle = kodiak.removeUpstream(ub);
            release.countDown();
            assertEquals(200, held.readResponse().status());
            idle.get(10, TimeUnit.SECONDS);
            // Its end completed the removal; the connection it came back on is not kept for nobody.
            Conditions.await("Kodiak closed its last connection to b", () -> b.openConnections() == 0, Duration.ofSeconds(10));
        }
    }

    @Test
    void aListenerAddressThatCannotBeBoundChangesNothing() throws Exception {
        ScriptedUpstream a = upstream("a");
        ScriptedUpstream b = upstream("b");
        write("127.0.0.1:0", "", a);
        start();
        try (ServerSocket taken = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            write("127.0.0.1:" + taken.getLocalPort(), "", a, b);
            IOException e = assertThrows(IOException.class, () -> kodiak.reload());
            assertTrue(e.getMessage().startsWith("listener web: cannot listen on "), e.getMessage());
        }
        assertEquals(1, kodiak.pool("app").upstreams().size(), "the pool was not changed either");
        assertEquals(List.of("a", "a"), send(2));
    }

    @Test
    void reloadThroughTheAdminApiAndCtl() throws Exception {
        ScriptedUpstream a = upstream("a");
        ScriptedUpstream b = upstream("b");
        write("127.0.0.1:0", "", a);
        start();
        write("127.0.0.1:0", "", a, b);
        Map<String, String> env = Map.of("KODIAK_ADMIN", "127.0.0.1:" + kodiak.adminAddress().getPort(),
                "KODIAK_ADMIN_TOKEN", TOKEN, "KODIAK_HOME", dir.toString());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Ctl.run(List.of("reload"), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), env::get);
        assertEquals(Ctl.OK, code, err.toString(StandardCharsets.UTF_8));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("pool app: upstream b (" + b.hostPort() + ") added"), out.toString());

        Files.writeString(file, "listeners: [\n");
        ByteArrayOutputStream err2 = new ByteArrayOutputStream();
        int bad = Ctl.run(List.of("reload"), new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                new PrintStream(err2, true, StandardCharsets.UTF_8), env::get);
        assertEquals(Ctl.REFUSED, bad);
        String msg = err2.toString(StandardCharsets.UTF_8);
        assertTrue(msg.contains("the configuration was rejected, version " + kodiak.config().version() + " keeps running: " + file), msg);
        assertFalse(kodiak.pool("app").upstreams().isEmpty());
    }
}
