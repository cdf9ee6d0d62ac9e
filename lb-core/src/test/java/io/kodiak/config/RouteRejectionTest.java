package io.kodiak.config;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static io.kodiak.config.ConfigLoaderRejectionTest.ONE_POOL;
import static io.kodiak.config.ConfigLoaderRejectionTest.assertRejected;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The route matchers as read from a file: each form accepted, and each bad value refused with
 * {@code FILE:LINE: key.path: problem}.
 */
class RouteRejectionTest {
    /** A listener whose one route is the flow mapping {@code %s} (line 3 of the file). */
    private static final String ROUTE = "listeners:\n  - address: 127.0.0.1:0\n    routes: [{%s, pool: web}]\n" + ONE_POOL;

    private static RouteConfig route(String body) throws ConfigException {
        return ConfigLoader.parse(ROUTE.formatted(body), Path.of("kodiak.yaml")).listeners().get(0).routes().get(0);
    }

    private static void rejected(String body, String keyAndProblem) {
        assertRejected(ROUTE.formatted(body), "kodiak.yaml:3: listeners[0].routes[0]." + keyAndProblem);
    }

    @Test
    void hostsAreOneNameOrAListOfExactNamesAndWildcardsLowerCased() throws Exception {
        assertEquals(List.of("api.example.com"), route("host: API.example.com").hosts());
        assertEquals(List.of("a.example.com", "*.example.org"), route("host: [a.example.com, '*.Example.ORG']").hosts());
        assertEquals("a.example.com", route("host: a.example.com").host(), "the single-host accessor still works");
        assertNull(route("host: [a.example.com, b.example.com]").host());
        assertEquals(List.of("a.example.com", "*.example.org"), route("host: [a.example.com., '*.example.org.']").hosts(),
                "a fully qualified name is routed as the name without its trailing dot, as requests are");
        rejected("host: [a.example.com, a.example.com.]", "host[1]: \"a.example.com\" is listed twice");
        rejected("host: []", "host: must list at least one host name (leave host out to match any host)");
        rejected("host: [a.example.com, A.example.com]", "host[1]: \"a.example.com\" is listed twice");
        rejected("host: '*'", "host: \"*\" is not a host name: a wildcard is written *.example.com (leave host out to match any host)");
        rejected("host: 'www.*.com'", "host: \"www.*.com\" is not a host name: a wildcard is written *.example.com"
                + " (leave host out to match any host)");
        rejected("host: '*.example.com:80'", "host: \"*.example.com:80\" is not a valid wildcard host name (such as *.example.com)");
        rejected("host: [a.example.com:80]", "host[0]: \"a.example.com:80\" must not contain a port (routes match the Host field without its port)");
    }

    @Test
    void onePathMatcherPerRoute() throws Exception {
        RouteConfig exact = route("path: /health");
        assertEquals("/health", exact.path());
        assertNull(exact.pathPrefix());
        RouteConfig regex = route("path-regex: '^/(v[12])/(?<rest>.*)$'");
        assertEquals("^/(v[12])/(?<rest>.*)$", regex.pathRegex().text());
        assertEquals(Set.of("1", "2", "rest"), regex.regexGroups());
        assertNull(exact.regexGroups());
        assertTrue(route("path-prefix: /static/, prefix-over-regex: true").prefixOverRegex());
        rejected("path: /a, path-prefix: /b", "path-prefix: a route has one of path, path-prefix and path-regex; this one also has path");
        rejected("path-regex: '^/a', path: /b", "path: a route has one of path, path-prefix and path-regex; this one also has path-regex");
        rejected("path: /a/../b", "path: \"/a/../b\" would never match: requests are routed on their normalised path; write \"/b\"");
        rejected("path: a", "path: \"a\" must start with '/'");
        rejected("path-regex: '^/(a'", "path-regex: \"^/(a\" is not a valid regular expression: Unclosed group near index 4");
        rejected("path-regex: '*a'", "path-regex: \"*a\" is not a valid regular expression: Dangling meta character '*' near index 0");
        rejected("path-regex: '^/u/(?<host>[^/]+)'", "path-regex: \"^/u/(?<host>[^/]+)\" names a group \"host\", which"
                + " is the built-in variable $host: rename the group");
        rejected("path-regex: '^/(?<a>x)/(?<uri>.*)'", "path-regex: \"^/(?<a>x)/(?<uri>.*)\" names a group"
                + " \"uri\", which is the built-in variable $uri: rename the group");
        assertEquals(Set.of("1", "2", "hostname", "path"), route("path-regex: '^/(?<hostname>[a-z.]+)/(?<path>.*)'").regexGroups(),
                "names that only start like a variable are groups");
        rejected("path: /a, prefix-over-regex: true", "prefix-over-regex: applies to a path-prefix (nginx's ^~): this route has none");
        rejected("path-prefix: /a, prefix-over-regex: maybe", "prefix-over-regex: expected true or false, got \"maybe\"");
    }

    @Test
    void methodsAreKnownTokensInCapitals() throws Exception {
        assertEquals(List.of("GET", "HEAD"), route("methods: [HEAD, GET, GET]").conditions().methods());
        assertEquals(List.of("POST"), route("methods: POST").conditions().methods());
        rejected("methods: [GET, get]", "methods[1]: \"get\": methods are case-sensitive; write GET");
        rejected("methods: [FETCH]", "methods[0]: unknown method \"FETCH\" (known: CONNECT, COPY, DELETE, GET, HEAD, LOCK,"
                + " MKCOL, MOVE, OPTIONS, PATCH, POST, PROPFIND, PROPPATCH, PUT, REPORT, SEARCH, TRACE, UNLOCK)");
        rejected("methods: []", "methods: must list at least one method (leave methods out to match any)");
    }

