package io.kodiak.config;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static io.kodiak.config.ConfigLoaderRejectionTest.assertRejected;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@code forward-auth} as the configuration reads it: the defaults, every option, a pool of its
 * own that no route uses, and each rejection with its exact message.
 */
class ForwardAuthConfigTest {
    private static final String POOLS = """
            pools:
              web: {upstreams: [127.0.0.1:9001]}
              auth: {upstreams: [127.0.0.1:9002]}
            """;

    /** A listener whose one route has {@code forwardAuth} (the flow mapping's text). */
    private static String route(String forwardAuth) {
        return "listeners:\n  - name: l\n    address: 127.0.0.1:0\n    routes:\n"
                + "      - {pool: web, forward-auth: " + forwardAuth + "}\n" + POOLS;
    }

    private static ForwardAuthConfig read(String yaml) throws Exception {
        KodiakConfig c = ConfigLoader.parse(yaml, Path.of("kodiak.yaml"));
        return (ForwardAuthConfig) c.listeners().get(0).routes().get(0).features().get(0);
    }

    @Test
    void theDefaultsAndAPoolNoRouteUses() throws Exception {
        ForwardAuthConfig c = read(route("{pool: auth, path: /verify}"));
        assertEquals(new ForwardAuthConfig("auth", "/verify", Duration.ofSeconds(5), List.of("Authorization", "Cookie"),
                List.of(), 64 * 1024, null), c);
    }

    @Test
    void everyOption() throws Exception {
        ForwardAuthConfig c = read(route("{pool: auth, path: '/oauth2/auth?allowed_groups=admin', timeout: 1500ms,"
                + " request-headers: [Authorization, X-Api-Key], response-headers: [X-User, X-Email, X-Groups],"
                + " max-body: 8KiB, cache: {ttl: 30s, max-entries: 500, denials: true}}"));
        assertEquals(new ForwardAuthConfig("auth", "/oauth2/auth?allowed_groups=admin", Duration.ofMillis(1500),
                List.of("Authorization", "X-Api-Key"), List.of("X-User", "X-Email", "X-Groups"), 8192,
                new ForwardAuthConfig.Cache(Duration.ofSeconds(30), 500, true, ForwardAuthConfig.Cache.Scope.REQUEST)), c);
        assertEquals(new ForwardAuthConfig.Cache(Duration.ofMinutes(1), 10_000, false, ForwardAuthConfig.Cache.Scope.REQUEST),
                read(route("{pool: auth, path: /v, cache: {ttl: 1m}}")).cache());
        assertEquals(ForwardAuthConfig.Cache.Scope.HOST, read(route("{pool: auth, path: /v, cache: {ttl: 1m, scope: host}}")).cache().scope());
        assertEquals(ForwardAuthConfig.Cache.Scope.REQUEST, read(route("{pool: auth, path: /v, cache: {ttl: 1m, scope: request}}")).cache().scope());
    }

    @Test
    void onAListenerItsPoolIsCheckedToo() throws Exception {
        String yaml = "listeners:\n  - name: l\n    address: 127.0.0.1:0\n    routes: [{pool: web}]\n"
                + "    forward-auth: {pool: %s, path: /verify}\n" + POOLS;
        KodiakConfig c = ConfigLoader.parse(yaml.formatted("auth"), Path.of("kodiak.yaml"));
        assertEquals("auth", ((ForwardAuthConfig) c.listeners().get(0).features().get(0)).pool());
        assertRejected(yaml.formatted("nope"),
                "kodiak.yaml:5: listeners[0].forward-auth.pool: unknown pool \"nope\" (defined: web, auth)");
    }

