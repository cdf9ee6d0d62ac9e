package io.kodiak.proxy;

import io.kodiak.Kodiak;
import io.kodiak.config.ConfigLoader;
import io.kodiak.config.KodiakConfig;
import io.kodiak.config.ListenerConfig;
import io.kodiak.config.RouteConditions;
import io.kodiak.config.RouteConfig;
import io.kodiak.filter.Filters;
import io.kodiak.filter.LogFilter;
import io.kodiak.filter.RequestFilter;
import io.kodiak.filter.ResponseFilter;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.RawResponse;
import io.kodiak.testing.ScriptedUpstream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Routes change on reload without dropping connections: a keep-alive connection opened before
 * the reload has its next request routed by the new routes. And a route without a pool: 404
 * unless its filters answer.
 */
@Timeout(60)
class RouteReloadTest {
    private final List<ScriptedUpstream> ups = new ArrayList<>();
    private Kodiak kodiak;
    private ProxyServer server;
    @TempDir
    Path dir;

    @AfterEach
    void stop() {
        if (kodiak != null) {
            kodiak.close();
        }
        if (server != null) {
            server.close();
        }
        ups.forEach(ScriptedUpstream::close);
    }

    private String yaml(String routes, String... pools) throws Exception {
        StringBuilder y = new StringBuilder("admin: {listen: off, state-file: off}\nmetrics: off\n"
                + "listeners:\n  - name: web\n    address: 127.0.0.1:0\n    routes:\n" + routes + "pools:\n");
        for (String p : pools) {
            ScriptedUpstream u = ups.stream().filter(x -> x.name().equals(p)).findFirst().orElse(null);
            if (u == null) {
                u = ScriptedUpstream.start(p);
                ups.add(u);
            }
            y.append("  ").append(p).append(": {health-check: {type: none}, upstreams: [{name: ").append(p)
                    .append(", address: \"").append(u.hostPort()).append("\"}]}\n");
        }
        return y.toString();
    }

    @Test
    void aKeepAliveConnectionGetsTheNewRoutesForItsNextRequest() throws Exception {
        Path file = dir.resolve("kodiak.yaml");
        Files.writeString(file, yaml("      - {path-prefix: /api/, pool: old}\n      - {pool: web}\n", "old", "web", "new"));
        kodiak = Kodiak.start(ConfigLoader.load(file));
        try (RawClient c = RawClient.connect(kodiak.boundAddress("web").getPort())) {
            assertEquals("old", RouteHarness.pool(c, "GET /api/x HTTP/1.1\r\nHost: x"));
            assertEquals("web", RouteHarness.pool(c, "GET /v2/x HTTP/1.1\r\nHost: x\r\nX-Beta: 1"));

            Files.writeString(file, yaml("      - {path-regex: '^/api/(v1|v2)/', pool: new}\n"
                    + "      - {path-prefix: /api/, pool: old}\n"
                    + "      - {path-prefix: /v2/, headers: {X-Beta: true}, pool: new}\n"
                    + "      - {path-prefix: /v2/, headers: {X-Beta: yes}, pool: web}\n"
                    + "      - {path-prefix: /v2/x, pool: web}\n"
                    + "      - {pool: web}\n", "old", "web", "new"));
            Kodiak.Reload r = kodiak.reload();
            assertTrue(r.changes().contains("listener web: routes and settings updated"), r.changes().toString());
            assertEquals(List.of("warning: " + file + ":10: listeners[0].routes[3]: never matches: listeners[0].routes[2]"
                    + " (line 9, */v2/ [header x-beta: true]) takes every request it would"), r.notes());

            RawResponse resp = c.exchange("GET /api/v1/x HTTP/1.1\r\nHost: x\r\n\r\n");
            assertEquals("new", resp.header("X-Upstream"), "the same connection, routed by the new routes");
            assertNotEquals("close", resp.header("Connection"));
            assertEquals("old", RouteHarness.pool(c, "GET /api/v3/x HTTP/1.1\r\nHost: x"));
            assertEquals("new", RouteHarness.pool(c, "GET /v2/z HTTP/1.1\r\nHost: x\r\nX-Beta: yes"));
            assertEquals("web", RouteHarness.pool(c, "GET /v2/x HTTP/1.1\r\nHost: x\r\nX-Beta: yes"), "a longer prefix");
            assertEquals("web", RouteHarness.pool(c, "GET /v2/z HTTP/1.1\r\nHost: x"));
        }
    }

