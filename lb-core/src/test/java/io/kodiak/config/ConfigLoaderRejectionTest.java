package io.kodiak.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every rejection, with the exact message: {@code FILE:LINE: KEY.PATH: problem}. The file as a
 * whole and listeners are here, pools in {@link PoolRejectionTest}, value syntax edge cases in
 * {@link ValuesTest}.
 */
class ConfigLoaderRejectionTest {
    /** A valid pools section to append to files that test listeners. */
    static final String ONE_POOL = """
            pools:
              web:
                upstreams: [127.0.0.1:9001]
            """;

    /** A whole valid file of five lines. */
    private static final String MINIMAL = "listeners:\n  - {name: l, address: 127.0.0.1:0}\n" + ONE_POOL;

    @TempDir
    Path dir;

    static void assertRejected(String yaml, String expected) {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse(yaml, Path.of("kodiak.yaml")));
        assertEquals(expected, e.getMessage());
    }

    // --- the file as a whole

    @Test
    void requestIdAndRequestStartAreReadAndChecked() throws Exception {
        Path file = Path.of("kodiak.yaml");
        String l = "listeners:\n  - {name: l, address: 127.0.0.1:0, %s}\n" + ONE_POOL;
        assertEquals(RequestTracing.DEFAULTS, ConfigLoader.parse(l.formatted("request-start: true"), file)
                .listeners().get(0).tracing());
        assertEquals(new RequestTracing("X-Trace-Id", true, true, false), ConfigLoader.parse(l.formatted(
                "request-id: {header: X-Trace-Id, trust-client: true, echo: true}, request-start: false"), file)
                .listeners().get(0).tracing());
        assertRejected(l.formatted("request-id: {header: 'X Trace'}"),
                "kodiak.yaml:2: listeners[0].request-id.header: \"X Trace\" is not a field name (letters, digits and '-')");
        assertRejected(l.formatted("request-id: {echoes: true}"),
                "kodiak.yaml:2: listeners[0].request-id.echoes: unknown key; did you mean \"echo\"? (allowed: header, trust-client, echo)");
    }

    @Test
    void tempIsReadAndItsDirectoryChecked() throws Exception {
        Path file = dir.resolve("kodiak.yaml");
        KodiakConfig c = ConfigLoader.parse(MINIMAL + "temp: {dir: spill, max-total: 2GiB}\n", file);
        assertEquals(new TempConfig(dir.resolve("spill"), 2L << 30), c.temp());
        assertEquals(TempConfig.DEFAULTS, ConfigLoader.parse(MINIMAL, file).temp());
        java.nio.file.Files.writeString(dir.resolve("plain"), "x");
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigLoader.parse(MINIMAL + "temp: {dir: plain}\n", file));
        assertTrue(e.getMessage().endsWith("temp.dir: " + dir.resolve("plain") + " is not a writable directory"), e.getMessage());
        assertRejected(MINIMAL + "temp: {max-total: lots}\n",
                "kodiak.yaml:6: temp.max-total: \"lots\" is not a size (use bytes or a unit: 512, 64KiB, 100MiB, 1GiB; k, M, GB also work)");
    }

    @Test
    void missingFile() {
        Path missing = dir.resolve("nope.yaml");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(missing));
        assertEquals(missing + ": cannot read: no such file", e.getMessage());
    }

    @Test
    void directoryInsteadOfFile() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(dir));
        assertEquals(dir + ": cannot read: Is a directory", e.getMessage());
    }

    @Test
    void emptyFile() {
        assertRejected("", "kodiak.yaml:1: file is empty (expected the keys listeners, pools)");
        assertRejected("# only a comment\n\n", "kodiak.yaml:1: file is empty (expected the keys listeners, pools)");
        assertRejected("---\n", "kodiak.yaml:1: file is empty (expected the keys listeners, pools)");
    }

    @Test
    void topLevelNotAMapping() {
        assertRejected("- a\n- b\n", "kodiak.yaml:1: expected a mapping, got a list");
    }

    @Test
    void yamlSyntaxErrorNamesTheLine() {
        assertRejected("""
                listeners:
                  - address: 127.0.0.1:8080
                    routes: [{pool: web}
                pools: {}
                """, "kodiak.yaml:4: invalid YAML: expected ',' or ']', but got <scalar>"
                + " (while parsing a flow sequence at line 3)");
        assertRejected("""
                pools:
                  web:
                   upstreams: x
                  bad indent: [
                """.replace("  bad indent", " bad indent"),
                "kodiak.yaml:4: invalid YAML: expected <block end>, but found '<block mapping start>'"
                        + " (while parsing a block mapping at line 1)");
    }

    @Test
    void moreThanOneDocument() {
        assertRejected("pools: {}\n---\nlisteners: []\n",
                "kodiak.yaml:2: invalid YAML: expected a single document in the stream, but found another document");
    }

    @Test
    void missingTopLevelKeys() {
        // Pools may be left out (every route then answers by itself), listeners may not.
        assertRejected("listeners: []\n", "kodiak.yaml:1: listeners: must define at least one listener");
        assertRejected(ONE_POOL, "kodiak.yaml:1: listeners: required key is missing");
    }

    // --- unknown keys, wrong types, missing keys

    @Test
    void unknownTopLevelKey() {
        assertRejected("listener: []\n" + ONE_POOL,
                "kodiak.yaml:1: listener: unknown key; did you mean \"listeners\"? (allowed: listeners, pools, admin, metrics, shutdown-grace, temp, acme, rate-limits, concurrency-limits, resolvers, kubernetes)");
    }

    @Test
    void unknownNestedKeyListsTheAllowedOnes() {
        assertRejected("""
                listeners:
                  - address: 127.0.0.1:8080
                    timeouts:
                      keepalive: 5s
                """ + ONE_POOL,
                "kodiak.yaml:4: listeners[0].timeouts.keepalive: unknown key; did you mean \"keep-alive\"?"
                        + " (allowed: request-header, keep-alive, body, send, body-min-rate, body-total, send-min-rate)");
        assertRejected("""
                listeners: [{address: 127.0.0.1:8080}]
                pools:
                  web:
                    upstreams: [127.0.0.1:9001]
                    health: {}
                """, "kodiak.yaml:5: pools.web.health: unknown key"
                + " (allowed: strategy, choice-count, latency-decay, hash-key, hash-balance-factor, max-connections, queue, health-check, retries, outlier-detection, slow-start, panic-threshold, upstreams, timeouts, connections, buffering, error-page, error-pages, tls)");
    }

    @Test
    void duplicateKey() {
        assertRejected("""
                listeners:
                  - address: 127.0.0.1:8080
                    timeouts:
                      send: 5s
                      send: 6s
                """ + ONE_POOL, "kodiak.yaml:5: listeners[0].timeouts.send: duplicate key (first at line 4)");
    }

    @Test
    void mergeKeysAreRefused() {
        assertRejected("""
                listeners:
                  - address: 127.0.0.1:8080
                    timeouts:
                      <<: {send: 5s}
                """ + ONE_POOL, "kodiak.yaml:4: listeners[0].timeouts.<<: YAML merge keys are not supported;"
                + " repeat the keys or use an alias (*name) for the whole value");
    }

    @Test
    void wrongTypes() {
        assertRejected("listeners: {address: 127.0.0.1:8080}\n" + ONE_POOL,
                "kodiak.yaml:1: listeners: expected a list, got a mapping");
        assertRejected("listeners: [{address: 127.0.0.1:8080, timeouts: 10s}]\n" + ONE_POOL,
                "kodiak.yaml:1: listeners[0].timeouts: expected a mapping, got \"10s\"");
        assertRejected("listeners: [{address: [127.0.0.1, 8080]}]\n" + ONE_POOL,
                "kodiak.yaml:1: listeners[0].address: expected host:port, got a list");
        assertRejected("listeners: [{address: 127.0.0.1:8080, limits: {max-headers: lots}}]\n" + ONE_POOL,
                "kodiak.yaml:1: listeners[0].limits.max-headers: expected an integer, got \"lots\"");
        assertRejected("listeners: [{address: 127.0.0.1:8080, forwarded-headers: {forwarded: yes}}]\n" + ONE_POOL,
                "kodiak.yaml:1: listeners[0].forwarded-headers.forwarded: expected true or false, got \"yes\"");
        assertRejected("listeners: [{address: 127.0.0.1:8080, name: {a: b}}]\n" + ONE_POOL,
                "kodiak.yaml:1: listeners[0].name: expected a name, got a mapping");
    }

    @Test
    void complexKeysAreRefused() {
        assertRejected("""
                listeners:
                  - address: 127.0.0.1:8080
                    ? [a, b]
                    : c
                """ + ONE_POOL, "kodiak.yaml:3: listeners[0]: keys must be plain strings");
    }

    @Test
    void poolThatIsNotAMapping() {
        assertRejected("""
                listeners: [{address: 127.0.0.1:8080}]
                pools:
                  web: [127.0.0.1:9001]
                """, "kodiak.yaml:3: pools.web: expected a mapping, got a list");
    }

    @Test
    void keyWithoutValue() {
        assertRejected("""
                listeners:
                  - address: 127.0.0.1:8080
                    routes:
                """ + ONE_POOL, "kodiak.yaml:3: listeners[0].routes: has no value (expected a list)");
        assertRejected("listeners: [{address: 127.0.0.1:8080, name: \"\"}]\n" + ONE_POOL,
                "kodiak.yaml:1: listeners[0].name: must not be empty");
    }

    @Test
    void missingRequiredKeys() {
        assertRejected("""
                listeners:
                  - name: public
                """ + ONE_POOL, "kodiak.yaml:2: listeners[0].address: required key is missing");
        assertRejected("""
                listeners: [{address: 127.0.0.1:8080}]
                pools:
                  web:
                    strategy: round-robin
                """, "kodiak.yaml:4: pools.web.upstreams: required key is missing");
        assertRejected("""
                listeners: [{address: 127.0.0.1:8080}]
                pools:
                  web:
                    upstreams:
                      - {weight: 2}
                """, "kodiak.yaml:5: pools.web.upstreams[0].address: required key is missing"
                + " (or service: for an SRV record, kubernetes: for a Service)");
        assertRejected("""
                listeners:
                  - address: 127.0.0.1:8080
                    routes:
                      - host: a.example
                """ + ONE_POOL, "kodiak.yaml:4: listeners[0].routes[0].pool: required key is missing"
                + " (a route without a pool answers by itself: redirect, respond or static)");
    }

    // --- listeners

    @Test
    void noListeners() {
        assertRejected("listeners: []\n" + ONE_POOL, "kodiak.yaml:1: listeners: must define at least one listener");
    }

    @Test
    void badListenerAddress() {
        assertRejected("listeners: [{address: 127.0.0.1}]\n" + ONE_POOL,
                "kodiak.yaml:1: listeners[0].address: \"127.0.0.1\" is not host:port (the port is missing)");
        assertRejected("listeners: [{address: \"127.0.0.1:65536\"}]\n" + ONE_POOL,
                "kodiak.yaml:1: listeners[0].address: \"127.0.0.1:65536\" is not host:port (port must be 0-65535)");
    }

    @Test
    void unresolvableListenerHost() {
        assertRejected("listeners: [{address: no-such-host.invalid:8080}]\n" + ONE_POOL,
                "kodiak.yaml:1: listeners[0].address: \"no-such-host.invalid:8080\":"
                        + " cannot resolve host \"no-such-host.invalid\"");
    }

    @Test
    void duplicateListenerAddress() {
        assertRejected("""
                listeners:
                  - name: a
                    address: 127.0.0.1:8080
                  - name: b
                    address: 127.0.0.1:8080
                """ + ONE_POOL,
                "kodiak.yaml:5: listeners[1].address: \"127.0.0.1:8080\" is already used by listener \"a\" (line 3)");
    }

    @Test
    void wildcardListenerOverlapsASpecificOne() {
        assertRejected("""
                listeners:
                  - address: 127.0.0.1:8080
                  - address: :8080
                """ + ONE_POOL, "kodiak.yaml:3: listeners[1].address: \"0.0.0.0:8080\" overlaps listener"
                + " \"127.0.0.1:8080\" (line 2) at 127.0.0.1:8080: a wildcard address takes the port on every interface");
    }

    @Test
    void duplicateListenerName() {
        assertRejected("""
                listeners:
                  - name: public
                    address: 127.0.0.1:8080
                  - name: public
                    address: 127.0.0.1:8081
                """ + ONE_POOL,
                "kodiak.yaml:4: listeners[1].name: listener name \"public\" is already used by listeners[0].name (line 2)");
    }

    @Test
    void invalidListenerName() {
        assertRejected("listeners: [{address: 127.0.0.1:8080, name: my listener}]\n" + ONE_POOL,
                "kodiak.yaml:1: listeners[0].name: \"my listener\" is not a valid name"
                        + " (use 1-100 letters, digits and . _ - : [ ])");
    }

    @Test
    void limitsOutOfRange() {
        assertRejected("listeners: [{address: 127.0.0.1:8080, limits: {max-headers: 0}}]\n" + ONE_POOL,
                "kodiak.yaml:1: listeners[0].limits.max-headers: 0 is out of range (must be 1-100000)");
        assertRejected("listeners: [{address: 127.0.0.1:8080, limits: {max-header-size: 4GiB}}]\n" + ONE_POOL,
                "kodiak.yaml:1: listeners[0].limits.max-header-size: \"4GiB\" is too large (at most 2147483647 bytes)");
        assertRejected("listeners: [{address: 127.0.0.1:8080, limits: {max-request-line: 64KiB}}]\n" + ONE_POOL,
                "kodiak.yaml:1: listeners[0].limits.max-request-line: max-request-line (65536 bytes) exceeds"
                        + " max-header-size (32768 bytes), which bounds the whole request head");
    }

    @Test
    void badServerHeader() {
        assertRejected("listeners: [{address: 127.0.0.1:8080, server-header: \"x\\r\\nSet-Cookie: a=b\"}]\n" + ONE_POOL,
                "kodiak.yaml:1: listeners[0].server-header: \"x\\x0d\\x0aSet-Cookie: a=b\" is not a valid header value"
                        + " (only printable ASCII characters are allowed)");
    }

    @Test
    void badUnderscoresInHeaders() {
        assertRejected("listeners: [{address: 127.0.0.1:8080, underscores-in-headers: on}]\n" + ONE_POOL,
                "kodiak.yaml:1: listeners[0].underscores-in-headers: expected drop or pass, got \"on\"");
    }

    @Test
    void aHashHeaderWithAnUnderscoreNeedsListenersThatPassIt() throws Exception {
        String pool = """
                pools:
                  web:
                    strategy: consistent-hash
                    hash-key: header:X_User
                    upstreams: [127.0.0.1:9001]
                """;
        assertRejected("listeners: [{address: 127.0.0.1:8080}]\n" + pool,
                "kodiak.yaml:1: listeners[0]: routes to pool \"web\", whose hash-key header:x_user would never be"
                        + " found: this listener drops request fields whose name holds '_' (underscores-in-headers: pass keeps them)");
        ConfigLoader.parse("listeners: [{address: 127.0.0.1:8080, underscores-in-headers: pass}]\n" + pool,
                Path.of("kodiak.yaml"));
    }

    // --- routes

    @Test
    void multiplePoolsNeedRoutes() {
        assertRejected("""
                listeners:
                  - address: 127.0.0.1:8080
                pools:
                  a: {upstreams: [127.0.0.1:9001]}
                  b: {upstreams: [127.0.0.1:9002]}
                """, "kodiak.yaml:2: listeners[0].routes: required when more than one pool is defined");
    }

    @Test
    void routeToUnknownPool() {
        assertRejected("""
                listeners:
                  - address: 127.0.0.1:8080
                    routes:
                      - pool: wbe
                """ + ONE_POOL, "kodiak.yaml:4: listeners[0].routes[0].pool: unknown pool \"wbe\" (defined: web)");
    }

    @Test
    void emptyRoutes() {
        assertRejected("listeners: [{address: 127.0.0.1:8080, routes: []}]\n" + ONE_POOL,
                "kodiak.yaml:1: listeners[0].routes: must list at least one route (or remove the key when there is one pool)");
    }

    @Test
    void routeHostWithPort() {
        assertRejected("listeners: [{address: 127.0.0.1:8080, routes: [{host: \"a.example:8080\", pool: web}]}]\n"
                        + ONE_POOL, "kodiak.yaml:1: listeners[0].routes[0].host: \"a.example:8080\" must not contain"
                        + " a port (routes match the Host field without its port)");
        assertRejected("listeners: [{address: 127.0.0.1:8080, routes: [{host: \"*.exa mple\", pool: web}]}]\n"
                + ONE_POOL, "kodiak.yaml:1: listeners[0].routes[0].host: \"*.exa mple\" is not a valid wildcard host name (such as *.example.com)");
    }

    @Test
    void routePathPrefixMustStartWithSlash() {
        assertRejected("listeners: [{address: 127.0.0.1:8080, routes: [{path-prefix: api/, pool: web}]}]\n" + ONE_POOL,
                "kodiak.yaml:1: listeners[0].routes[0].path-prefix: \"api/\" must start with '/'");
        assertRejected("listeners: [{address: 127.0.0.1:8080, routes: [{path-prefix: \"/a?b\", pool: web}]}]\n" + ONE_POOL,
                "kodiak.yaml:1: listeners[0].routes[0].path-prefix: \"/a?b\" must be a plain path:"
                        + " no spaces, query ('?'), fragment ('#') or non-ASCII characters");
    }

    /** Requests are routed on their normalised path, so a prefix in any other form would never match. */
    @Test
    void routePathPrefixMustBeNormalised() {
        String[][] cases = {
            {"/v1/./x/", "\"/v1/./x/\" would never match: requests are routed on their normalised path; write \"/v1/x/\""},
            {"/%7eu/", "\"/%7eu/\" would never match: requests are routed on their normalised path; write \"/~u/\""},
            {"/a%2fb", "\"/a%2fb\" would never match: requests are routed on their normalised path; write \"/a%2Fb\""},
            {"/api//", "\"/api//\" would never match: requests are routed on their normalised path; write \"/api/\""},
            {"/../a", "\"/../a\" is not a valid path: path climbs above the root"},
            {"/%zz", "\"/%zz\" is not a valid path: malformed percent-encoding in path"},
        };
        for (String[] c : cases) {
            assertRejected("listeners: [{address: 127.0.0.1:8080, routes: [{path-prefix: \"" + c[0] + "\", pool: web}]}]\n"
                    + ONE_POOL, "kodiak.yaml:1: listeners[0].routes[0].path-prefix: " + c[1]);
        }
    }

    @Test
    void shadowedRoute() {
        assertRejected("""
                listeners:
                  - address: 127.0.0.1:8080
                    routes:
                      - {path-prefix: /a, pool: web}
                      - {path-prefix: /a, pool: web}
                """ + ONE_POOL, "kodiak.yaml:5: listeners[0].routes[1]: same host, sni, path and conditions as"
                + " listeners[0].routes[0] (line 4), so it could never match");
    }

    // --- admin

    static final String ONE_LISTENER = """
            listeners:
              - address: 127.0.0.1:8080
            """ + ONE_POOL;

    @Test
    void adminDefaultsToLoopback9090AndAStateFileNextToTheConfig() throws Exception {
        KodiakConfig c = ConfigLoader.parse(ONE_LISTENER, dir.resolve("site.yaml"));
        assertEquals(AdminConfig.DEFAULT_LISTEN, c.admin().listen());
        assertEquals(dir.resolve("site.state.json"), c.admin().stateFile());
        assertEquals(null, c.admin().token());
        KodiakConfig off = ConfigLoader.parse("admin:\n  listen: off\n  state-file: off\n" + ONE_LISTENER, dir.resolve("site.yaml"));
        assertEquals(false, off.admin().enabled());
        assertEquals(null, off.admin().stateFile());
        KodiakConfig moved = ConfigLoader.parse("admin:\n  listen: 127.0.0.1:9901\n  token: abcdefghijklmnop\n  state-file: run/k.json\n"
                + ONE_LISTENER, dir.resolve("site.yaml"));
        assertEquals(9901, moved.admin().listen().getPort());
        assertEquals("abcdefghijklmnop", moved.admin().token());
        assertEquals(dir.resolve("run/k.json"), moved.admin().stateFile());
        assertEquals(java.util.List.of(), moved.admin().allowedHosts());
        KodiakConfig named = ConfigLoader.parse("admin:\n  allowed-hosts: [Kodiak.Internal, 10.0.0.5]\n"
                + "metrics:\n  allowed-hosts: [prometheus-target]\n" + ONE_LISTENER, dir.resolve("site.yaml"));
        assertEquals(java.util.List.of("kodiak.internal", "10.0.0.5"), named.admin().allowedHosts());
        assertEquals(java.util.List.of("prometheus-target"), named.metrics().allowedHosts());
        assertEquals(12, c.version().length());
    }

    @Test
    void adminRejections() {
        assertRejected("admin:\n  listen: 0.0.0.0:9090\n" + ONE_LISTENER,
                "kodiak.yaml:2: admin.listen: 0.0.0.0 is not a loopback address: the admin API would be open to the network, "
                        + "so it needs admin.token (or KODIAK_ADMIN_TOKEN)");
        assertRejected("admin:\n  token: short\n" + ONE_LISTENER,
                "kodiak.yaml:2: admin.token: the token must be at least 16 characters");
        assertRejected("admin:\n  tokn: abcdefghijklmnopq\n" + ONE_LISTENER,
                "kodiak.yaml:2: admin.tokn: unknown key; did you mean \"token\"? (allowed: listen, token, state-file, allowed-hosts, shared-state)");
        assertRejected("admin:\n  allowed-hosts: [kodiak.internal, \"kodiak.internal:9090\"]\n" + ONE_LISTENER,
                "kodiak.yaml:2: admin.allowed-hosts[1]: \"kodiak.internal:9090\" is not a host name: give the name alone,"
                        + " without port, scheme or wildcard (any port is allowed)");
        assertRejected("admin:\n  allowed-hosts: kodiak.internal\n" + ONE_LISTENER,
                "kodiak.yaml:2: admin.allowed-hosts: expected a list, got \"kodiak.internal\"");
        assertRejected("admin:\n  listen: 127.0.0.1:8080\n" + ONE_LISTENER,
                "kodiak.yaml:2: admin: the admin API's address 127.0.0.1:8080 is also listener 127.0.0.1:8080's: "
                        + "the admin API needs its own (set admin.listen)");
    }

    @Test
    void metricsDefaultToLoopback9404AndCanMoveStopServingOrTurnOff() throws Exception {
        KodiakConfig c = ConfigLoader.parse(ONE_LISTENER, dir.resolve("site.yaml"));
        assertEquals(MetricsConfig.DEFAULT, c.metrics());
        assertEquals(9404, c.metrics().listen().getPort());
        KodiakConfig moved = ConfigLoader.parse("metrics:\n  listen: 127.0.0.1:9500\n" + ONE_LISTENER, dir.resolve("site.yaml"));
        assertEquals(9500, moved.metrics().listen().getPort());
        KodiakConfig mbeansOnly = ConfigLoader.parse("metrics:\n  listen: off\n" + ONE_LISTENER, dir.resolve("site.yaml"));
        assertEquals(true, mbeansOnly.metrics().enabled());
        assertEquals(false, mbeansOnly.metrics().serves());
        KodiakConfig off = ConfigLoader.parse("metrics: off\n" + ONE_LISTENER, dir.resolve("site.yaml"));
        assertEquals(MetricsConfig.OFF, off.metrics());
        java.nio.file.Files.writeString(dir.resolve("rules.yaml"), "rules: []\n");
        KodiakConfig rules = ConfigLoader.parse("metrics:\n  rules: rules.yaml\n" + ONE_LISTENER, dir.resolve("site.yaml"));
        assertEquals(dir.resolve("rules.yaml"), rules.metrics().rules());
    }

    @Test
    void metricsRejections() {
        assertRejected("metrics: on\n" + ONE_LISTENER,
                "kodiak.yaml:1: metrics: expected off, or a mapping with the keys listen, rules, allowed-hosts");
        assertRejected("metrics:\n  listen: nowhere\n" + ONE_LISTENER,
                "kodiak.yaml:2: metrics.listen: \"nowhere\" is not host:port (the port is missing)");
        assertRejected("metrics:\n  lisen: 127.0.0.1:9500\n" + ONE_LISTENER,
                "kodiak.yaml:2: metrics.lisen: unknown key; did you mean \"listen\"? (allowed: listen, rules, allowed-hosts)");
        assertRejected("metrics:\n  allowed-hosts:\n    - \"*.internal\"\n" + ONE_LISTENER,
                "kodiak.yaml:3: metrics.allowed-hosts[0]: \"*.internal\" is not a host name: give the name alone,"
                        + " without port, scheme or wildcard (any port is allowed)");
        assertRejected("metrics:\n  listen: 127.0.0.1:8080\n" + ONE_LISTENER,
                "kodiak.yaml:2: metrics: the metrics address 127.0.0.1:8080 is also listener 127.0.0.1:8080's: "
                        + "/metrics needs its own (set metrics.listen)");
        assertRejected("metrics:\n  listen: 127.0.0.1:9090\n" + ONE_LISTENER,
                "kodiak.yaml:2: metrics: the metrics address 127.0.0.1:9090 is also the admin API's: each needs its own");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse(
                "metrics:\n  rules: missing.yaml\n" + ONE_LISTENER, dir.resolve("site.yaml")));
        assertEquals(dir.resolve("site.yaml") + ":2: metrics.rules: cannot read the rules file " + dir.resolve("missing.yaml"),
                e.getMessage());
    }
}