    @Test
    void headersCookiesAndQueryTakeTrueFalseAValueOrARegex() throws Exception {
        RouteConditions c = route("headers: {X-Beta: true, X-Old: false, X-Tenant: acme, User-Agent: '~(?i)mobile'},"
                + " cookies: {session: true}, query: {'user id': '~^a'}").conditions();
        assertEquals(Set.of("x-beta", "x-old", "x-tenant", "user-agent"), c.headers().keySet(), "field names lower-cased");
        assertEquals(FieldCondition.Kind.PRESENT, c.headers().get("x-beta").kind());
        assertEquals(FieldCondition.Kind.ABSENT, c.headers().get("x-old").kind());
        assertEquals(FieldCondition.Kind.EXACT, c.headers().get("x-tenant").kind());
        assertEquals(FieldCondition.Kind.REGEX, c.headers().get("user-agent").kind());
        assertEquals(Map.of("session", FieldCondition.parse("true")), c.cookies());
        assertEquals(Set.of("user id"), c.query().keySet());
        assertEquals(6, c.count());
        rejected("headers: {X-A: '~(x'}", "headers.X-A: \"(x\" is not a valid regular expression: Unclosed group near index 2");
        rejected("headers: {X-A: '~'}", "headers.X-A: \"~\" needs a regular expression after it (true matches any value)");
        rejected("headers: {'X A': true}", "headers.X A: \"X A\" is not a field name (a token: letters, digits, !#$%&'*+-.^_`|~)");
        rejected("headers: {X-A: true, x-a: false}", "headers.x-a: \"x-a\" is given twice (field names are case-insensitive)");
        rejected("headers: {}", "headers: must name at least one field name");
        rejected("headers: [X-A]", "headers: expected a mapping, got a list");
        rejected("headers: {X-A: }", "headers.X-A: has no value (expected true, false, a value or ~regex)");
        rejected("cookies: {'a;b': true}", "cookies.a;b: \"a;b\" is not a cookie name (a token: letters, digits, !#$%&'*+-.^_`|~)");
        rejected("query: {'': true}", "query.: an empty parameter name never matches");
        rejected("query: {q: '~[a'}", "query.q: \"[a\" is not a valid regular expression: Unclosed character class near index 1");
    }

    @Test
    void sourceIsAListOfAddressesAndRanges() throws Exception {
        List<Cidr> s = route("source: [10.0.0.0/8, 192.168.1.7, '::1/128', 'fd00::/8']").conditions().sources();
        assertEquals("[10.0.0.0/8, 192.168.1.7/32, 0:0:0:0:0:0:0:1/128, fd00:0:0:0:0:0:0:0/8]", s.toString());
        assertTrue(s.get(0).contains(new byte[] {10, 1, 2, 3}));
        assertTrue(s.get(0).contains(new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1, -1, 10, 9, 9, 9}), "IPv4-mapped");
        assertTrue(!s.get(0).contains(new byte[] {11, 0, 0, 1}));
        rejected("source: [10.0.0.1/8]", "source[0]: \"10.0.0.1/8\" has bits set after its /8 prefix: write 10.0.0.0/8");
        rejected("source: [10.0.0.0/33]", "source[0]: \"10.0.0.0/33\" has a bad prefix length (0-32)");
        rejected("source: ['::/129']", "source[0]: \"::/129\" has a bad prefix length (0-128)");
        rejected("source: [10.0.0/8]", "source[0]: \"10.0.0/8\" is not an address or range (such as 10.0.0.0/8, 192.168.1.7, ::1/128)");
        rejected("source: [example.com]", "source[0]: \"example.com\" is not an address or range (such as 10.0.0.0/8, 192.168.1.7, ::1/128)");
        rejected("source: ['fe80::1%eth0']", "source[0]: \"fe80::1%eth0\" is not an IPv6 address or range");
        rejected("source: ['::ffff:10.0.0.1']", "source[0]: \"::ffff:10.0.0.1\" is an IPv4-mapped address: write it as IPv4");
        rejected("source: []", "source: must list at least one address or range (leave source out to match any client)");
    }

    @Test
    void identicalMatchersAreAnErrorWhateverTheOrderOfHostsAndMethods() {
        assertRejected("""
                listeners:
                  - address: 127.0.0.1:0
                    routes:
                      - {host: [a.example, b.example], path-regex: '^/x', methods: [GET, HEAD], pool: web}
                      - {host: [b.example, a.example], path-regex: '^/x', methods: [HEAD, GET], pool: web}
                """ + ONE_POOL, "kodiak.yaml:5: listeners[0].routes[1]: same host, sni, path and conditions as"
                + " listeners[0].routes[0] (line 4), so it could never match");
    }

    @Test
    void regexGroupsAreNumberedAndNamedForTemplates() {
        assertEquals(Set.of("1", "2", "rest"), PathRegex.groups("^/(v[12])/(?<rest>.*)$"));
        assertEquals(Set.of(), PathRegex.groups("^/static/"));
        assertEquals(Set.of("1"), PathRegex.groups("^/a\\(?<notagroup>b\\)[(?<x>](.)"), "escapes and classes are not groups");
        assertThrows(IllegalArgumentException.class, () -> PathRegex.groups("("));
    }
}
