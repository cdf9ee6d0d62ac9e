package io.kodiak.proxy;

import io.kodiak.Kodiak;
import io.kodiak.config.ConfigLoader;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.RawResponse;
import io.kodiak.testing.ScriptedUpstream;
import io.kodiak.upstream.AdminState;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The admin API and {@code /metrics} against DNS rebinding and cross-site requests, over real
 * sockets: a request must name the listener in {@code Host} (a loopback name or literal, the listen
 * address, or a configured name) and must come from no {@code Origin} but the listener's own
 * ({@code http://} and the Host, same port). The session's checks are {@code AdminSessionTest}'s.
 */
@Timeout(60)
class HostCheckTest {
    @TempDir
    Path dir;
    private ScriptedUpstream web;
    private Kodiak kodiak;
    private int admin;
    private int metrics;

    @BeforeEach
    void start() throws Exception {
        web = ScriptedUpstream.start("web-1");
        kodiak = Kodiak.start(ConfigLoader.parse("""
                admin: {listen: 127.0.0.1:0, token: %s, state-file: off, allowed-hosts: [kodiak.internal]}
                metrics: {listen: 127.0.0.1:0, allowed-hosts: [scrape.internal]}
                listeners: [{name: web, address: 127.0.0.1:0}]
                pools:
                  app:
                    health-check: {type: none}
                    upstreams: [{name: web-1, address: "%s"}]
                """.formatted(AdminApiTest.TOKEN, web.hostPort()), dir.resolve("kodiak.yaml")));
        admin = kodiak.adminAddress().getPort();
        metrics = kodiak.metricsAddress().getPort();
    }

    @AfterEach
    void stop() {
        if (kodiak != null) {
            kodiak.close();
        }
        if (web != null) {
            web.close();
        }
    }

    /** One request on its own connection, with exactly the given head fields. */
    private static RawResponse send(int port, String method, String target, String... fields) throws IOException {
        StringBuilder head = new StringBuilder(method + " " + target + " HTTP/1.1\r\n");
        for (String f : fields) {
            head.append(f).append("\r\n");
        }
        if (method.equals("POST")) {
            byte[] body = "{\"state\": \"drain\"}".getBytes(StandardCharsets.UTF_8);
            head.append("Authorization: Bearer ").append(AdminApiTest.TOKEN).append("\r\nContent-Type: application/json\r\n")
                    .append("Content-Length: ").append(body.length).append("\r\n\r\n").append(new String(body, StandardCharsets.UTF_8));
        } else {
            head.append("\r\n");
        }
        try (RawClient c = RawClient.connect(port)) {
            return c.exchange(head.toString());
        }
    }

    @Test
    void aReadWithAForeignHostIsRefusedWith421AndLoopbackNamesAreServed() throws Exception {
        for (String host : List.of("evil.example", "evil.example:" + admin, "localhost.evil.example", "evil.localhost",
                "127.0.0.1.evil.example", "localhost.", "10.1.2.3", "kodiak.internal.evil.example")) {
            RawResponse r = send(admin, "GET", "/v1/status", "Host: " + host);
            assertEquals(421, r.status(), host + " -> " + r);
            assertTrue(r.bodyString().contains("is not a name of this listener"), r.bodyString());
            assertTrue(r.bodyString().contains("admin.allowed-hosts"), r.bodyString());
            assertTrue(!r.bodyString().contains("\"pools\""), "nothing of the status leaks: " + r.bodyString());
        }
        for (String host : List.of("127.0.0.1:" + admin, "localhost", "localhost:" + admin, "LocalHost:1", "127.0.0.1",
                "127.3.4.5:80", "[::1]:" + admin, "kodiak.internal", "Kodiak.Internal:" + admin)) {
            RawResponse r = send(admin, "GET", "/v1/status", "Host: " + host);
            assertEquals(200, r.status(), host + " -> " + r);
            assertTrue(r.bodyString().contains("\"pools\""), r.bodyString());
        }
        assertEquals(421, send(admin, "GET", "/v1/status", "Host: scrape.internal").status(), "the metrics' names are not the admin's");
    }

    @Test
    void aForeignOriginIsRefusedWith403EvenWithTheTokenAndChangesNothing() throws Exception {
        // Only the listener's own origin: another port of 127.0.0.1 (the data listener, a dev server)
        // or another of its names is another origin, though cookies and SameSite cannot tell.
        for (String origin : List.of("http://evil.example", "https://evil.example:" + admin, "null", "file://", "http://127.0.0.1.evil.example",
                "http://127.0.0.1:" + kodiak.boundAddress("web").getPort(), "http://127.0.0.1:" + metrics, "http://127.0.0.1",
                "http://localhost:" + admin, "https://127.0.0.1", "http://kodiak.internal:" + admin)) {
            RawResponse post = send(admin, "POST", "/v1/pools/app/upstreams/web-1/state", "Host: 127.0.0.1:" + admin, "Origin: " + origin);
            assertEquals(403, post.status(), origin + " -> " + post);
            assertTrue(post.bodyString().contains("may not use this listener"), post.bodyString());
            assertEquals(403, send(admin, "GET", "/v1/status", "Host: 127.0.0.1:" + admin, "Origin: " + origin).status(), origin);
        }
        assertEquals(AdminState.READY, kodiak.upstream("app", "web-1").adminState(), "no forged change went through");
        RawResponse local = send(admin, "POST", "/v1/pools/app/upstreams/web-1/state", "Host: localhost:" + admin,
                "Origin: http://localhost:" + admin);
        RawResponse byName = send(admin, "GET", "/v1/status", "Host: Kodiak.Internal:" + admin, "Origin: http://kodiak.internal:" + admin);
        assertEquals(200, byName.status(), "an allowed name's own origin: " + byName);
        assertEquals(200, local.status(), local.toString());
        assertEquals(AdminState.DRAIN, kodiak.upstream("app", "web-1").adminState());
    }

    @Test
    void metricsRefuseAForeignHostWith421AndServeLoopbackNames() throws Exception {
        for (String path : List.of("/metrics", "/", "/-/healthy")) {
            RawResponse r = send(metrics, "GET", path, "Host: evil.example");
            assertEquals(421, r.status(), path + " -> " + r);
            assertTrue(r.bodyString().contains("metrics.allowed-hosts"), r.bodyString());
            assertTrue(r.header("Content-Type").startsWith("text/plain"), r.toString());
        }
        assertEquals(421, send(metrics, "GET", "/metrics", "Host: kodiak.internal").status(), "the admin's names are not the metrics'");
        assertEquals(403, send(metrics, "GET", "/metrics", "Host: 127.0.0.1:" + metrics, "Origin: http://evil.example").status());
        assertEquals(403, send(metrics, "GET", "/metrics", "Host: 127.0.0.1:" + metrics, "Origin: http://127.0.0.1:" + admin).status(),
                "the admin listener's page is another origin");
        assertEquals(200, send(metrics, "GET", "/metrics", "Host: 127.0.0.1:" + metrics, "Origin: http://127.0.0.1:" + metrics).status());
        for (String host : List.of("127.0.0.1:" + metrics, "localhost", "localhost:" + metrics, "scrape.internal:" + metrics)) {
            RawResponse r = send(metrics, "GET", "/metrics", "Host: " + host);
            assertEquals(200, r.status(), host + " -> " + r);
            assertTrue(r.bodyString().contains("jvm_memory_used_bytes"), host);
        }
    }
}