    /** Each route runs the listener's filters combined with its own, built with the router: a reload of the listener's alone rebuilds it. */
    @Test
    void aReloadOfOnlyTheListenersFeaturesReachesRoutesWithTheirOwn() throws Exception {
        Path file = dir.resolve("kodiak.yaml");
        String routes = "      - {path-prefix: /r/, pool: web, response-headers: {set: {X-R: route}}}\n      - {pool: web}\n";
        String one = yaml(routes, "web").replace("    routes:\n", "    response-headers: {set: {X-L: one}}\n    routes:\n");
        Files.writeString(file, one);
        kodiak = Kodiak.start(ConfigLoader.load(file));
        try (RawClient c = RawClient.connect(kodiak.boundAddress("web").getPort())) {
            RawResponse before = c.get("/r/x");
            assertEquals("one", before.header("X-L"), before.rawHeadString());
            assertEquals("route", before.header("X-R"));
            Files.writeString(file, one.replace("X-L: one", "X-L: two"));
            Kodiak.Reload r = kodiak.reload();
            assertTrue(r.changes().contains("listener web: routes and settings updated"), r.changes().toString());
            RawResponse after = c.get("/r/x");
            assertEquals("two", after.header("X-L"), "the route's combination was rebuilt: " + after.rawHeadString());
            assertEquals("route", after.header("X-R"));
            assertEquals("two", c.get("/other").header("X-L"));
        }
    }

    @Test
    void aRouteWithoutAPoolIs404UnlessItsFiltersAnswer() throws Exception {
        Path file = dir.resolve("kodiak.yaml");
        Files.writeString(file, yaml("      - {path-prefix: /local/, pool: web}\n      - {pool: web}\n", "web"));
        KodiakConfig c = ConfigLoader.load(file);
        ListenerConfig l = c.listeners().get(0);
        RouteConfig local = l.routes().get(0);
        // What a route with respond, redirect or static reads as: no pool ({@code RouteReader} allows it then).
        RouteConfig noPool = new RouteConfig(local.hosts(), null, null, "/local/", null, false, RouteConditions.NONE,
                null, List.of());
        server = ProxyServer.start(c.withListeners(List.of(withRoutes(l, List.of(noPool, l.routes().get(1))))));
        int port = server.boundAddress("web").getPort();
        try (RawClient client = RawClient.connect(port)) {
            assertEquals("404", RouteHarness.pool(client, "GET /local/x HTTP/1.1\r\nHost: x"));
            assertEquals("web", RouteHarness.pool(client, "GET /other HTTP/1.1\r\nHost: x"), "the connection goes on");
            RequestFilter answer = ctx -> {
                ctx.respond(200, "text/plain", ("pool " + ctx.pool()).getBytes(StandardCharsets.UTF_8), null);
                return RequestFilter.Verdict.RESPONDED;
            };
            server.routeFilters("web", 0, new Filters(new RequestFilter[] {answer}, new ResponseFilter[0], new LogFilter[0]));
            RawResponse r = client.get("/local/x");
            assertEquals(200, r.status());
            assertEquals("pool null", r.bodyString());
        }
        assertEquals(0, ups.get(0).requests().stream().filter(q -> q.target().startsWith("/local/")).count());
    }

    private static ListenerConfig withRoutes(ListenerConfig l, List<RouteConfig> routes) {
        return new ListenerConfig(l.name(), l.address(), routes, l.timeouts(), l.limits(), l.forwarded(),
                l.serverHeader(), l.underscoresInHeaders(), l.tracing(), l.accessLog(), l.tls());
    }
}
