package io.kodiak.config;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static io.kodiak.config.ConfigLoaderRejectionTest.assertRejected;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/** The rate-limits and concurrency-limits zones, the sections that name them, and every rejection. */
class LimitConfigTest {
    private static final String ZONES = """
            rate-limits:
              per-client: {key: "$remote_addr", rate: 10r/s, max-keys: 1000}
              per-token: {key: "$http_x_api_key:$cookie_session", rate: 600r/m}
            concurrency-limits:
              inflight: {key: "$remote_addr"}
            """;
    private static final String POOL = "pools:\n  web: {upstreams: [127.0.0.1:9001]}\n";

    private static String file(String zones, String listenerExtra, String route) {
        return zones + "listeners:\n  - name: l\n    address: 127.0.0.1:0\n" + listenerExtra
                + "    routes:\n      - " + route + "\n" + POOL;
    }

    private static KodiakConfig parse(String yaml) throws ConfigException {
        return ConfigLoader.parse(yaml, Path.of("kodiak.yaml"));
    }

    @Test
    void zonesAndRulesAreRead() throws Exception {
        KodiakConfig c = parse(file(ZONES, "    rate-limit: {zone: per-client, burst: 5, nodelay: true}\n",
                "{pool: web, rate-limit: [{zone: per-token, burst: 2, delay: 1, status: 503}], "
                        + "concurrency-limit: {zone: inflight, max: 3}}"));
        RateLimitConfig listener = (RateLimitConfig) c.listeners().get(0).features().get(0);
        LimitZoneConfig perClient = listener.rules().get(0).zone();
        assertEquals("per-client", perClient.name());
        assertEquals("$remote_addr", perClient.key().text());
        assertEquals(new LimitZoneConfig.Rate(10, 1), perClient.rate());
        assertEquals(100_000_000L, perClient.rate().intervalNanos());
        assertEquals(1000, perClient.maxKeys());
        assertEquals(new RateLimitConfig.Rule(perClient, 5, Integer.MAX_VALUE, 429), listener.rules().get(0));

        List<FeatureConfig> route = c.listeners().get(0).routes().get(0).features();
        RateLimitConfig rate = (RateLimitConfig) route.get(0);
        RateLimitConfig.Rule token = rate.rules().get(0);
        assertEquals("per-token", token.zone().name());
        assertEquals(new RateLimitConfig.Rule(token.zone(), 2, 1, 503), token);
        assertEquals(LimitZoneConfig.DEFAULT_MAX_KEYS, token.zone().maxKeys());
        assertEquals(100_000_000L, token.zone().rate().intervalNanos());
        ConcurrencyLimitConfig conc = (ConcurrencyLimitConfig) route.get(1);
        assertEquals(3, conc.rules().get(0).max());
        assertEquals(false, conc.rules().get(0).zone().isRate());
    }

    @Test
    void aRouteIsEqualAcrossReloadsUntilItsZoneChanges() throws Exception {
        String route = "{pool: web, rate-limit: {zone: per-client}}";
        assertEquals(parse(file(ZONES, "", route)).listeners(), parse(file(ZONES, "", route)).listeners());
        assertNotEquals(parse(file(ZONES, "", route)).listeners(),
                parse(file(ZONES.replace("10r/s", "11r/s"), "", route)).listeners());
    }

