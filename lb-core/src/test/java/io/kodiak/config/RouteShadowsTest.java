package io.kodiak.config;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static io.kodiak.config.ConfigLoaderRejectionTest.ONE_POOL;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@code kodiak check}'s warning about a route that an earlier one, in precedence order, always takes first. */
class RouteShadowsTest {
    /** The warnings for a listener with {@code routes} (one flow mapping per line, from line 4). */
    private static List<String> warnings(String... routes) throws ConfigException {
        StringBuilder yaml = new StringBuilder("listeners:\n  - address: 127.0.0.1:0\n    routes:\n");
        for (String r : routes) {
            yaml.append("      - {").append(r).append(", pool: web}\n");
        }
        return ConfigLoader.parse(yaml + ONE_POOL, Path.of("kodiak.yaml")).warnings();
    }

    private static String shadowed(int line, int index, int byIndex, String by) {
        return "kodiak.yaml:" + line + ": listeners[0].routes[" + index + "]: never matches: listeners[0].routes["
                + byIndex + "] (line " + (byIndex + 4) + ", " + by + ") takes every request it would";
    }

    @Test
    void aRouteWhoseConditionsImplyAnEarlierOnesAtTheSamePathNeverMatches() throws Exception {
        assertEquals(List.of(shadowed(5, 1, 0, "*/api [methods GET,HEAD,POST; header x-a: true]")),
                warnings("path-prefix: /api, methods: [GET, POST, HEAD], headers: {X-A: true}",
                        "path-prefix: /api, methods: [GET], headers: {X-A: yes}"));
        assertEquals(List.of(), warnings("path-prefix: /api", "path-prefix: /api, methods: [GET]"),
                "more conditions are tried first");
        assertEquals(List.of(), warnings("path-prefix: /api, methods: [GET]", "path-prefix: /api, methods: [POST]"));
        assertEquals(List.of(shadowed(5, 1, 0, "* [source 10.0.0.0/8]")),
                warnings("source: [10.0.0.0/8]", "path-prefix: /, source: [10.1.0.0/16]"),
                "no path covers the prefix /");
    }

    @Test
    void aHostListCoversEachOfItsHosts() throws Exception {
        assertEquals(List.of(shadowed(5, 1, 0, "a.example|b.example/x")),
                warnings("host: [a.example, b.example], path-prefix: /x", "host: b.example, path-prefix: /x"));
        assertEquals(List.of(), warnings("path-prefix: /x", "host: b.example, path-prefix: /x"),
                "a route on a host comes before one on any host");
    }

    @Test
    void aRegexThatCoversAPrefixTakesItsRequests() throws Exception {
        assertEquals(List.of(shadowed(5, 1, 0, "*~^/api")), warnings("path-regex: '^/api'", "path-prefix: /api/v1"));
        assertEquals(List.of(shadowed(5, 1, 0, "*~^/.*")), warnings("path-regex: '^/.*'", "path-prefix: /, methods: [GET]"));
        assertEquals(List.of(), warnings("path-regex: '^/.*'", "methods: [OPTIONS]"), "no path also takes OPTIONS *");
        assertEquals(List.of(), warnings("path-regex: '^/api'", "path-prefix: /api/v1, prefix-over-regex: true"),
                "prefix-over-regex beats expressions");
        assertEquals(List.of(), warnings("path-regex: '^/api$'", "path-prefix: /api/v1"));
        assertEquals(List.of(), warnings("path-regex: '^/api'", "path: /api/v1"), "an exact path comes first");
        assertEquals(List.of(shadowed(5, 1, 0, "*~^/api")), warnings("path-regex: '^/api'", "path-regex: '^/api/(v1|v2)/'"));
        assertEquals(List.of(), warnings("path-regex: '^/api/(v1|v2)/'", "path-regex: '^/api'"), "expressions in file order");
        assertEquals(List.of(), warnings("path-regex: '^/apix?'", "path-prefix: /api"), "x? may be absent: cannot tell");
    }

    @Test
    void aPrefixOverRegexTakesTheExpressionsUnderIt() throws Exception {
        assertEquals(List.of(shadowed(5, 1, 0, "*^~/static/")),
                warnings("path-prefix: /static/, prefix-over-regex: true", "path-regex: '^/static/.*\\.css$'"));
        assertEquals(List.of(), warnings("path-prefix: /static/, prefix-over-regex: true", "path-regex: '\\.css$'"),
                "not anchored: it also matches elsewhere");
        assertEquals(List.of(), warnings("path-prefix: /static/, prefix-over-regex: true", "path-prefix: /static/css/",
                "path-regex: '^/static/css/.*\\.css$'"), "a longer prefix without it lets expressions go first");
        assertEquals(List.of(shadowed(6, 2, 0, "*^~/static/")), warnings("path-prefix: /static/, prefix-over-regex: true",
                "path-prefix: /static/js/", "path-regex: '^/static/css/.*\\.css$'"), "a longer prefix elsewhere does not");
    }
}
