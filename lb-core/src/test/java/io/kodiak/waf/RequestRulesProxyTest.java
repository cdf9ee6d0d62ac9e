package io.kodiak.waf;

import io.kodiak.config.ConfigLoader;
import io.kodiak.proxy.ProxyServer;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.RawResponse;
import io.kodiak.testing.ScriptedUpstream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code request-rules} over real sockets: the listener's bundled rules deny with 403 and the
 * error page before any upstream is asked, and keep the connection; one rule disabled; a route's
 * own rules on path, query, header and body (Content-Length and chunked), a body over the limit
 * passed or refused, a streaming pool's body buffered so that a denied body never reaches the
 * upstream, and an expression that would backtrack for ever in java.util.regex.
 */
@Timeout(60)
class RequestRulesProxyTest {
    private ScriptedUpstream web;
    private ScriptedUpstream stream;
    private ProxyServer server;

    @BeforeEach
    void start(@TempDir Path dir) throws Exception {
        web = ScriptedUpstream.start("web");
        stream = ScriptedUpstream.start("stream");
        Files.writeString(dir.resolve("denied.html"), "<h1>denied</h1>\n");
        Path file = dir.resolve("kodiak.yaml");
        Files.writeString(file, "admin: {listen: off, state-file: off}\nmetrics: off\n"
                + "listeners:\n  - name: front\n    address: 127.0.0.1:0\n"
                + "    error-pages: {\"403\": denied.html}\n"
                + "    request-rules: {bundled: all, except: [bad-cookies]}\n"
                + "    routes:\n"
                + "      - path-prefix: /api/\n        pool: web\n        request-rules:\n"
                + "          body-limit: 1k\n"
                + "          rules:\n"
                + "            - {id: block-legacy, path: \"~^/api/v0/\", status: 410}\n"
                + "            - {id: no-sqlmap, headers: {User-Agent: \"~*sqlmap\"}}\n"
                + "            - {id: debug-param, query: \"debug=1\", status: 404}\n"
                + "            - {id: evil-regex, query: \"~(a+)+$\"}\n"
                + "            - {id: no-pickle, methods: [POST], body: \"~cos\\\\nsystem\", status: 422}\n"
                + "      - path-prefix: /strict/\n        pool: web\n        request-rules:\n"
                + "          body-limit: 1k\n          body-over-limit: refuse\n"
                + "          rules: [{id: no-drop, body: \"DROP TABLE\"}]\n"
                + "      - path-prefix: /stream/\n        pool: stream\n        request-rules:\n"
                + "          rules: [{id: no-drop, body: \"DROP TABLE\"}]\n"
                + "      - {pool: web}\n"
                + "pools:\n"
                + "  web: {health-check: {type: none}, upstreams: [{name: web, address: \"" + web.hostPort() + "\"}]}\n"
                + "  stream: {health-check: {type: none}, buffering: {request: false},"
                + " upstreams: [{name: stream, address: \"" + stream.hostPort() + "\"}]}\n");
        server = ProxyServer.start(ConfigLoader.load(file));
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        web.close();
        stream.close();
    }

    private RawClient client() throws Exception {
        return RawClient.connect(server.boundAddress("front").getPort());
    }

    private RawResponse get(String target, String... fields) throws Exception {
        try (RawClient c = client()) {
            return c.exchange("GET " + target + " HTTP/1.1\r\nHost: app.example\r\n" + String.join("", fields) + "\r\n");
        }
    }

    private static String post(String target, String body) {
        return "POST " + target + " HTTP/1.1\r\nHost: app.example\r\nContent-Length: " + body.length() + "\r\n\r\n" + body;
    }

    @Test
    void bundledRulesDenyWithTheErrorPageAndKeepTheConnection() throws Exception {
        try (RawClient c = client()) {
            for (String t : new String[] {"/.env", "/wp-admin/", "/a/..%2f..%2fetc/passwd", "/api/.git/config"}) {
                RawResponse r = c.get(t);
                assertEquals(403, r.status(), t);
                assertEquals("<h1>denied</h1>\n", r.bodyString(), t);
            }
            assertEquals(403, c.exchange("TRACE / HTTP/1.1\r\nHost: app.example\r\n\r\n").status());
            assertEquals(200, c.get("/static/app.env.js").status(), "the connection stays open, a near miss passes");
        }
        assertEquals(1, web.requestsReceived(), "only the legitimate request reached the upstream");
        assertEquals(200, get("/api/wp-admin-docs").status());
    }