    @Test
    void zonesAreChecked() {
        String route = "{pool: web}";
        assertRejected(file("rate-limits:\n  z: {key: \"$remote_addr\", rate: 10/s}\n", "", route),
                "kodiak.yaml:2: rate-limits.z.rate: \"10/s\" is not a rate (write e.g. 10r/s or 600r/m, as nginx does)");
        assertRejected(file("rate-limits:\n  z: {key: \"$remote_addr\", rate: 0r/s}\n", "", route),
                "kodiak.yaml:2: rate-limits.z.rate: must be between 1 and 1000000 requests per second");
        assertRejected(file("rate-limits:\n  z: {key: \"$remote_addr\"}\n", "", route),
                "kodiak.yaml:2: rate-limits.z.rate: required key is missing");
        assertRejected(file("rate-limits:\n  z: {key: client, rate: 1r/s}\n", "", route),
                "kodiak.yaml:2: rate-limits.z.key: names no variable, so every request would share one limit "
                        + "(write e.g. \"$remote_addr\", \"$http_x_api_key\" or \"$route\")");
        assertRejected(file("rate-limits:\n  z: {key: \"$remote_adr\", rate: 1r/s}\n", "", route),
                "kodiak.yaml:2: rate-limits.z.key: unknown variable $remote_adr in \"$remote_adr\" (known: remote_addr, "
                        + "request_id, host, scheme, server_port, request_method, request_uri, uri, args, query_string, "
                        + "is_args, route, pool, http_NAME, cookie_NAME)");
        assertRejected(file("rate-limits:\n  z: {key: \"$remote_addr\", rate: 1r/s, max-keys: 0}\n", "", route),
                "kodiak.yaml:2: rate-limits.z.max-keys: 0 is out of range (must be 1-10000000)");
        assertRejected(file("concurrency-limits:\n  z: {key: \"$remote_addr\", rate: 1r/s}\n", "", route),
                "kodiak.yaml:2: concurrency-limits.z.rate: unknown key (allowed: key, max-keys)");
        assertRejected(file("rate-limits:\n  \"a b\": {key: \"$remote_addr\", rate: 1r/s}\n", "", route),
                "kodiak.yaml:2: rate-limits.a b: \"a b\" is not a valid name (use 1-100 letters, digits and . _ - : [ ])");
    }

    @Test
    void rulesAreCheckedAtTheirOwnLine() {
        assertRejected(file(ZONES, "", "{pool: web, rate-limit: {zone: per-cleint}}"),
                "kodiak.yaml:10: listeners[0].routes[0].rate-limit.zone: no zone \"per-cleint\" in the top-level rate-limits "
                        + "(it has per-client, per-token)");
        assertRejected(file("", "", "{pool: web, rate-limit: {zone: a}}"),
                "kodiak.yaml:5: listeners[0].routes[0].rate-limit.zone: no zone \"a\" in the top-level rate-limits (there is none)");
        assertRejected(file(ZONES, "", "{pool: web, concurrency-limit: {zone: per-client, max: 1}}"),
                "kodiak.yaml:10: listeners[0].routes[0].concurrency-limit.zone: no zone \"per-client\" in the top-level "
                        + "concurrency-limits (it has inflight)");
        assertRejected(file(ZONES, "", "{pool: web, concurrency-limit: {zone: inflight}}"),
                "kodiak.yaml:10: listeners[0].routes[0].concurrency-limit.max: required key is missing");
        assertRejected(file(ZONES, "", "{pool: web, rate-limit: {zone: per-client, nodelay: true, delay: 2}}"),
                "kodiak.yaml:10: listeners[0].routes[0].rate-limit.delay: cannot be used with nodelay: true "
                        + "(nodelay serves the whole burst at once)");
        assertRejected(file(ZONES, "", "{pool: web, rate-limit: {zone: per-client, burst: -1}}"),
                "kodiak.yaml:10: listeners[0].routes[0].rate-limit.burst: -1 is out of range (must be 0-1000000)");
        assertRejected(file(ZONES, "", "{pool: web, rate-limit: {zone: per-client, status: 302}}"),
                "kodiak.yaml:10: listeners[0].routes[0].rate-limit.status: 302 is out of range (must be 400-599)");
        assertRejected(file(ZONES, "", "{pool: web, rate-limit: [{zone: per-client}, {zone: per-client, burst: 3}]}"),
                "kodiak.yaml:10: listeners[0].routes[0].rate-limit[1]: zone \"per-client\" is already limited here (nginx: \"is duplicate\")");
        assertRejected(file(ZONES, "", "{pool: web, rate-limit: []}"),
                "kodiak.yaml:10: listeners[0].routes[0].rate-limit: must name at least one zone (or remove the key)");
        assertRejected(file(ZONES, "", "{pool: web, rate-limit: per-client}"),
                "kodiak.yaml:10: listeners[0].routes[0].rate-limit: must be a mapping such as {zone: NAME} or a list of them, not a zone's name alone");
        assertRejected(file(ZONES, "", "{pool: web, rate-limit: {zone: per-client, brust: 3}}"),
                "kodiak.yaml:10: listeners[0].routes[0].rate-limit.brust: unknown key; did you mean \"burst\"? "
                        + "(allowed: zone, burst, nodelay, delay, status)");
    }

