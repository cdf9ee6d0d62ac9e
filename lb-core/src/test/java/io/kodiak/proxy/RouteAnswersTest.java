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

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A route's {@code redirect} and {@code respond} over real sockets: the status, Location (query
 * appended or dropped), bodies from text and file, fields, HEAD, keep-alive, and request values
 * that would split the Location if they were not encoded. The upstream is never asked.
 */
@Timeout(60)
class RouteAnswersTest {
    private static final byte[] PNG = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 0x0d};
    private ScriptedUpstream web;
    private ProxyServer server;
    private Path file;

    @BeforeEach
    void start(@TempDir Path dir) throws Exception {
        web = ScriptedUpstream.start("web");
        Files.write(dir.resolve("logo.png"), PNG);
        Files.createDirectories(dir.resolve("pages"));
        Files.writeString(dir.resolve("pages/maint.html"), "<h1>back soon</h1>\n");
        file = dir.resolve("kodiak.yaml");
        Files.writeString(file, "admin: {listen: off, state-file: off}\nmetrics: off\n"
                + "listeners:\n  - name: front\n    address: 127.0.0.1:0\n"
                + "    request-id: {echo: true}\n    routes:\n"
                + "      - {path-prefix: /perftest/, pool: web, respond: 200}\n"
                + "      - {path-prefix: /gone, pool: web, respond: 410}\n"
                + "      - {path-prefix: /nothing, pool: web, respond: {status: 204, headers: {X-A: b}}}\n"
                + "      - {path-prefix: /hello, pool: web, respond: {body: \"héllo\\n\", headers: {Cache-Control: no-store, X-Frame-Options: DENY}}}\n"
                + "      - {path-prefix: /json, pool: web, respond: {status: 503, body: '{\"ok\":false}', content-type: application/json}}\n"
                + "      - {path-prefix: /logo.png, pool: web, respond: {file: logo.png}}\n"
                + "      - {path-prefix: /maint, pool: web, respond: {file: pages/maint.html}}\n"
                + "      - {path-prefix: /old/, pool: web, redirect: {to: '/new/', status: 308}}\n"
                + "      - {path-prefix: /tmp/, pool: web, redirect: /elsewhere}\n"
                + "      - {path-prefix: /drop/, pool: web, redirect: {to: '/plain?', status: 301}}\n"
                + "      - {path-prefix: /own/, pool: web, redirect: {to: '/search?q=1', status: 303}}\n"
                + "      - {path-prefix: /secure/, pool: web, redirect: {to: 'https://$host$request_uri', status: 301}}\n"
                + "      - {path-prefix: /go/, pool: web, redirect: {to: 'https://example.com/$http_x_dest$uri', status: 307}}\n"
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

    private RawClient client() throws Exception {
        return RawClient.connect(server.boundAddress("front").getPort());
    }

    private RawResponse get(String target) throws Exception {
        try (RawClient c = client()) {
            return c.exchange("GET " + target + " HTTP/1.1\r\nHost: front.example\r\nX-Request-ID: rid-1\r\n\r\n");
        }
    }

    @Test
    void returnStatusAloneIsAnEmptyAnswerWithDateAndLength() throws Exception {
        RawResponse r = get("/perftest/");
        assertEquals(200, r.status());
        assertEquals("OK", r.reason());
        assertEquals("0", r.header("Content-Length"));
        assertNull(r.header("Content-Type"), "no body, no type");
        assertNotNull(r.header("Date"));
        assertEquals(410, get("/gone").status());
        assertEquals("Gone", get("/gone").reason());
        assertEquals(0, web.requestsReceived(), "no upstream asked");
    }

    @Test
    void aBodyFromTextWithItsFieldsAndTheEchoedRequestId() throws Exception {
        RawResponse r = get("/hello");
        assertEquals(200, r.status());
        assertEquals("text/plain; charset=utf-8", r.header("Content-Type"));
        assertEquals("héllo\n", new String(r.body().bytes(), StandardCharsets.UTF_8));
        assertEquals("7", r.header("Content-Length"), "UTF-8 bytes");
        assertEquals("no-store", r.header("Cache-Control"));
        assertEquals("DENY", r.header("X-Frame-Options"));
        assertEquals(1, r.headers().values("X-Request-ID").size());
        RawResponse j = get("/json");
        assertEquals(503, j.status());
        assertEquals("application/json", j.header("Content-Type"));
        assertEquals("{\"ok\":false}", j.bodyString());
    }

    @Test
    void aBodyFromAFileWithItsTypeGuessedFromTheExtension() throws Exception {
        RawResponse png = get("/logo.png");
        assertEquals("image/png", png.header("Content-Type"));
        assertArrayEquals(PNG, png.body().bytes());
        RawResponse html = get("/maint");
        assertEquals("text/html; charset=utf-8", html.header("Content-Type"));
        assertEquals("<h1>back soon</h1>\n", html.bodyString());
    }

    @Test
    void a204HasNoBodyNorLength() throws Exception {
        try (RawClient c = client()) {
            RawResponse r = c.exchange("GET /nothing HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals(204, r.status());
            assertNull(r.header("Content-Length"));
            assertEquals("b", r.header("X-A"));
            assertEquals(200, c.get("/perftest/").status(), "nothing followed the 204's head");
        }
    }

    @Test
    void headGetsTheHeadOnlyAndTheConnectionStaysOpenForTheNext() throws Exception {
        try (RawClient c = client()) {
            RawResponse h = c.exchange("HEAD /hello HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals(200, h.status());
            assertEquals("7", h.header("Content-Length"), "what a GET would get");
            assertEquals(0, h.body().length());
            RawResponse g = c.exchange("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals("héllo\n", new String(g.body().bytes(), StandardCharsets.UTF_8));
            RawResponse redirect = c.exchange("HEAD /old/a HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals(308, redirect.status());
            assertEquals(0, redirect.body().length());
            assertEquals(200, c.exchange("GET /perftest/ HTTP/1.1\r\nHost: t\r\n\r\n").status());
        }
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrderOnOneConnection() throws Exception {
        try (RawClient c = client()) {
            c.send("GET /perftest/ HTTP/1.1\r\nHost: t\r\n\r\nGET /hello HTTP/1.1\r\nHost: t\r\n\r\n"
                    + "GET /old/x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
            List<RawResponse> rs = c.readResponses(3);
            assertEquals(List.of(200, 200, 308), rs.stream().map(RawResponse::status).toList());
            assertEquals("close", rs.get(2).header("Connection"));
            assertEquals(RawClient.Closure.EOF, c.awaitClose());
        }
    }

    @Test
    void anHttp10ClientIsClosedAfterTheAnswer() throws Exception {
        try (RawClient c = client()) {
            RawResponse r = c.exchange("GET /hello HTTP/1.0\r\n\r\n");
            assertEquals(200, r.status());
            assertEquals("close", r.header("Connection"));
        }
    }

    /** As a proxied answer does (ClientKeepAliveTest): an HTTP/1.0 client kept alive is told so. */
    @Test
    void anHttp10ClientAskingForKeepAliveIsToldTheConnectionStaysOpen() throws Exception {
        try (RawClient c = client()) {
            for (String path : List.of("/perftest/", "/hello", "/old/x", "/nothing")) {
                RawResponse r = c.exchange("GET " + path + " HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
                assertEquals("keep-alive", r.header("Connection"), path + ": " + r.rawHeadString());
            }
            RawResponse head = c.exchange("HEAD /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
            assertEquals("keep-alive", head.header("Connection"), head.rawHeadString());
            RawResponse last = c.exchange("GET /perftest/ HTTP/1.0\r\n\r\n");
            assertEquals("close", last.header("Connection"));
            assertEquals(RawClient.Closure.EOF, c.awaitClose());
        }
    }

    @Test
    void redirectStatusesAndTheQueryAppendedOrDropped() throws Exception {
        RawResponse r = get("/old/a?x=1&y=2");
        assertEquals(308, r.status());
        assertEquals("/new/?x=1&y=2", r.header("Location"), "no '?' in the target: the client's query follows");
        assertTrue(r.bodyString().contains("308 Permanent Redirect"), r.bodyString());
        assertEquals("text/html; charset=utf-8", r.header("Content-Type"));
        RawResponse t = get("/tmp/x?a=1");
        assertEquals(302, t.status(), "the default, as nginx's rewrite ... redirect");
        assertEquals("/elsewhere?a=1", t.header("Location"));
        assertEquals("/plain", get("/drop/x?secret=1").header("Location"), "a final '?' drops the query");
        assertEquals(301, get("/drop/x").status());
        RawResponse own = get("/own/x?z=9");
        assertEquals(303, own.status());
        assertEquals("/search?q=1", own.header("Location"), "the target's own query replaces the client's");
        assertEquals("https://front.example/secure/p?q=1", get("/secure/p?q=1").header("Location"));
        assertEquals(0, web.requestsReceived());
    }

    @Test
    void hostileRequestValuesCannotSplitTheLocation() throws Exception {
        try (RawClient c = client()) {
            // Raw bytes a lenient parser lets through in a target, and an encoded CR LF.
            RawResponse r = c.exchange("GET /go/%0D%0ASet-Cookie:%20x=1/<script>\"'{}| HTTP/1.1\r\nHost: t\r\n"
                    + "X-Dest: a b\tc\u00e9\r\n\r\n");
            assertEquals(307, r.status());
            String loc = r.header("Location");
            assertEquals("https://example.com/a%20b%09c%C3%A9/go/%0D%0ASet-Cookie:%20x=1/%3Cscript%3E%22'%7B%7D%7C", loc);
            assertNull(r.header("Set-Cookie"));
            String head = r.rawHeadString();
            assertFalse(head.contains("\r\nSet-Cookie"), head);
            assertEquals(200, c.exchange("GET /perftest/ HTTP/1.1\r\nHost: t\r\n\r\n").status(), "the connection is intact");
        }
    }

    @Test
    void aReloadChangesTheAnswerOnAnOpenConnectionAndAnUnchangedFileIsNoChange() throws Exception {
        try (RawClient c = client()) {
            assertEquals("<h1>back soon</h1>\n", c.get("/maint").bodyString());
            assertEquals(List.of(), server.reload(ConfigLoader.load(file)), "the same files: nothing changed");
            Files.writeString(file.resolveSibling("pages/maint.html"), "<h1>back now</h1>\n");
            Files.writeString(file, Files.readString(file).replace("respond: 410", "respond: {status: 410, body: bye}"));
            assertTrue(!server.reload(ConfigLoader.load(file)).isEmpty());
            assertEquals("<h1>back now</h1>\n", c.get("/maint").bodyString(), "the file is read again");
            assertEquals("bye", c.get("/gone").bodyString());
        }
    }
}
