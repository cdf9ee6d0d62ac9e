package io.kodiak.proxy;

import io.kodiak.config.ConfigLoader;
import io.kodiak.testing.Action;
import io.kodiak.testing.HeaderFields;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.RawResponse;
import io.kodiak.testing.RecordedRequest;
import io.kodiak.testing.ScriptedUpstream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Header rules over real sockets: {@code request-headers} as the upstream sees them,
 * {@code response-headers}, {@code hide-headers}, {@code hide-internals} and {@code expires} as
 * the client sees them, with variables, patterns, and a listener's rules before its route's.
 */
@Timeout(60)
class HeaderRulesTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private ScriptedUpstream app;
    private TestProxy proxy;

    @BeforeEach
    void start(@TempDir Path dir) throws Exception {
        app = ScriptedUpstream.start("app", HeaderRulesTest::answer);
        String yaml = "admin: {listen: off, state-file: off}\nmetrics: off\n"
                + "listeners:\n"
                + "  - name: " + ProxyConfig.LISTENER + "\n"
                + "    address: 127.0.0.1:0\n"
                + "    forwarded-headers: {x-forwarded-host: true, forwarded: true}\n"
                + "    request-headers:\n"
                + "      set: {X-Client: $remote_addr, Host: backend.internal}\n"
                + "    expires: 10m\n"
                + "    routes:\n"
                + "      - path-prefix: /r/\n"
                + "        pool: web\n"
                + "        request-headers:\n"
                + "          set: {X-Route: 'r $uri $args', X-Orig-Host: $host, X-Empty: $http_x_absent}\n"
                + "          add: {X-Added: one, X-Id: $request_id}\n"
                + "          remove: [X-Internal-*, Cookie]\n"
                + "        response-headers:\n"
                + "          set: {X-Status: '$status from $upstream_name at $upstream_addr', X-Req: $http_x_probe,"
                + " X-Was: $upstream_http_x_keep}\n"
                + "          add: {X-Extra: a, X-Via-Scheme: $scheme}\n"
                + "          remove: ['X-Secret-*', '*-Trace']\n"
                + "        hide-internals: true\n"
                + "        expires: 1h\n"
                + "      - {path-prefix: /h/, pool: web, request-headers: {set: {Host: $http_x_target}}}\n"
                + "      - {path-prefix: /neg/, pool: web, expires: -1m}\n"
                + "      - {path-prefix: /max/, pool: web, expires: max}\n"
                + "      - {name: reports, path-prefix: /named/, pool: web,"
                + " request-headers: {set: {X-Route: '$route via $pool'}}, response-headers: {set: {X-Route: $route}}}\n"
                + "      - {path-prefix: /anon/, pool: web, response-headers: {set: {X-Route: '$route/$pool'}}}\n"
                + "      - {path-prefix: /epoch/, pool: web, expires: epoch}\n"
                + "      - {path-prefix: /off/, pool: web, expires: 'off'}\n"
                + "      - {pool: web, hide-headers: [X-Powered-By, x-drupal-*]}\n"
                + "pools:\n"
                + "  web: {health-check: {type: none}, upstreams: [{name: app, address: \"" + app.hostPort() + "\"}]}\n";
        proxy = TestProxy.start(ConfigLoader.parse(yaml, dir.resolve("kodiak.yaml")));
    }

    @AfterEach
    void stop() {
        if (proxy != null) {
            proxy.close();
        }
        app.close();
    }

    /** 200 (404 for a path with "missing") with fields a framework would send. */
    private static Action answer(RecordedRequest r) {
        int status = r.target().contains("missing") ? 404 : 200;
        return Action.respond(status, HeaderFields.of("Content-Type", "text/plain", "X-Powered-By", "PHP/8.3",
                "X-Runtime", "0.012", "X-Drupal-Cache", "HIT", "X-Secret-Key", "k", "X-Debug-Trace", "t",
                "X-Keep", "yes", "Cache-Control", "private", "Expires", "Thu, 01 Jan 2037 00:00:00 GMT"),
                "hello".getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void requestRulesEditWhatTheUpstreamSeesFromTheClientsOriginalRequest() throws Exception {
        try (RawClient c = proxy.client()) {
            RawResponse r = c.exchange("GET /r/x?a=1 HTTP/1.1\r\nHost: client.example\r\nCookie: s=1\r\n"
                    + "X-Internal-A: 1\r\nx-internal-b: 2\r\nX-Keep-Req: yes\r\nX-Added: from-client\r\n\r\n");
            assertEquals(200, r.status());
            RecordedRequest up = app.takeRequest(WAIT);
            assertEquals("127.0.0.1", up.header("X-Client"));
            assertEquals("backend.internal", up.header("Host"), up.rawHeadString());
            assertEquals(1, up.headers().values("Host").size(), up.rawHeadString());
            assertEquals("r /r/x a=1", up.header("X-Route"));
            // The route's rules read the client's Host, not the one the listener's rule set.
            assertEquals("client.example", up.header("X-Orig-Host"));
            assertEquals(java.util.List.of("from-client", "one"), up.headers().values("X-Added"), up.rawHeadString());
            assertEquals(up.header("X-Request-ID"), up.header("X-Id"));
            assertNull(up.header("X-Empty"), "an empty value sends no field");
            assertNull(up.header("X-Internal-A"));
            assertNull(up.header("X-Internal-B"));
            assertNull(up.header("Cookie"));
            assertEquals("yes", up.header("X-Keep-Req"));
        }
    }

    /** A client's value that cannot be a Host is skipped for that request: the client's own Host goes on. */
    @Test
    void aHostFromTheClientIsUsedOnlyIfItIsOne() throws Exception {
        try (RawClient c = proxy.client()) {
            assertEquals(200, c.exchange("GET /h/ HTTP/1.1\r\nHost: t\r\nX-Target: good.example:81\r\n\r\n").status());
            assertEquals("good.example:81", app.takeRequest(WAIT).header("Host"));
            assertEquals(200, c.exchange("GET /h/ HTTP/1.1\r\nHost: t\r\nX-Target: evil.example/x y\r\n\r\n").status());
            RecordedRequest up = app.takeRequest(WAIT);
            assertEquals(List.of("backend.internal"), up.headers().values("Host"), "the listener's rule still applies");
        }
    }

    /** {@code $route} is the route's name, or its place in its listener without one; {@code $pool} its pool. */
    @Test
    void routeAndPoolVariablesNameWhereTheRequestWent() throws Exception {
        try (RawClient c = proxy.client()) {
            RawResponse named = c.exchange("GET /named/x HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals("reports via web", app.takeRequest(WAIT).header("X-Route"));
            assertEquals("reports", named.header("X-Route"));
            RawResponse anon = c.exchange("GET /anon/x HTTP/1.1\r\nHost: t\r\n\r\n");
            app.takeRequest(WAIT);
            assertEquals("routes[5]/web", anon.header("X-Route"), "the sixth route of the listener, counted from 0");
        }
    }

    /** The Host a rule sets goes upstream; X-Forwarded-Host and Forwarded report the client's. */
    @Test
    void aRuleSetHostLeavesTheForwardingFieldsTheClients() throws Exception {
        try (RawClient c = proxy.client()) {
            assertEquals(200, c.exchange("GET /plain HTTP/1.1\r\nHost: client.example\r\n\r\n").status());
            RecordedRequest up = app.takeRequest(WAIT);
            assertEquals(List.of("backend.internal"), up.headers().values("Host"), up.rawHeadString());
            assertEquals(List.of("client.example"), up.headers().values("X-Forwarded-Host"), up.rawHeadString());
            assertTrue(up.header("Forwarded").endsWith(";host=\"client.example\""), up.rawHeadString());
        }
    }

    /** A Host template that expands to nothing changes nothing: Host is never removed from a request. */
    @Test
    void aHostTemplateExpandingToNothingKeepsTheHostThereWas() throws Exception {
        try (RawClient c = proxy.client()) {
            assertEquals(200, c.exchange("GET /h/ HTTP/1.1\r\nHost: client.example\r\n\r\n").status());
            RecordedRequest up = app.takeRequest(WAIT);
            assertEquals(List.of("backend.internal"), up.headers().values("Host"), "the listener's rule's: "
                    + up.rawHeadString());
            assertEquals("client.example", up.header("X-Forwarded-Host"), up.rawHeadString());
        }
    }

    @Test
    void responseRulesEditWhatTheClientSees() throws Exception {
        try (RawClient c = proxy.client()) {
            RawResponse r = c.exchange("GET /r/x HTTP/1.1\r\nHost: t\r\nX-Probe: probe\r\n\r\n");
            assertEquals(200, r.status());
            assertEquals("hello", r.bodyString());
            assertEquals("200 from app at " + app.hostPort(), r.header("X-Status"), r.rawHeadString());
            assertEquals("probe", r.header("X-Req"));
            assertEquals("yes", r.header("X-Was"));
            assertEquals("a", r.header("X-Extra"));
            assertEquals("http", r.header("X-Via-Scheme"));
            assertNull(r.header("X-Secret-Key"), r.rawHeadString());
            assertNull(r.header("X-Debug-Trace"));
            // hide-internals
            assertNull(r.header("X-Powered-By"));
            assertNull(r.header("X-Runtime"));
            assertNull(r.header("X-Drupal-Cache"));
            assertEquals("yes", r.header("X-Keep"));
            assertEquals("text/plain", r.header("Content-Type"));
            assertNull(r.header("Server"), "Kodiak's default still drops the upstream's Server");
            // The keep-alive connection carries on.
            assertEquals(200, c.get("/other").status());
        }
    }

    @Test
    void hideHeadersRemovesOnlyWhatItNames() throws Exception {
        try (RawClient c = proxy.client()) {
            RawResponse r = c.get("/plain");
            assertEquals(200, r.status());
            assertNull(r.header("X-Powered-By"), r.rawHeadString());
            assertNull(r.header("X-Drupal-Cache"));
            assertEquals("0.012", r.header("X-Runtime"), "hide-internals is off by default");
            assertEquals("k", r.header("X-Secret-Key"));
        }
    }

    @Test
    void expiresSetsExpiresAndMaxAgeOnSuccessesOnly() throws Exception {
        try (RawClient c = proxy.client()) {
            RawResponse r = c.get("/r/x");
            assertEquals("max-age=3600", r.header("Cache-Control"), r.rawHeadString());
            assertEquals(1, r.headers().values("Cache-Control").size());
            assertEquals(1, r.headers().values("Expires").size());
            long ahead = epoch(r.header("Expires")) - epoch(r.header("Date"));
            assertTrue(Math.abs(ahead - 3600) <= 2, "Expires is an hour after Date: " + r.rawHeadString());

            RawResponse listenerWide = c.get("/plain");
            assertEquals("max-age=600", listenerWide.header("Cache-Control"));

            RawResponse error = c.get("/r/missing");
            assertEquals(404, error.status());
            assertEquals("private", error.header("Cache-Control"), "not on an error: " + error.rawHeadString());
            assertEquals("Thu, 01 Jan 2037 00:00:00 GMT", error.header("Expires"));
            assertEquals("404 from app at " + app.hostPort(), error.header("X-Status"),
                    "response rules apply to every status, as HAProxy's (not only 2xx/3xx, as nginx's add_header)");
            assertNull(error.header("X-Powered-By"));

            RawResponse negative = c.get("/neg/");
            assertEquals("no-cache", negative.header("Cache-Control"));
            assertTrue(epoch(negative.header("Expires")) < epoch(negative.header("Date")));

            RawResponse max = c.get("/max/");
            assertEquals("max-age=315360000", max.header("Cache-Control"));
            assertEquals("Thu, 31 Dec 2037 23:55:55 GMT", max.header("Expires"));

            RawResponse epoch = c.get("/epoch/");
            assertEquals("no-cache", epoch.header("Cache-Control"));
            assertEquals("Thu, 01 Jan 1970 00:00:01 GMT", epoch.header("Expires"));

            RawResponse off = c.get("/off/");
            assertEquals("private", off.header("Cache-Control"), "off undoes the listener's: " + off.rawHeadString());
            assertEquals("Thu, 01 Jan 2037 00:00:00 GMT", off.header("Expires"));
        }
    }

    private static long epoch(String httpDate) {
        return ZonedDateTime.parse(httpDate, DateTimeFormatter.RFC_1123_DATE_TIME).toEpochSecond();
    }
}
