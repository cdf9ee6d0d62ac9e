package io.kodiak.proxy;

import io.kodiak.config.ConfigLoader;
import io.kodiak.config.RouteConfig;
import io.kodiak.http.HeadParser;
import io.kodiak.http.RequestHead;
import io.kodiak.upstream.PoolRuntime;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Routing stays cheap on the hot path: a listener with one catch-all route, or with host and
 * prefix routes, allocates nothing per request (measured with the thread's allocation counter,
 * not timed).
 */
class RouterCostTest {
    private static final int ROUNDS = 50_000;

    private static long allocatedBy(Runnable r) {
        com.sun.management.ThreadMXBean bean = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = bean.getThreadAllocatedBytes(Thread.currentThread().getId());
        r.run();
        return bean.getThreadAllocatedBytes(Thread.currentThread().getId()) - before;
    }

    private static List<RouteConfig> routes(String yaml) throws Exception {
        return ConfigLoader.parse("listeners:\n  - address: 127.0.0.1:0\n    routes:\n" + yaml
                + "pools:\n  web: {upstreams: [127.0.0.1:9001]}\n", Path.of("kodiak.yaml")).listeners().get(0).routes();
    }

    private static void assertAllocatesNothingPerRequest(Router router, RequestHead req, byte[] client, int order) {
        assumeTrue(ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean t
                && t.isThreadAllocatedMemorySupported() && t.isThreadAllocatedMemoryEnabled());
        Runnable many = () -> {
            for (int i = 0; i < ROUNDS; i++) {
                if (router.route(req, null, client).order() != order) {
                    throw new AssertionError("another route");
                }
            }
        };
        many.run(); // warm up
        long bytes = allocatedBy(many);
        // One object per request would be at least 16 bytes x ROUNDS = 800 KB.
        assertTrue(bytes < 64 * 1024, bytes + " bytes allocated for " + ROUNDS + " requests");
    }

    private static RequestHead head(String text) throws Exception {
        return HeadParser.parseRequest(text.getBytes(StandardCharsets.ISO_8859_1), 100);
    }

    @Test
    void aCatchAllRouteAllocatesNothing() throws Exception {
        Router router = new Router(routes("      - {pool: web}\n"), Map.<String, PoolRuntime>of());
        assertAllocatesNothingPerRequest(router, head("GET /a/b?c=d HTTP/1.1\r\nHost: example.com\r\n\r\n"), null, 0);
    }

    @Test
    void hostsPrefixesAndPlainConditionsAllocateNothing() throws Exception {
        Router router = new Router(routes("""
                      - {host: [a.example.com, b.example.com], path-prefix: /x/, pool: web}
                      - {host: '*.example.com', path: /health, pool: web}
                      - {path-prefix: /api/, methods: [GET, HEAD], headers: {X-Tenant: acme}, source: [10.0.0.0/8], pool: web}
                      - {path-prefix: /static/, prefix-over-regex: true, pool: web}
                      - {pool: web}
                """), Map.<String, PoolRuntime>of());
        RequestHead req = head("GET /api/v1 HTTP/1.1\r\nHost: www.example.com\r\nX-Tenant: acme\r\n\r\n");
        byte[] client = {10, 0, 0, 1};
        Router.Route r = router.route(req, null, client);
        assertNotNull(r);
        assertEquals(2, r.order());
        assertAllocatesNothingPerRequest(router, req, client, 2);
    }

    /** The listener's filters and a route's are combined when the router is built, not per request. */
    @Test
    void listenerAndRouteFiltersAreCombinedOnceWithTheRouter() throws Exception {
        List<RouteConfig> routes = routes("""
                      - {path-prefix: /r/, pool: web, response-headers: {set: {X-R: r}}, request-headers: {set: {X-Q: q}}}
                      - {pool: web}
                """);
        io.kodiak.filter.Filters listener = FeatureFilters.of(ConfigLoader.parse("listeners:\n  - address: 127.0.0.1:0\n"
                + "    response-headers: {set: {X-L: l}}\npools:\n  web: {upstreams: [127.0.0.1:9001]}\n",
                Path.of("kodiak.yaml")).listeners().get(0).features());
        Router router = new Router(routes, Map.<String, PoolRuntime>of(), listener, new FeatureRuntime());
        RequestHead req = head("GET /r/x HTTP/1.1\r\nHost: example.com\r\n\r\n");
        Router.Route r = router.route(req, null, null);
        io.kodiak.filter.Filters combined = r.combined();
        assertEquals(2, combined.response().length, combined.toString());
        assertEquals(listener.response()[0], combined.response()[0], "the listener's first");
        assertEquals(r.filters().response()[0], combined.response()[1]);
        assertEquals(1, combined.request().length);
        org.junit.jupiter.api.Assertions.assertSame(combined, router.route(req, null, null).combined());
        RequestHead other = head("GET /x HTTP/1.1\r\nHost: example.com\r\n\r\n");
        org.junit.jupiter.api.Assertions.assertSame(listener, router.route(other, null, null).combined(),
                "a route without filters runs the listener's as they are");
    }

    /**
     * Protection costs nothing where none is configured: a listener and routes without access
     * rules, request rules, limits or authentication get no filter at all, so a request on them
     * makes no request phase, no suspension and no key (the same path as before they existed);
     * and where one route has them, the other routes still have none.
     */
    @Test
    void withoutProtectionConfiguredARouteHasNoRequestFilterAtAll() throws Exception {
        var config = ConfigLoader.parse("""
                rate-limits: {per-client: {key: "$remote_addr", rate: 10r/s}}
                listeners:
                  - address: 127.0.0.1:0
                    routes:
                      - {path-prefix: /api/, pool: web, rate-limit: {zone: per-client, burst: 5},
                         access: [{action: deny, source: 192.0.2.0/24}], request-rules: {bundled: all}}
                      - {pool: web}
                pools:
                  web: {upstreams: [127.0.0.1:9001]}
                """, Path.of("kodiak.yaml"));
        var listener = config.listeners().get(0);
        FeatureRuntime rt = new FeatureRuntime();
        try {
            io.kodiak.filter.Filters listenerFilters = FeatureFilters.of(listener.features(), rt, Map.of());
            org.junit.jupiter.api.Assertions.assertSame(io.kodiak.filter.Filters.NONE, listenerFilters);
            Router router = new Router(listener.routes(), Map.<String, PoolRuntime>of(), listenerFilters, rt);
            Router.Route plain = router.route(head("GET /page HTTP/1.1\r\nHost: example.com\r\n\r\n"), null, null);
            assertEquals(0, plain.combined().request().length, "no request filter: no request phase per request");
            org.junit.jupiter.api.Assertions.assertSame(io.kodiak.filter.Filters.NONE, plain.combined());
            Router.Route api = router.route(head("GET /api/x HTTP/1.1\r\nHost: example.com\r\n\r\n"), null, null);
            assertEquals(3, api.combined().request().length, api.combined().toString());
        } finally {
            rt.close();
        }
    }
}

