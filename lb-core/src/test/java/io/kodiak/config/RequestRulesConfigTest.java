package io.kodiak.config;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static io.kodiak.config.ConfigLoaderRejectionTest.assertRejected;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/** {@code request-rules} as read, its defaults, and every rejection with its exact message. */
class RequestRulesConfigTest {
    private static final String LISTENER = "listeners:\n  - name: l\n    address: 127.0.0.1:0\n    request-rules: %s\n"
            + ConfigLoaderRejectionTest.ONE_POOL;
    private static final String ROUTE = "listeners:\n  - name: l\n    address: 127.0.0.1:0\n    routes:\n"
            + "      - pool: web\n        request-rules: %s\n" + ConfigLoaderRejectionTest.ONE_POOL;

    private static RequestRulesConfig listener(String section) throws Exception {
        return (RequestRulesConfig) ConfigLoader.parse(LISTENER.formatted(section), Path.of("kodiak.yaml"))
                .listeners().get(0).features().get(0);
    }

    private static RequestRulesConfig route(String section) throws Exception {
        return (RequestRulesConfig) ConfigLoader.parse(ROUTE.formatted(section), Path.of("kodiak.yaml"))
                .listeners().get(0).routes().get(0).features().get(0);
    }

    @Test
    void bundledAllIsEveryRuleButTheOptInOnesWithTheDefaults() throws Exception {
        RequestRulesConfig c = listener("{bundled: all}");
        assertEquals(EnumSet.complementOf(EnumSet.of(BundledRule.SQL_XSS_PROBES)), c.bundled());
        assertEquals(403, c.status());
        assertEquals(RequestRulesConfig.DEFAULT_METHODS, c.allowedMethods());
        assertEquals(4096, c.cookieMaxBytes());
        assertEquals(50, c.cookieMaxCount());
        assertEquals(32768, c.inspectLimit());
        assertEquals(65536, c.bodyLimit());
        assertEquals(false, c.refuseLongBody());
        assertEquals(List.of(), c.rules());
    }

    @Test
    void listsExceptAndSettingsAreRead() throws Exception {
        RequestRulesConfig c = route("{bundled: [all, sql-xss-probes], except: [bad-cookies, unusual-methods], status: 404,"
                + " allowed-methods: [GET, PROPFIND], cookies: {max-bytes: 2k, max-count: 10}, inspect-limit: 1k,"
                + " body-limit: 16k, body-over-limit: refuse}");
        assertEquals(EnumSet.of(BundledRule.PATH_TRAVERSAL, BundledRule.SCANNER_PATHS, BundledRule.SQL_XSS_PROBES), c.bundled());
        assertEquals(404, c.status());
        assertEquals(List.of("GET", "PROPFIND"), c.allowedMethods());
        assertEquals(2048, c.cookieMaxBytes());
        assertEquals(10, c.cookieMaxCount());
        assertEquals(1024, c.inspectLimit());
        assertEquals(16384, c.bodyLimit());
        assertEquals(true, c.refuseLongBody());
        assertEquals(Set.of(BundledRule.PATH_TRAVERSAL), route("{bundled: path-traversal}").bundled());
    }

    @Test
    void ownRulesAreReadWithTheSectionsStatusAsTheirDefault() throws Exception {
        String section = "{status: 451, rules: [{id: a, path: /old/, action: deny},"
                + " {id: b, methods: POST, query: '~*union', headers: {User-Agent: '~sqlmap', X-Debug: true}, body: x, status: 400},"
                + " {id: c, path: '~^/ok/', action: allow}]}";
        RequestRulesConfig c = route(section);
        RequestRulesConfig.Rule a = c.rules().get(0);
        assertEquals(new RequestRulesConfig.Rule("a", List.of(), RuleMatch.parse("/old/", true, false), null, Map.of(),
                null, false, 451), a);
        assertEquals(RuleMatch.Kind.PREFIX, a.path().kind());
        RequestRulesConfig.Rule b = c.rules().get(1);
        assertEquals(List.of("POST"), b.methods());
        assertEquals(RuleMatch.Kind.REGEX, b.query().kind());
        assertEquals(RuleMatch.Kind.PRESENT, b.headers().get("x-debug").kind());
        assertEquals(RuleMatch.Kind.CONTAINS, b.body().kind());
        assertEquals(400, b.status());
        assertEquals(true, c.rules().get(2).allow());
        assertEquals(RuleMatch.Kind.PRESENT, route("{rules: [{id: te, headers: {Transfer-Encoding: true}}]}")
                .rules().get(0).headers().get("transfer-encoding").kind(), "framing fields too");
        assertEquals(c, route(section), "equal by value: a reload sees no change");
        assertNotEquals(c, route("{status: 451, rules: [{id: a, path: /older/}]}"));
    }

