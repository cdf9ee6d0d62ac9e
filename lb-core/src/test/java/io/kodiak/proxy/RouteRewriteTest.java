package io.kodiak.proxy;

import io.kodiak.config.ConfigLoader;
import io.kodiak.testing.Action;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.RawResponse;
import io.kodiak.testing.RecordedRequest;
import io.kodiak.testing.ScriptedUpstream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A route's {@code rewrite} over real sockets, as the upstream sees the request: each path form,
 * the query, the Host, the rest of the head unchanged, every retry rewritten alike, and targets
 * that would break the request line if they were not encoded.
 */
@Timeout(60)
class RouteRewriteTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private ScriptedUpstream web;
    private ScriptedUpstream flaky;
    private ProxyServer server;

    @BeforeEach
    void start(@TempDir Path dir) throws Exception {
        web = ScriptedUpstream.start("web");
        flaky = ScriptedUpstream.start("flaky", r -> Action.close()); // every request: closed unanswered
        Path file = dir.resolve("kodiak.yaml");
        Files.writeString(file, "admin: {listen: off, state-file: off}\nmetrics: off\n"
                + "listeners:\n  - name: front\n    address: 127.0.0.1:0\n    routes:\n"
                + "      - {path-prefix: /api/, pool: web, rewrite: {strip-prefix: /api}}\n"
                + "      - {path-prefix: /api, pool: web, rewrite: {strip-prefix: /api}}\n"
                + "      - {path-prefix: /old/, pool: web, rewrite: {replace-prefix: {from: /old/, to: /new/v2/}}}\n"
                + "      - {path-prefix: /q/, pool: web, rewrite: {query: 'page=2&from=$remote_addr'}}\n"
                + "      - {path-prefix: /noquery/, pool: web, rewrite: {query: ''}}\n"
                + "      - {path-prefix: /keep/, pool: web, rewrite: {query: 'v=1&$args'}}\n"
                + "      - {path-prefix: /to/, pool: web, rewrite: {path: '/echo/$http_x_dest'}}\n"
                + "      - {path-prefix: /hostup/, pool: web, rewrite: {host: upstream}}\n"
                + "      - {path-prefix: /hostfix/, pool: web, rewrite: {host: 'internal.example:8443'}}\n"
                + "      - {path-prefix: /retry/, pool: both, rewrite: {strip-prefix: /retry, host: upstream}}\n"
                + "      - {pool: web}\n"
                + "pools:\n"
                + "  web: {health-check: {type: none}, upstreams: [{name: web, address: \"" + web.hostPort() + "\"}]}\n"
                + "  both: {health-check: {type: none}, retries: {attempts: 2},\n"
                + "         upstreams: [{name: flaky, address: \"" + flaky.hostPort() + "\"}, {name: web, address: \"" + web.hostPort() + "\"}]}\n");
        server = ProxyServer.start(ConfigLoader.load(file));
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        web.close();
        flaky.close();
    }

    private RawClient client() throws Exception {
        return RawClient.connect(server.boundAddress("front").getPort());
    }

    /** Sends {@code request}, expects a 200 and returns what the web upstream received. */
    private RecordedRequest through(String request) throws Exception {
        try (RawClient c = client()) {
            RawResponse r = c.exchange(request);
            assertEquals(200, r.status(), r.toString());
        }
        return web.takeRequest(WAIT);
    }

    private RecordedRequest get(String target) throws Exception {
        return through("GET " + target + " HTTP/1.1\r\nHost: front.example\r\nX-Custom: a, b\r\n\r\n");
    }

    @Test
    void stripPrefixRemovesItAndKeepsTheQueryAndTheRestOfTheHead() throws Exception {
        RecordedRequest seen = get("/api/users/7?full=1");
        assertEquals("/users/7?full=1", seen.target());
        assertEquals("front.example", seen.header("Host"), "the Host is the client's unless asked");
        assertEquals("a, b", seen.header("X-Custom"));
        assertEquals("/", get("/api").target(), "an empty result is the root");
        assertEquals("/", get("/api/").target());
        assertEquals("/x", get("/apix").target(), "plain prefix, as the route matched it: the rest gets a '/'");
    }

    @Test
    void stripPrefixWorksOnTheNormalisedPathTheRouteMatched() throws Exception {
        // The route matched /api/ after normalisation: the prefix goes from that form, not the raw bytes.
        assertEquals("/users", get("/api/v1/../users").target());
        assertEquals("/users", get("/%61pi/users").target());
    }

    @Test
    void replacePrefix() throws Exception {
        assertEquals("/new/v2/a/b?c=d", get("/old/a/b?c=d").target());
    }

    @Test
    void queryIsSetRemovedOrKeptWithArgs() throws Exception {
        assertEquals("/q/list?page=2&from=127.0.0.1", get("/q/list?x=1").target());
        assertEquals("/q/list?page=2&from=127.0.0.1", get("/q/list").target(), "set when there was none");
    }

    @Test
    void emptyQueryRemovesIt() throws Exception {
        assertEquals("/noquery/a", get("/noquery/a?secret=1").target());
        assertEquals("/keep/a?v=1&a=1&b=2", get("/keep/a?a=1&b=2").target());
    }

    @Test
    void hostBecomesTheUpstreamsOrAFixedOneAndXForwardedHostKeepsTheClients() throws Exception {
        RecordedRequest up = get("/hostup/a");
        assertEquals(web.hostPort(), up.header("Host"));
        assertEquals("front.example", up.header("X-Forwarded-Host"));
        assertEquals("/hostup/a", up.target(), "the target is untouched");
        RecordedRequest fixed = get("/hostfix/a");
        assertEquals("internal.example:8443", fixed.header("Host"));
        assertEquals(1, fixed.headers().values("Host").size(), "one Host only");
    }

    @Test
    void absoluteFormRequestsAreRewrittenToo() throws Exception {
        RecordedRequest seen = through("GET http://front.example/api/users HTTP/1.1\r\nHost: front.example\r\n\r\n");
        assertEquals("/users", seen.target());
    }

    @Test
    void everyAttemptIsRewrittenAndGetsItsOwnUpstreamsHost() throws Exception {
        for (int i = 0; i < 4; i++) {
            RecordedRequest seen = get("/retry/r" + i);
            assertEquals("/r" + i, seen.target());
            assertEquals(web.hostPort(), seen.header("Host"));
        }
        assertTrue(flaky.requestsReceived() > 0, "round-robin sent some first attempts to flaky");
        for (RecordedRequest r : flaky.requests()) {
            assertTrue(r.target().matches("/r[0-3]"), r.target());
            assertEquals(flaky.hostPort(), r.header("Host"), "the Host of the upstream of that attempt");
        }
    }

    @Test
    void hostileValuesArePercentEncodedNeverSplitTheRequestLine() throws Exception {
        RecordedRequest seen = through("GET /to/x HTTP/1.1\r\nHost: t\r\nX-Dest: a b?c#d\u00e9\r\n\r\n");
        assertEquals("/echo/a%20b%3Fc%23d%C3%A9", seen.target());
        assertFalse(seen.rawHeadString().split("\r\n")[0].contains(" b"), seen.rawHeadString());
        seen = through("GET /to/x HTTP/1.1\r\nHost: t\r\nX-Dest: a/../b/%zz%2f\r\n\r\n");
        assertEquals("/echo/b/%25zz%2F", seen.target(), "dot segments resolved, a bad %-escape encoded, a good one kept (normalised)");
    }

    @Test
    void aValueThatClimbsAboveTheRootIsRefusedWith400() throws Exception {
        try (RawClient c = client()) {
            RawResponse r = c.exchange("GET /to/x HTTP/1.1\r\nHost: t\r\nX-Dest: ../../etc/passwd\r\n\r\n");
            assertEquals(400, r.status());
            assertEquals(200, c.get("/api/still-open").status(), "the connection goes on");
        }
        assertEquals("/still-open", web.takeRequest(WAIT).target());
        assertEquals(1, web.requestsReceived(), "the refused one never went upstream");
    }

    @Test
    void theAccessLogKeepsTheClientsTarget() throws Exception {
        java.util.concurrent.LinkedBlockingQueue<io.kodiak.accesslog.AccessLogEntry> log = new java.util.concurrent.LinkedBlockingQueue<>();
        server.filters("front", new io.kodiak.filter.Filters(new io.kodiak.filter.RequestFilter[0],
                new io.kodiak.filter.ResponseFilter[0], new io.kodiak.filter.LogFilter[] {log::add}));
        assertEquals("/users?x=1", get("/api/users?x=1").target());
        io.kodiak.accesslog.AccessLogEntry e = log.poll(10, java.util.concurrent.TimeUnit.SECONDS);
        assertEquals("/api/users?x=1", e.target(), "as nginx's $request_uri");
    }
}