    /** nginx never counts a request twice in one zone; a zone named by a listener and its route would. */
    @Test
    void aZoneOnAListenerAndItsRouteIsRefusedAtTheRoute() throws Exception {
        assertRejected(file(ZONES, "    concurrency-limit: {zone: inflight, max: 1}\n",
                        "{pool: web, concurrency-limit: {zone: inflight, max: 1}}"),
                "kodiak.yaml:11: listeners[0].routes[0].concurrency-limit.zone: zone \"inflight\" is already applied by "
                        + "listener \"l\", whose concurrency-limit counts this route's requests too: applied on both, each "
                        + "request would count twice (nginx never does: a location's limit replaces the server's). Name it "
                        + "on the listener or on its routes, not both, or define another zone for this route");
        String m = org.junit.jupiter.api.Assertions.assertThrows(ConfigException.class, () -> parse(file(ZONES,
                "    rate-limit: [{zone: per-token}, {zone: per-client}]\n", "{pool: web, rate-limit: [{zone: per-token}]}")))
                .getMessage();
        org.junit.jupiter.api.Assertions.assertTrue(m.startsWith("kodiak.yaml:11: listeners[0].routes[0].rate-limit[0].zone: "
                + "zone \"per-token\" is already applied by listener \"l\", whose rate-limit"), m);
        // Different zones on each level, and the same zone on two routes, are fine.
        parse(file(ZONES, "    rate-limit: {zone: per-client}\n", "{pool: web, rate-limit: {zone: per-token}}"));
        parse(ZONES + "listeners:\n  - name: l\n    address: 127.0.0.1:0\n    routes:\n"
                + "      - {path: /a, pool: web, rate-limit: {zone: per-client}}\n"
                + "      - {pool: web, rate-limit: {zone: per-client}}\n" + POOL);
    }

    /**
     * A zone's table is allocated when it is first named: zones that, full, would take more than
     * half the heap are refused at load, at the largest zone's max-keys, not met as an
     * OutOfMemoryError at the first request or in the middle of a reload.
     */
    @Test
    void zonesLargerThanHalfTheHeapAreRefusedAtTheLargestZone() throws Exception {
        long heap = Runtime.getRuntime().maxMemory();
        org.junit.jupiter.api.Assumptions.assumeTrue(heap < 40L << 30, "a test heap under 40 GB");
        StringBuilder zones = new StringBuilder("rate-limits:\n");
        for (int i = 0; i < 19; i++) {
            zones.append("  z").append(i).append(": {key: \"$remote_addr\", rate: 1r/s, max-keys: 9000000}\n");
        }
        zones.append("  big: {key: \"$remote_addr\", rate: 1r/s,\n    max-keys: 10000000}\n"); // lines 21-22
        String route = "{pool: web, rate-limit: {zone: big}}";
        String m = org.junit.jupiter.api.Assertions.assertThrows(ConfigException.class,
                () -> parse(file(zones.toString(), "", route))).getMessage();
        String expected = "kodiak.yaml:22: rate-limits.big.max-keys: zone \"big\" takes about 954 MB when full (100 bytes "
                + "a key), and the 20 zone(s) about 17262 MB: more than half of the heap Kodiak may use (";
        assertEquals(expected, m.substring(0, Math.min(m.length(), expected.length())), m);
        org.junit.jupiter.api.Assertions.assertTrue(m.endsWith("Lower max-keys, or give Kodiak a larger heap "
                + "(KODIAK_JAVA_OPTS=-Xmx...)"), m);
    }
}