    @Test
    void rejections() {
        assertRejected(route("{pool: authz, path: /verify}"),
                "kodiak.yaml:5: listeners[0].routes[0].forward-auth.pool: unknown pool \"authz\" (defined: web, auth)");
        assertRejected(route("{pool: auth}"),
                "kodiak.yaml:5: listeners[0].routes[0].forward-auth.path: required key is missing");
        assertRejected(route("{path: /verify}"),
                "kodiak.yaml:5: listeners[0].routes[0].forward-auth.pool: required key is missing");
        assertRejected(route("{pool: auth, path: verify}"),
                "kodiak.yaml:5: listeners[0].routes[0].forward-auth.path: \"verify\" is not a request target: '/' then a path"
                        + " (and a query), without spaces, '#' or 8-bit characters, e.g. /verify");
        assertRejected(route("{pool: auth, path: '/a b'}"),
                "kodiak.yaml:5: listeners[0].routes[0].forward-auth.path: \"/a b\" is not a request target: '/' then a path"
                        + " (and a query), without spaces, '#' or 8-bit characters, e.g. /verify");
        assertRejected(route("{pool: auth, path: /v, timeout: 0s}"),
                "kodiak.yaml:5: listeners[0].routes[0].forward-auth.timeout: \"0s\" must be greater than 0");
        assertRejected(route("{pool: auth, path: /v, request-headers: [Authorization, X-Forwarded-For]}"),
                "kodiak.yaml:5: listeners[0].routes[0].forward-auth.request-headers[1]: X-Forwarded-For cannot be listed: Kodiak sets it on the subrequest");
        // Every forwarding field, not only those Kodiak writes: the auth service would take the client's for a proxy's.
        for (String name : new String[]{"X-Forwarded-User", "X-Forwarded-Port", "X-Forwarded-Prefix", "x-forwarded-anything",
                "Forwarded", "X-Real-IP"}) {
            assertRejected(route("{pool: auth, path: /v, request-headers: [Cookie, " + name + "]}"),
                    "kodiak.yaml:5: listeners[0].routes[0].forward-auth.request-headers[1]: " + name + " cannot be listed:"
                            + " a client's forwarding fields (X-Forwarded-*, Forwarded, X-Real-IP) never reach the auth service,"
                            + " which would take them for a proxy's");
        }
        assertRejected(route("{pool: auth, path: /v, request-headers: [Cookie, cookie]}"),
                "kodiak.yaml:5: listeners[0].routes[0].forward-auth.request-headers[1]: cookie is listed twice");
        assertRejected(route("{pool: auth, path: /v, response-headers: [Content-Length]}"),
                "kodiak.yaml:5: listeners[0].routes[0].forward-auth.response-headers[0]: Content-Length is framing: Kodiak sets it");
        assertRejected(route("{pool: auth, path: /v, response-headers: [Host]}"),
                "kodiak.yaml:5: listeners[0].routes[0].forward-auth.response-headers[0]: Host cannot be listed: it describes the auth service's message, not the user");
        assertRejected(route("{pool: auth, path: /v, response-headers: ['X User']}"),
                "kodiak.yaml:5: listeners[0].routes[0].forward-auth.response-headers[0]: not a field name: \"X User\"");
        assertRejected(route("{pool: auth, path: /v, max-body: 2MiB}"),
                "kodiak.yaml:5: listeners[0].routes[0].forward-auth.max-body: \"2MiB\" is too large (at most 1048576 bytes)");
        assertRejected(route("{pool: auth, path: /v, cache: {max-entries: 5}}"),
                "kodiak.yaml:5: listeners[0].routes[0].forward-auth.cache.ttl: required key is missing");
        assertRejected(route("{pool: auth, path: /v, cache: {ttl: 0s}}"),
                "kodiak.yaml:5: listeners[0].routes[0].forward-auth.cache.ttl: \"0s\" must be greater than 0");
        assertRejected(route("{pool: auth, path: /v, cache: {ttl: 1s, max-entries: 0}}"),
                "kodiak.yaml:5: listeners[0].routes[0].forward-auth.cache.max-entries: 0 is out of range (must be 1-1000000)");
        assertRejected(route("{pool: auth, path: /v, cache: {ttl: 1s, scope: credential}}"),
                "kodiak.yaml:5: listeners[0].routes[0].forward-auth.cache.scope: \"credential\" is not a scope: request"
                        + " (the same method, Host, target and client) or host (the same Host, any path)");
        assertRejected(route("{pool: auth, path: /v, adress: x}"),
                "kodiak.yaml:5: listeners[0].routes[0].forward-auth.adress: unknown key (allowed: pool, path, timeout, request-headers,"
                        + " response-headers, max-body, cache)");
    }

    @Test
    void aListenerWithoutRoutesGoesToItsOnePoolBesideItsAuthPool() throws Exception {
        String yaml = "listeners:\n  - name: l\n    address: 127.0.0.1:0\n%s" + POOLS;
        KodiakConfig c = ConfigLoader.parse(yaml.formatted("    forward-auth: {pool: auth, path: /v}\n"), Path.of("kodiak.yaml"));
        assertEquals("web", c.listeners().get(0).routes().get(0).pool());
        assertRejected(yaml.formatted(""), "kodiak.yaml:2: listeners[0].routes: required when more than one pool is defined");
    }
}
