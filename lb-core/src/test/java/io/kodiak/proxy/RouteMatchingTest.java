package io.kodiak.proxy;

import io.kodiak.config.ConfigLoader;
import io.kodiak.filter.Filters;
import io.kodiak.filter.LogFilter;
import io.kodiak.filter.RequestFilter;
import io.kodiak.filter.ResponseFilter;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.RawResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each route matcher over a real socket: host (exact, list, wildcard), path (exact, prefix,
 * regex), methods, headers, cookies, query parameters and client address; and a route's
 * regex groups reaching its filters. Each matcher has its own path prefix so the cases do not
 * interfere; {@link RoutePrecedenceTest} has the precedence between them.
 */
@Timeout(60)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RouteMatchingTest {
    private RouteHarness k;

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        k = new RouteHarness(dir, "127.0.0.1:0", """
                      - {host: [api.example.com, API2.example.com], path-prefix: /h/, pool: hostlist}
                      - {host: '*.example.com', path-prefix: /h/, pool: wild}
                      - {host: '*.deep.example.com', path-prefix: /h/, pool: deepwild}
                      - {path-prefix: /h/, pool: nohost}
                      - {path: /p/exact, pool: exact}
                      - {path-regex: '(?i)^/p/re/(\\w+)\\.css$', pool: regex}
                      - {path-prefix: /p/, pool: prefix}
                      - {path-prefix: /m/, methods: [GET, HEAD], pool: getonly}
                      - {path-prefix: /hp/, headers: {X-Beta: true}, pool: present}
                      - {path-prefix: /ha/, headers: {X-Beta: false}, pool: absent}
                      - {path-prefix: /hv/, headers: {x-tenant: acme}, pool: value}
                      - {path-prefix: /hr/, headers: {User-Agent: '~(?i)mobile'}, pool: regex}
                      - {path-prefix: /c/, cookies: {session: true, theme: dark, old: false}, pool: cookies}
                      - {path-prefix: /q/, query: {'user id': '~^a b', debug: true, off: false}, pool: query}
                      - {path-prefix: /s4/, source: [127.0.0.0/8], pool: src}
                      - {path-prefix: /s6/, source: ['::1/128', 10.0.0.0/8], pool: src}
                      - {path-prefix: /only/, pool: only}
                      - {host: fqdn.example.net., path-prefix: /h/, pool: hostlist}
                """, "hostlist", "wild", "deepwild", "nohost", "exact", "regex", "prefix", "getonly", "present", "absent",
                "value", "cookies", "query", "src", "only");
    }

    @AfterAll
    void stop() {
        if (k != null) {
            k.close();
        }
    }

    @ParameterizedTest(name = "Host: {0} -> {1}")
    @CsvSource({
        "api.example.com,          hostlist",
        "API2.Example.COM:8080,    hostlist",
        "a.example.com,            wild",
        "a.b.example.com,          wild",
        "x.deep.example.com,       deepwild",
        "example.com,              nohost",
        "api.example.com.evil.net, nohost",
        "localhost,                nohost",
        "api.example.com.,         hostlist",
        "API2.example.com.:8080,   hostlist",
        "a.example.com.,           wild",
        "x.deep.example.com.,      deepwild",
        "fqdn.example.net,         hostlist",
        "fqdn.example.net.,        hostlist",
        "api.example.com..,        400",
        "api..example.com,         400",
        ".api.example.com,         400",
    })
    void hostsMatchExactlyOrByWildcardSuffixCaseInsensitiveWithoutPortAndTrailingDot(String host, String pool) throws Exception {
        assertEquals(pool, k.get(host, "/h/x"));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
        "/p/exact,            exact",
        "/p/exact/,           prefix",
        "/p/exact?x=1,        exact",
        "/p/./exact,          exact",
        "/p/re/site.css,      regex",
        "/P/RE/SITE.CSS,      regex",
        "/p/RE/Site.CSS,      regex",
        "/p/re/a/b.css,       prefix",
        "/p/re/site.css.map,  prefix",
        "/nothing,            404",
    })
    void pathsMatchExactlyByPrefixOrByRegex(String target, String pool) throws Exception {
        assertEquals(pool, k.get("x", target));
    }

    @Test
    void methods() throws Exception {
        assertEquals("getonly", k.pool("GET /m/ HTTP/1.1\r\nHost: x"));
        assertEquals("getonly", k.pool("HEAD /m/ HTTP/1.1\r\nHost: x"));
        assertEquals("404", k.pool("POST /m/ HTTP/1.1\r\nHost: x\r\nContent-Length: 0"));
        assertEquals("404", k.pool("DELETE /m/ HTTP/1.1\r\nHost: x"));
    }

    @Test
    void headersByPresenceAbsenceValueAndRegexAnyOfSeveralFields() throws Exception {
        assertEquals("present", k.get("x", "/hp/", "x-beta: 1"));
        assertEquals("present", k.get("x", "/hp/", "X-BETA:"), "an empty value is still present");
        assertEquals("404", k.get("x", "/hp/"));
        assertEquals("absent", k.get("x", "/ha/"));
        assertEquals("404", k.get("x", "/ha/", "X-Beta: no"));
        assertEquals("value", k.get("x", "/hv/", "X-Tenant: other", "X-Tenant: acme"), "any of several fields");
        assertEquals("404", k.get("x", "/hv/", "X-Tenant: ACME"), "values are case-sensitive");
        assertEquals("404", k.get("x", "/hv/", "X-Tenant: acme, other"), "a field's whole value");
        assertEquals("regex", k.get("x", "/hr/", "User-Agent: Foo/1.0 (Linux; Mobile)"));
        assertEquals("404", k.get("x", "/hr/", "User-Agent: curl/8"));
    }

    @Test
    void cookiesFromEveryCookieField() throws Exception {
        assertEquals("cookies", k.get("x", "/c/", "Cookie: session=abc; theme=dark"));
        assertEquals("cookies", k.get("x", "/c/", "Cookie: a=1;session=", "Cookie: theme = dark "), "two fields, spaces");
        assertEquals("404", k.get("x", "/c/", "Cookie: session=abc; theme=darker"));
        assertEquals("404", k.get("x", "/c/", "Cookie: theme=dark"), "session is missing");
        assertEquals("404", k.get("x", "/c/", "Cookie: session=1; theme=dark; old=1"), "old must be absent");
        assertEquals("404", k.get("x", "/c/", "X-Cookie: session=1; theme=dark"));
        assertEquals("404", k.get("x", "/c/", "Cookie: Session=1; theme=dark"), "cookie names are case-sensitive");
    }

    @Test
    void queryParametersAreFormDecoded() throws Exception {
        assertEquals("query", k.get("x", "/q/?user+id=a+b+c&debug"));
        assertEquals("query", k.get("x", "/q/?debug=0&user%20id=a%20b"));
        assertEquals("query", k.get("x", "/q/?user%20id=zz&user%20id=a%20bc&debug="), "any of several values");
        assertEquals("404", k.get("x", "/q/?user+id=b+a&debug"));
        assertEquals("404", k.get("x", "/q/?user+id=a+b"), "debug is missing");
        assertEquals("404", k.get("x", "/q/?user+id=a+b&debug&off=1"), "off must be absent");
        assertEquals("404", k.get("x", "/q/"));
        assertEquals("query", k.get("x", "/q/?user+id=a+b%zz&debug"), "a malformed escape stays as written");
    }

    @Test
    void sourceMatchesTheClientAddress() throws Exception {
        assertEquals("src", k.get("x", "/s4/"), "127.0.0.1 is in 127.0.0.0/8");
        assertEquals("404", k.get("x", "/s6/"), "127.0.0.1 is neither ::1 nor in 10.0.0.0/8");
    }

    @Test
    void sourceMatchesAnIpv6Client(@TempDir Path dir) throws Exception {
        try (java.net.ServerSocket probe = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("::1"))) {
            org.junit.jupiter.api.Assumptions.assumeTrue(probe.isBound());
        } catch (IOException e) {
            org.junit.jupiter.api.Assumptions.abort("no IPv6 loopback here: " + e);
        }
        try (RouteHarness six = new RouteHarness(dir, "[::1]:0", """
                      - {source: ['::1/128'], pool: loopback}
                      - {source: [127.0.0.0/8, 'fd00::/8'], pool: other}
                """, "loopback", "other");
             RawClient c = RawClient.connect(six.address(), RawClient.DEFAULT_READ_TIMEOUT)) {
            assertEquals("loopback", RouteHarness.pool(c, "GET / HTTP/1.1\r\nHost: x"));
        }
    }

    @Test
    void aRegexRoutesGroupsReachItsFilters() throws Exception {
        // The route filter answers with what RequestContext.pathMatch() found.
        RequestFilter echo = ctx -> {
            Matcher m = ctx.pathMatch();
            ctx.respond(200, "text/plain", (m == null ? "none" : m.group(1) + " at " + m.start(1))
                    .getBytes(StandardCharsets.UTF_8), null);
            return RequestFilter.Verdict.RESPONDED;
        };
        Filters f = new Filters(new RequestFilter[] {echo}, new ResponseFilter[0], new LogFilter[0]);
        k.server.routeFilters("web", 5, f);
        k.server.routeFilters("web", 6, f);
        try (RawClient c = RawClient.connect(k.address(), RawClient.DEFAULT_READ_TIMEOUT)) {
            RawResponse r = c.get("/p/re/Site%2Ecss?x");
            assertEquals("Site at 6", r.bodyString(), "groups of the normalised path");
            assertEquals("none", c.get("/p/other").bodyString(), "a route without a regex has no match");
        } finally {
            k.server.routeFilters("web", 5, Filters.NONE);
            k.server.routeFilters("web", 6, Filters.NONE);
        }
    }

    /**
     * java.util.regex recurses once per repetition of a group, so {@code ([a-z]|-)*} overflows the
     * stack on a few KB of path or header value. Each place a route's expression runs on request
     * data answers 400: neither a dropped connection nor "no match", which would send the request
     * past the deny route to the catch-all.
     */
    @Test
    void aRegexThatOverflowsTheStackOnALongValueAnswers400(@TempDir Path dir) throws Exception {
        try (RouteHarness deep = new RouteHarness(dir, "127.0.0.1:0", """
                      - {path-prefix: /h/, headers: {X-Token: '~^([a-z0-9]|-)*$'}, respond: {status: 403}}
                      - {path-prefix: /c/, cookies: {token: '~^([a-z0-9]|-)*$'}, respond: {status: 403}}
                      - {path-prefix: /q/, query: {token: '~^([a-z0-9]|-)*$'}, respond: {status: 403}}
                      - {path-regex: '^/p/([a-z]|-)*$', respond: {status: 403}}
                      - {pool: app}
                """, "app")) {
            String longValue = "a".repeat(30_000); // within the 32 KB head limit
            assertEquals("403", deep.get("x", "/h/", "X-Token: short-one"), "a short value still matches");
            assertEquals("400", deep.get("x", "/h/", "X-Token: " + longValue));
            assertEquals("400", deep.get("x", "/c/", "Cookie: token=" + longValue));
            assertEquals("403", deep.get("x", "/p/short-one"));
            assertEquals("400", deep.get("x", "/p/" + "b".repeat(8_000)));
            assertEquals("400", deep.get("x", "/q/?token=" + "c".repeat(8_000)), "within the 8190-byte request line");
            assertEquals("app", deep.get("x", "/h/", "X-Token: " + longValue.replace('a', '!')), "no match: the pool");
            assertEquals("app", deep.get("x", "/"), "the server still answers");
        }
    }

    /** The 400 is logged like any rejected request: one access-log line, with its status. */
    @Test
    void aRegexThatOverflowsTheStackIsInTheAccessLog(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("access.json");
        Path file = dir.resolve("kodiak.yaml");
        Files.writeString(file, "admin: {listen: off, state-file: off}\nmetrics: off\n"
                + "listeners:\n  - name: web\n    address: 127.0.0.1:0\n"
                + "    access-log: {target: " + log + ", format: json}\n"
                + "    routes:\n      - {path-regex: '^/p/([a-z]|-)*$', respond: 403}\n      - {respond: 200}\n");
        ProxyServer server = ProxyServer.start(ConfigLoader.load(file));
        try {
            try (RawClient c = RawClient.connect(server.boundAddress("web"), RawClient.DEFAULT_READ_TIMEOUT)) {
                assertEquals(400, c.get("/p/" + "b".repeat(8_000)).status());
            }
            try (RawClient c = RawClient.connect(server.boundAddress("web"), RawClient.DEFAULT_READ_TIMEOUT)) {
                assertEquals(200, c.get("/").status());
            }
            Conditions.await("two lines", () -> lines(log).size() == 2, Duration.ofSeconds(10));
            // Either line may come first: the rejected one is written when its connection closes.
            assertTrue(lines(log).stream().anyMatch(l -> l.contains("\"status\":400") && l.contains("\"request_uri\":\"/p/bbb")),
                    lines(log).toString());
        } finally {
            server.close();
        }
    }

    private static List<String> lines(Path p) {
        try {
            return Files.exists(p) ? Files.readAllLines(p) : List.of();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
