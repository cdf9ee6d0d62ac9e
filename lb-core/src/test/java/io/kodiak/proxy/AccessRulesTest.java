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

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@code access} rules over real sockets, with clients from 127.0.0.1, 127.0.0.2 and 127.0.0.3
 * (all loopback on Linux, each a different client address to Kodiak): a listener's deny before
 * every route, an allow list with "deny everything else", first match wins, method, path and
 * header conditions, a redirect, a deny that takes the route's error page, and a source file.
 */
@Timeout(60)
class AccessRulesTest {
    static final InetAddress ONE = loopback(1);
    static final InetAddress TWO = loopback(2);
    static final InetAddress THREE = loopback(3);
    private ScriptedUpstream web;
    private ProxyServer server;

    static InetAddress loopback(int last) {
        try {
            return InetAddress.getByAddress(new byte[] {127, 0, 0, (byte) last});
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    @BeforeEach
    void start(@TempDir Path dir) throws Exception {
        web = ScriptedUpstream.start("web");
        Files.createDirectories(dir.resolve("pages"));
        Files.writeString(dir.resolve("pages/403.html"), "<h1>not from here</h1>\n");
        Files.writeString(dir.resolve("block.txt"), "# abuse list\n203.0.113.0/24\n127.0.0.2   # a bad neighbour\n2001:db8::/32\n");
        Path file = dir.resolve("kodiak.yaml");
        Files.writeString(file, "admin: {listen: off, state-file: off}\nmetrics: off\n"
                + "listeners:\n  - name: front\n    address: 127.0.0.1:0\n"
                + "    access:\n"
                + "      - {action: deny, source: 127.0.0.3}\n"
                + "    routes:\n"
                + "      - path-prefix: /office/\n        pool: web\n        access:\n"
                + "          - {action: allow, source: [127.0.0.2, \"::1\"]}\n"
                + "          - deny\n"
                + "      - path-prefix: /order/\n        pool: web\n        access:\n"
                + "          - {action: deny, source: 127.0.0.0/8, path-prefix: /order/deny-first/}\n"
                + "          - {action: allow, source: 127.0.0.0/8}\n"
                + "          - {action: deny, path-prefix: /order/}\n"
                + "      - path-prefix: /api/\n        pool: web\n        access:\n"
                + "          - {action: deny, methods: [DELETE], status: 405}\n"
                + "          - {action: redirect, headers: {x-legacy: \"true\"}, to: '/v2$uri', status: 308}\n"
                + "          - {action: deny, path-regex: '^/api/internal(/|$)', status: 404}\n"
                + "          - {action: deny, headers: {user-agent: \"~(?i)sqlmap\"}}\n"
                + "      - path-prefix: /blocked/\n        pool: web\n"
                + "        error-pages: {\"403\": pages/403.html}\n"
                + "        access: [{action: deny, source-file: block.txt}]\n"
                + "      - path-prefix: /outside/\n        pool: web\n"
                + "        access: [{action: deny, not-source: 127.0.0.1}]\n"
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

    private RawResponse send(InetAddress from, String head) throws Exception {
        try (RawClient c = RawClient.connectFrom(from, server.boundAddress("front").getPort())) {
            return c.exchange(head);
        }
    }

    private int get(InetAddress from, String target) throws Exception {
        return send(from, "GET " + target + " HTTP/1.1\r\nHost: front.example\r\n\r\n").status();
    }

    @Test
    void theListenersRulesComeBeforeEveryRoute() throws Exception {
        assertEquals(403, get(THREE, "/"));
        assertEquals(403, get(THREE, "/office/"), "the listener decides before the route's allow");
        assertEquals(200, get(ONE, "/"));
        assertEquals(1, web.requestsReceived(), "denied requests never reach the upstream");
    }

    @Test
    void anAllowListWithDenyForEveryoneElse() throws Exception {
        assertEquals(200, get(TWO, "/office/plan"));
        RawResponse r = send(ONE, "GET /office/plan HTTP/1.1\r\nHost: front.example\r\n\r\n");
        assertEquals(403, r.status());
        assertEquals("403 Forbidden\n", r.bodyString());
        assertEquals(1, web.requestsReceived());
    }

    @Test
    void theFirstRuleThatMatchesDecides() throws Exception {
        assertEquals(403, get(ONE, "/order/deny-first/x"), "a deny before the allow wins");
        assertEquals(200, get(ONE, "/order/x"), "the allow before the deny wins");
        assertEquals(200, get(TWO, "/order/x"));
    }

    @Test
    void methodPathAndHeaderConditions() throws Exception {
        assertEquals(405, send(ONE, "DELETE /api/users/1 HTTP/1.1\r\nHost: front.example\r\n\r\n").status());
        assertEquals(200, send(ONE, "GET /api/users/1 HTTP/1.1\r\nHost: front.example\r\n\r\n").status());
        assertEquals(404, get(ONE, "/api/internal/metrics"));
        assertEquals(404, get(ONE, "/api/internal"));
        assertEquals(200, get(ONE, "/api/internals"), "the expression's own anchors");
        assertEquals(404, get(ONE, "/api/x/../internal/"), "on the normalised path, as routes see it");
        assertEquals(403, send(ONE, "GET /api/ HTTP/1.1\r\nHost: front.example\r\nUser-Agent: SQLMap/1.7\r\n\r\n").status());
        assertEquals(200, send(ONE, "GET /api/ HTTP/1.1\r\nHost: front.example\r\nUser-Agent: curl/8\r\n\r\n").status());
        assertEquals(3, web.requestsReceived());
    }

    @Test
    void aRedirectTakesTheRoutesRedirectAnswer() throws Exception {
        RawResponse r = send(ONE, "GET /api/a?b=1 HTTP/1.1\r\nHost: front.example\r\nX-Legacy: true\r\n\r\n");
        assertEquals(308, r.status());
        assertEquals("/v2/api/a?b=1", r.header("Location"));
        assertEquals(0, web.requestsReceived());
    }

    @Test
    void aDenyTakesTheRoutesErrorPageAndASourceFileIsLookedUp() throws Exception {
        RawResponse r = send(TWO, "GET /blocked/x HTTP/1.1\r\nHost: front.example\r\n\r\n");
        assertEquals(403, r.status());
        assertEquals("<h1>not from here</h1>\n", r.bodyString());
        assertEquals("text/html; charset=utf-8", r.header("Content-Type"));
        assertEquals(200, get(ONE, "/blocked/x"), "127.0.0.1 is not in the file");
    }

    @Test
    void notSourceHoldsForEveryoneElse() throws Exception {
        assertEquals(200, get(ONE, "/outside/"));
        assertEquals(403, get(TWO, "/outside/"));
    }

    /** An IPv6 client against IPv6 rules (skipped where the loopback has no IPv6). */
    @Test
    void ipv6ClientsAndRanges(@TempDir Path dir) throws Exception {
        InetAddress v6 = InetAddress.getByName("::1");
        try (java.net.ServerSocket probe = new java.net.ServerSocket(0, 1, v6)) {
            probe.getLocalPort();
        } catch (java.io.IOException e) {
            org.junit.jupiter.api.Assumptions.abort("no IPv6 loopback: " + e);
        }
        Path file = dir.resolve("v6.yaml");
        Files.writeString(file, "admin: {listen: off, state-file: off}\nmetrics: off\n"
                + "listeners:\n  - name: v6\n    address: \"[::1]:0\"\n"
                + "    access:\n"
                + "      - {action: deny, source: \"::1\", path-prefix: /no-v6/}\n"
                + "      - {action: allow, source: [\"0:0:0:0:0:0:0:0/127\", 127.0.0.0/8]}\n"
                + "      - {action: deny, status: 451}\n"
                + "    routes: [{pool: web}]\n"
                + "pools:\n"
                + "  web: {health-check: {type: none}, upstreams: [{name: web, address: \"" + web.hostPort() + "\"}]}\n");
        try (ProxyServer v6server = ProxyServer.start(io.kodiak.config.ConfigLoader.load(file));
             RawClient c = RawClient.connect(new java.net.InetSocketAddress(v6, v6server.boundAddress("v6").getPort()),
                     RawClient.DEFAULT_READ_TIMEOUT)) {
            assertEquals(403, c.exchange("GET /no-v6/ HTTP/1.1\r\nHost: v6\r\n\r\n").status());
            assertEquals(200, c.exchange("GET /yes HTTP/1.1\r\nHost: v6\r\n\r\n").status());
        }
    }

    @Test
    void aKeptAliveConnectionGoesOnAfterADeny() throws Exception {
        try (RawClient c = RawClient.connectFrom(ONE, server.boundAddress("front").getPort())) {
            assertEquals(403, c.exchange("GET /office/ HTTP/1.1\r\nHost: front.example\r\n\r\n").status());
            assertEquals(200, c.exchange("GET /office-not/ HTTP/1.1\r\nHost: front.example\r\n\r\n").status());
        }
        assertEquals(1, web.requestsReceived());
    }
}
