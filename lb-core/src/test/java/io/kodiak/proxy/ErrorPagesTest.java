package io.kodiak.proxy;

import io.kodiak.config.ConfigLoader;
import io.kodiak.testing.Action;
import io.kodiak.testing.HeaderFields;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.RawResponse;
import io.kodiak.testing.RecordedRequest;
import io.kodiak.testing.ScriptedUpstream;
import io.kodiak.upstream.AdminState;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * {@code error-pages} over real sockets: Kodiak's own answers (404 without a route, 413, 502
 * after failed attempts, 503 with no upstream) get the page of the route, else the pool, else
 * the listener; and with {@code intercept} an upstream's 500 with a traceback reaches the client
 * as the page, with both connections kept alive.
 */
@Timeout(60)
class ErrorPagesTest {
    private static final String TRACEBACK = "Traceback (most recent call last):\n  File \"/srv/app/views.py\", line 7\n"
            + "KeyError: 'SECRET_KEY=hunter2'\n";
    private ScriptedUpstream app;
    private ScriptedUpstream drained;
    private TestProxy proxy;

    @BeforeEach
    void start(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("listener5.html"), "listener 5xx\n");
        Files.writeString(dir.resolve("listener4.txt"), "listener 4xx\n");
        Files.writeString(dir.resolve("route.html"), "route page\n");
        Files.writeString(dir.resolve("pool.json"), "{\"pool\": true}\n");
        Files.writeString(dir.resolve("old.html"), "old pool page\n");
        Files.createDirectories(dir.resolve("errors"));
        Files.writeString(dir.resolve("errors/oops"), "Sorry, something broke.\n");
        app = ScriptedUpstream.start("app", ErrorPagesTest::answer);
        drained = ScriptedUpstream.start("drained");
        String dead = "[127.0.0.1:" + ScriptedUpstream.unusedPort() + "]";
        String yaml = "admin: {listen: off, state-file: off}\nmetrics: off\n"
                + "listeners:\n"
                + "  - name: " + ProxyConfig.LISTENER + "\n"
                + "    address: 127.0.0.1:0\n"
                + "    error-pages: {\"5xx\": listener5.html, \"4xx\": listener4.txt}\n"
                + "    routes:\n"
                + "      - {path-prefix: /routed/, pool: dead-paged, error-pages: {\"502\": route.html}}\n"
                + "      - {path-prefix: /pooled/, pool: dead-paged}\n"
                + "      - {path-prefix: /listened/, pool: dead}\n"
                + "      - {path-prefix: /small/, pool: small, error-pages: {\"413\": route.html}}\n"
                + "      - {path-prefix: /small-listener/, pool: small}\n"
                + "      - {path-prefix: /drained/, pool: drained}\n"
                + "      - {path-prefix: /drained-routed/, pool: drained, error-pages: {\"503\": route.html}}\n"
                + "      - path-prefix: /app/\n"
                + "        pool: app\n"
                + "        error-pages:\n"
                + "          \"500\": {file: errors/oops, content-type: text/plain; charset=utf-8}\n"
                + "          intercept: true\n"
                + "      - {path-prefix: /plain/, pool: app}\n"
                + "  - name: intercepting\n"
                + "    address: 127.0.0.1:0\n"
                + "    error-pages: {\"5xx\": listener5.html, intercept: true}\n"
                + "    routes:\n"
                + "      - {path-prefix: /r/, pool: app, error-pages: {\"500\": route.html, \"404\": {file: errors/oops, content-type: text/plain}}}\n"
                + "      - {path-prefix: /both/, pool: app, error-pages: {\"500\": route.html, intercept: true}}\n"
                + "      - {pool: app}\n"
                + "pools:\n"
                + "  dead: {health-check: {type: none}, upstreams: " + dead + "}\n"
                + "  dead-paged: {health-check: {type: none}, upstreams: " + dead + ", error-pages: {\"5xx\": pool.json}}\n"
                + "  small: {health-check: {type: none}, upstreams: [\"" + app.hostPort() + "\"],"
                + " buffering: {max-request-body: 10}}\n"
                + "  drained: {health-check: {type: none}, upstreams: [\"" + drained.hostPort() + "\"],"
                + " error-page: {file: old.html}, error-pages: {\"5xx\": pool.json}}\n"
                + "  app: {health-check: {type: none}, upstreams: [{name: app, address: \"" + app.hostPort() + "\"}]}\n";
        proxy = TestProxy.start(ConfigLoader.parse(yaml, dir.resolve("kodiak.yaml")));
        proxy.kodiak().setAdminState(proxy.kodiak().upstream("drained", drained.hostPort()), AdminState.DRAIN);
    }

    @AfterEach
    void stop() {
        if (proxy != null) {
            proxy.close();
        }
        app.close();
        drained.close();
    }

    /** A Django-style 500 with its debug page for /app/boom and /plain/boom; chunked for .../chunked. */
    private static Action answer(RecordedRequest r) {
        HeaderFields fields = HeaderFields.of("Content-Type", "text/html", "ETag", "\"tb\"", "X-App", "yes");
        if (r.target().endsWith("/boom")) {
            return Action.respond(500, fields, TRACEBACK.getBytes(StandardCharsets.UTF_8));
        }
        if (r.target().endsWith("/chunked")) {
            byte[] tb = TRACEBACK.getBytes(StandardCharsets.UTF_8);
            return Action.chunked(500, fields, List.of(tb, tb, tb));
        }
        if (r.target().endsWith("/empty")) {
            return Action.respond(500, fields, new byte[0]);
        }
        if (r.target().endsWith("/bad")) {
            return Action.respond(502, fields, TRACEBACK.getBytes(StandardCharsets.UTF_8));
        }
        if (r.target().endsWith("/missing")) {
            return Action.respond(404, fields, "app's own 404".getBytes(StandardCharsets.UTF_8));
        }
        return ScriptedUpstream.defaultResponse("app", r);
    }

    @Test
    void noRouteGetsTheListenersClassPage() throws Exception {
        try (RawClient c = proxy.client()) {
            RawResponse r = c.get("/nowhere");
            assertEquals(404, r.status());
            assertEquals("text/plain; charset=utf-8", r.header("Content-Type"));
            assertEquals("listener 4xx\n", r.bodyString());
            assertEquals(200, c.get("/app/fine").status(), "the connection stays usable");
        }
    }

    /** A request Kodiak refuses before routing it gets the listener's page, and the connection closes as before. */
    @Test
    void malformedRequestGetsTheListenersPage() throws Exception {
        try (RawClient c = proxy.client()) {
            RawResponse r = c.exchange("GET /app/x HTTP/1.1\r\nHost: t\r\nNo colon here\r\n\r\n");
            assertEquals(400, r.status());
            assertEquals("listener 4xx\n", r.bodyString());
            assertEquals("text/plain; charset=utf-8", r.header("Content-Type"));
            assertEquals("close", r.header("Connection"));
        }
    }

    @Test
    void failedAttemptsGetTheRoutesPageThenThePoolsThenTheListeners() throws Exception {
        try (RawClient c = proxy.client()) {
            RawResponse route = c.get("/routed/x");
            assertEquals(502, route.status());
            assertEquals("route page\n", route.bodyString());
            assertEquals("text/html; charset=utf-8", route.header("Content-Type"));

            RawResponse pool = c.get("/pooled/x");
            assertEquals(502, pool.status());
            assertEquals("{\"pool\": true}\n", pool.bodyString());
            assertEquals("application/json", pool.header("Content-Type"));

            RawResponse listener = c.get("/listened/x");
            assertEquals(502, listener.status());
            assertEquals("listener 5xx\n", listener.bodyString());
        }
    }

    @Test
    void tooLargeBodyGetsItsPage() throws Exception {
        try (RawClient c = proxy.client()) {
            RawResponse route = c.exchange("POST /small/ HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\n\r\n12345678901");
            assertEquals(413, route.status());
            assertEquals("route page\n", route.bodyString());
        }
        try (RawClient c = proxy.client()) {
            RawResponse listener = c.exchange("POST /small-listener/ HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\n\r\n12345678901");
            assertEquals(413, listener.status());
            assertEquals("listener 4xx\n", listener.bodyString());
        }
    }

    /** The pool's older single error-page still answers "no upstream"; a route's page for 503 comes first. */
    @Test
    void noUpstreamKeepsThePoolsErrorPageUnlessTheRouteHasOne() throws Exception {
        try (RawClient c = proxy.client()) {
            RawResponse pool = c.get("/drained/");
            assertEquals(503, pool.status());
            assertEquals("old pool page\n", pool.bodyString());
            assertEquals("1", pool.header("Retry-After"));

            RawResponse route = c.get("/drained-routed/");
            assertEquals(503, route.status());
            assertEquals("route page\n", route.bodyString());
            assertEquals("1", route.header("Retry-After"), "the page replaces the body, not the retry time");
            assertEquals(0, drained.requestsReceived());
        }
    }

    @Test
    void interceptReplacesAnUpstreamTracebackAndKeepsBothConnections() throws Exception {
        try (RawClient c = proxy.client()) {
            for (String path : List.of("/app/boom", "/app/chunked", "/app/empty")) {
                RawResponse r = c.get(path);
                assertEquals(500, r.status());
                assertEquals("Sorry, something broke.\n", r.bodyString(), r.rawHeadString());
                assertEquals("text/plain; charset=utf-8", r.header("Content-Type"));
                assertNull(r.header("ETag"), "the upstream's validator described its body");
                assertEquals("yes", r.header("X-App"), "other fields pass");
                assertFalse(r.rawHeadString().contains("hunter2"));
            }
            RawResponse ok = c.get("/app/fine");
            assertEquals(200, ok.status());
            assertEquals("app GET /app/fine", ok.bodyString());
            RawResponse notFound = c.get("/app/missing");
            assertEquals(404, notFound.status(), "a status without a page of the route passes");
            assertEquals("app's own 404", notFound.bodyString());
        }
        assertEquals(1, app.connectionsAccepted(), "the upstream connection was reused after each replaced body");
    }

    /**
     * The listener intercepts: a route's page for the status wins over the listener's (as for
     * Kodiak's own answers), the listener's covers the rest, and a route that intercepts too
     * replaces the body once.
     */
    @Test
    void aListenersInterceptUsesTheRoutesPageWhenItHasOne() throws Exception {
        try (RawClient c = RawClient.connect(proxy.port("intercepting"))) {
            RawResponse routed = c.get("/r/boom");
            assertEquals(500, routed.status());
            assertEquals("route page\n", routed.bodyString(), routed.rawHeadString());
            assertEquals("text/html; charset=utf-8", routed.header("Content-Type"));
            RawResponse other = c.get("/r/bad");
            assertEquals(502, other.status());
            assertEquals("listener 5xx\n", other.bodyString(), "no route page for 502: the listener's");
            RawResponse notFound = c.get("/r/missing");
            assertEquals(404, notFound.status());
            assertEquals("Sorry, something broke.\n", notFound.bodyString(), "the route's 404 page, under the listener's intercept");
            RawResponse both = c.get("/both/chunked");
            assertEquals("route page\n", both.bodyString(), "one page, not two: " + both.rawHeadString());
            RawResponse elsewhere = c.get("/else/boom");
            assertEquals("listener 5xx\n", elsewhere.bodyString());
            assertEquals(null, elsewhere.header("ETag"));
            assertEquals("app GET /r/fine", c.get("/r/fine").bodyString());
        }
        assertEquals(1, app.connectionsAccepted(), "every replaced body was read to its end");
    }

    @Test
    void headOfKodiaksOwnAnswerHasThePagesLengthAndNoBody() throws Exception {
        try (RawClient c = proxy.client()) {
            RawResponse head = c.exchange("HEAD /nowhere HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals(404, head.status());
            assertEquals(String.valueOf("listener 4xx\n".length()), head.header("Content-Length"));
            assertEquals(404, c.get("/nowhere").status(), "no stray body bytes before the next response");
        }
    }

    @Test
    void interceptOnHeadEditsOnlyTheFields() throws Exception {
        try (RawClient c = proxy.client()) {
            RawResponse head = c.exchange("HEAD /app/boom HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals(500, head.status());
            assertEquals("text/plain; charset=utf-8", head.header("Content-Type"));
            assertEquals(String.valueOf("Sorry, something broke.\n".length()), head.header("Content-Length"),
                    "the page's length, not the traceback's");
            assertEquals("", head.bodyString());
            RawResponse next = c.get("/app/boom");
            assertEquals("Sorry, something broke.\n", next.bodyString());
            c.readTimeout(Duration.ofMillis(200));
            assertEquals(RawClient.Closure.TIMED_OUT, c.awaitClose(), "no stray bytes");
        }
    }

    @Test
    void withoutInterceptTheUpstreamsErrorPasses() throws Exception {
        try (RawClient c = proxy.client()) {
            RawResponse r = c.get("/plain/boom");
            assertEquals(500, r.status());
            assertEquals(TRACEBACK, r.bodyString(), "the listener's pages are for Kodiak's own answers only");
        }
    }
}