    @Test
    void bundledMistakesAreRefused() {
        assertRejected(LISTENER.formatted("{bundled: [path-traversal, scanners]}"),
                "kodiak.yaml:4: listeners[0].request-rules.bundled[1]: unknown bundled rule \"scanners\" (known: all,"
                        + " path-traversal, scanner-paths, bad-cookies, unusual-methods, sql-xss-probes)");
        assertRejected(LISTENER.formatted("{bundled: [path-traversal], except: [scanner-paths]}"),
                "kodiak.yaml:4: listeners[0].request-rules.except[0]: \"scanner-paths\" is not in bundled, so there is nothing to except");
        assertRejected(LISTENER.formatted("{}"),
                "kodiak.yaml:4: listeners[0].request-rules: has no rules: name bundled ones (bundled: all) or write your own (rules: [...])");
        assertRejected(LISTENER.formatted("{bundled: all, disable: [bad-cookies]}"),
                "kodiak.yaml:4: listeners[0].request-rules.disable: unknown key (allowed: bundled, except, status, allowed-methods,"
                        + " cookies, inspect-limit, body-limit, body-over-limit, rules)");
        assertRejected(LISTENER.formatted("{bundled: all, status: 200}"),
                "kodiak.yaml:4: listeners[0].request-rules.status: 200 is out of range (must be 400-599)");
        assertRejected(LISTENER.formatted("{bundled: all, allowed-methods: [get]}"),
                "kodiak.yaml:4: listeners[0].request-rules.allowed-methods[0]: \"get\": methods are case-sensitive; write GET");
        assertRejected(LISTENER.formatted("{bundled: all, body-over-limit: drop}"),
                "kodiak.yaml:4: listeners[0].request-rules.body-over-limit: expected pass or refuse, got \"drop\"");
    }

    @Test
    void ownRuleMistakesAreRefused() {
        String p = "kodiak.yaml:6: listeners[0].routes[0].request-rules.rules[0]";
        assertRejected(ROUTE.formatted("{rules: [{id: a, path: '~(a'}]}"),
                p + ".path: not an RE2 regular expression (no backreferences, no lookaround): missing closing ) in \"(a\"");
        assertRejected(ROUTE.formatted("{rules: [{id: a, query: '~(\\w)\\1'}]}"),
                p + ".query: not an RE2 regular expression (no backreferences, no lookaround): invalid escape sequence in \"(\\\\w)\\\\1\"");
        assertRejected(ROUTE.formatted("{rules: [{id: a, path: '~^/(?!api)'}]}"),
                p + ".path: not an RE2 regular expression (no backreferences, no lookaround): invalid or unsupported Perl syntax in \"^/(?!api)\"");
        assertRejected(ROUTE.formatted("{rules: [{id: a}]}"),
                p + ": a rule needs at least one of methods, path, query, headers, body");
        assertRejected(ROUTE.formatted("{rules: [{path: /x}]}"), p + ".id: required key is missing");
        assertRejected(ROUTE.formatted("{rules: [{id: scanner-paths, path: /x}]}"),
                p + ".id: \"scanner-paths\" is the name of a bundled rule: choose another, so the log tells them apart");
        assertRejected(ROUTE.formatted("{rules: [{id: 'a b', path: /x}]}"),
                p + ".id: \"a b\" is not a rule id (1-64 letters, digits and . _ -, first a letter or digit)");
        assertRejected(ROUTE.formatted("{rules: [{id: a, path: /x}, {id: a, path: /y}]}"),
                "kodiak.yaml:6: listeners[0].routes[0].request-rules.rules[1].id: duplicate rule id \"a\"");
        assertRejected(ROUTE.formatted("{rules: [{id: a, body: x, action: allow}]}"),
                p + ".action: a rule on the body can only deny (an allow decides on the head, before the body is read)");
        assertRejected(ROUTE.formatted("{rules: [{id: a, path: /x, action: allow, status: 403}]}"),
                p + ".status: an allow rule answers nothing: status is for deny");
        assertRejected(ROUTE.formatted("{rules: [{id: a, path: /x, action: block}]}"),
                p + ".action: expected deny or allow, got \"block\"");
        assertRejected(ROUTE.formatted("{rules: [{id: a, headers: {'Bad Name': x}}]}"),
                p + ".headers.Bad Name: not a field name: \"Bad Name\"");
        assertRejected(ROUTE.formatted("{rules: [{id: a, path: '~'}]}"),
                p + ".path: \"~\" needs a regular expression after it");
    }
}
