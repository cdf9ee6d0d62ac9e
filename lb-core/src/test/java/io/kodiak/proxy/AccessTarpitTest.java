package io.kodiak.proxy;

import io.kodiak.config.ConfigLoader;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.RawResponse;
import io.kodiak.testing.ScriptedUpstream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An access rule's {@code tarpit} over real sockets: the request is held for the rule's hold
 * (asserted only as "not before"), then answered 403 (with the route's error page) and PT in the access log; a client that
 * leaves while held leaves nothing behind, and other clients are served meanwhile.
 */
@Timeout(60)
class AccessTarpitTest {
    private static final Duration HOLD = Duration.ofMillis(400);
    private static final Duration WAIT = Duration.ofSeconds(10);
    private ScriptedUpstream web;
    private ProxyServer server;
    private Path log;

    @BeforeEach
    void start(@TempDir Path dir) throws Exception {
        web = ScriptedUpstream.start("web");
        log = dir.resolve("access.json");
        Files.writeString(dir.resolve("403.html"), "<h1>no</h1>\n");
        Path file = dir.resolve("kodiak.yaml");
        Files.writeString(file, "admin: {listen: off, state-file: off}\nmetrics: off\n"
                + "listeners:\n  - name: front\n    address: 127.0.0.1:0\n"
                + "    access-log: {target: " + log + ", format: json}\n"
                + "    routes:\n"
                + "      - path-prefix: /wp-login.php\n        pool: web\n"
                + "        error-pages: {\"403\": 403.html}\n"
                + "        access: [{action: tarpit, hold: " + HOLD.toMillis() + "ms}]\n"
                + "      - path-prefix: /slow-no/\n        pool: web\n"
                + "        access: [{action: tarpit, hold: 1m, status: 429, source: 10.0.0.0/8}]\n"
                + "      - {pool: web}\n"
                + "pools:\n"
                + "  web: {health-check: {type: none}, upstreams: [{name: web, address: \"" + web.hostPort() + "\"}]}\n");
        server = ProxyServer.start(ConfigLoader.load(file));
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        web.close();
    }

    private RawClient client() throws IOException {
        return RawClient.connect(server.boundAddress("front").getPort());
    }

    private List<String> lines() {
        try {
            return Files.exists(log) ? Files.readAllLines(log, StandardCharsets.UTF_8) : List.of();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void heldThenForbiddenAndLoggedAsTarpit() throws Exception {
        try (RawClient c = client()) {
            long start = System.nanoTime();
            c.send("GET /wp-login.php HTTP/1.1\r\nHost: front.example\r\n\r\n");
            RawResponse r = c.readResponse();
            long took = System.nanoTime() - start;
            assertEquals(403, r.status());
            assertEquals("<h1>no</h1>\n", r.bodyString(), "the route's error page, as a deny's");
            assertTrue(took >= HOLD.toNanos(), "answered after " + took / 1_000_000 + " ms, before the hold");
        }
        Conditions.await("a log line", () -> lines().size() == 1, WAIT);
        String line = lines().get(0);
        assertTrue(line.contains("\"termination\":\"PT\""), line);
        assertTrue(line.contains("\"status\":403"), line);
        assertEquals(0, web.requestsReceived());
    }

    @Test
    void otherClientsAreServedWhileOneIsHeldAndARuleThatDoesNotMatchHoldsNothing() throws Exception {
        try (RawClient held = client(); RawClient other = client()) {
            held.send("GET /wp-login.php HTTP/1.1\r\nHost: front.example\r\n\r\n");
            assertEquals(200, other.get("/").status(), "no thread waits for the held request");
            assertEquals(200, other.get("/slow-no/x").status(), "127.0.0.1 is not in 10.0.0.0/8");
            assertEquals(403, held.readResponse().status());
        }
    }

    @Test
    void aClientThatLeavesWhileHeldIsLoggedAsGone() throws Exception {
        try (RawClient c = client()) {
            c.send("GET /wp-login.php HTTP/1.1\r\nHost: front.example\r\n\r\n");
            c.close();
        }
        Conditions.await("a log line", () -> lines().size() == 1, WAIT);
        String line = lines().get(0);
        // The exchange's own state for a client gone before its answer (HAProxy would say CT).
        assertTrue(line.contains("\"termination\":\"CD\"") && line.contains("\"status\":0"), line);
        try (RawClient c = client()) {
            assertEquals(200, c.get("/").status(), "the proxy goes on");
        }
    }
}