    @Test
    void encodingTricksDoNotSlipPastTheRules() throws Exception {
        // An encoded separator in the path, encoded hex digits, triple encoding (sql-xss-probes is opt-in: not in "all").
        for (String t : List.of("/.git%2Fconfig", "/static%2F.env",
                "/a/%25%32%65%25%32%65/etc", "/a/%25252e%25252e/etc")) {
            assertEquals(403, get(t).status(), t);
        }
        assertEquals(404, get("/api/v1/users?x=%&debug%3D1").status(), "an own query rule, around a malformed escape");
        assertEquals(200, get("/s?q=100%").status(), "a lone % is no attack");
        assertEquals(0, web.requestsReceived() - 1, "only the lone % went upstream");
    }

    @Test
    void aDisabledBundledRuleDeniesNothing() throws Exception {
        assertEquals(200, get("/", "Cookie: a=" + "x".repeat(5000) + "\r\n").status(), "bad-cookies is excepted");
    }

    @Test
    void ownRulesOnPathQueryAndHeader() throws Exception {
        assertEquals(410, get("/api/v0/users").status());
        assertEquals(200, get("/api/v1/users").status());
        assertEquals(403, get("/api/v1/users", "User-Agent: sqlmap/1.7.2#stable\r\n").status());
        assertEquals(404, get("/api/v1/users?x=1&debug=1").status());
        assertEquals(200, get("/api/v1/users?x=1&debug=0").status());
        assertEquals(403, get("/.env").status(), "the listener's rules run before the route's");
    }

    @Test
    void aBackTrackingBombCompletes() throws Exception {
        String q = "a".repeat(6000) + "!";
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> assertEquals(200, get("/api/x?q=" + q).status()));
        assertEquals(403, get("/api/x?q=" + "a".repeat(100)).status());
    }

    @Test
    void bodyRulesDenyTheBufferedBodyBeforeItGoesUpstream() throws Exception {
        try (RawClient c = client()) {
            RawResponse r = c.exchange(post("/api/load", "c__builtin__\ncos\nsystem\n(S'id'\ntR."));
            assertEquals(422, r.status());
            RawResponse chunked = c.exchange("POST /api/load HTTP/1.1\r\nHost: app.example\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "6\r\nc__bui\r\n8\r\nltin__\nc\r\n9\r\nos\nsystem\r\n0\r\n\r\n");
            assertEquals(422, chunked.status(), "split across chunks");
            assertEquals(200, c.exchange(post("/api/load", "{\"name\": \"cos system\"}")).status(), "the connection stays open");
        }
        assertEquals(1, web.requestsReceived());
        String big = "x".repeat(2000) + "cos\nsystem";
        assertEquals(200, get("/api/ping").status());
        try (RawClient c = client()) {
            assertEquals(200, c.exchange(post("/api/load", big)).status(), "over body-limit: passed uninspected");
        }
    }

    @Test
    void aBodyOverTheLimitIsRefusedWhenAsked() throws Exception {
        try (RawClient c = client()) {
            assertEquals(200, c.exchange(post("/strict/x", "small")).status());
            assertEquals(403, c.exchange(post("/strict/x", "DROP TABLE users")).status());
        }
        try (RawClient c = client()) {
            c.send("POST /strict/x HTTP/1.1\r\nHost: app.example\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "5dc\r\n" + "y".repeat(1500) + "\r\n0\r\n\r\n");
            assertEquals(413, c.readResponse().status(), "a chunked body, once it passes the limit");
        }
        try (RawClient c = client()) {
            RawResponse r = c.exchange("POST /strict/x HTTP/1.1\r\nHost: app.example\r\nContent-Length: 1500\r\n"
                    + "Expect: 100-continue\r\n\r\n");
            assertEquals(413, r.status(), "a declared length over the limit: refused before the body, no 100 Continue");
        }
        assertEquals(1, web.requestsReceived());
    }

    @Test
    void aStreamingPoolsBodyIsBufferedForTheRulesAndNeverReachesTheUpstream() throws Exception {
        try (RawClient c = client()) {
            assertEquals(403, c.exchange(post("/stream/up", "please DROP TABLE users")).status());
            assertEquals(200, c.exchange(post("/stream/up", "fine")).status());
        }
        assertEquals(1, stream.requestsReceived());
        assertTrue(stream.requests().get(0).toString().contains("/stream/up"));
    }
}
