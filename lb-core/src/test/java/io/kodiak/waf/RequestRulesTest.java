package io.kodiak.waf;

import io.kodiak.config.BundledRule;
import io.kodiak.config.RequestRulesConfig;
import io.kodiak.config.RequestRulesConfig.Rule;
import io.kodiak.config.RuleMatch;
import io.kodiak.filter.RequestFilter.Verdict;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each bundled rule on the attacks it exists for and on the legitimate requests nearest to them
 * (the false positives it must not have), own rules on each part of a request, and what matching
 * costs: a bounded time for an expression that would backtrack for ever in java.util.regex, and
 * no allocation on a normal request with the bundled set.
 */
class RequestRulesTest {
    private static RequestRulesConfig config(Set<BundledRule> bundled, List<Rule> rules) {
        return new RequestRulesConfig(bundled, 403, RequestRulesConfig.DEFAULT_METHODS, 4096, 50, 8192, 65536, false, rules);
    }

    private static final RequestRules ALL = new RequestRules(config(EnumSet.allOf(BundledRule.class), List.of()));

    private static int status(RequestRules rules, String method, String target, String... fields) throws Exception {
        RuleContext c = RuleContext.request(method, target, fields);
        Verdict v = rules.onRequest(c);
        assertEquals(c.status == 0 ? Verdict.CONTINUE : Verdict.RESPONDED, v);
        return c.status;
    }

    private static void denied(String method, String target, String... fields) throws Exception {
        assertEquals(403, status(ALL, method, target, fields), method + " " + target);
    }

    private static void passed(String method, String target, String... fields) throws Exception {
        assertEquals(0, status(ALL, method, target, fields), method + " " + target);
    }

    @Test
    void pathTraversalRawAndEncoded() throws Exception {
        for (String t : List.of("/static/../app.py", "/a/%2e%2e/etc/passwd", "/a/%2E%2e/b", "/a/.%2e/b", "/v1/..%2fadmin",
                "/v1/..%2Fadmin", "/a/..%5cwin.ini", "/a/..\\..\\win.ini", "/a/%252e%252e/b", "/a/%c0%ae%c0%ae/b",
                "/a/..%c0%afetc", "/a/%e0%80%ae%e0%80%ae/x", "/x?f=%u002e%u002e/etc", "/a/..;/admin",
                "/dl?file=../../etc/passwd", "/dl?f=..%2f..%2fetc", "/a/..", "/x%00.png", "/x?name=a%00b",
                "/a/%252e%252e%252fetc")) {
            denied("GET", t);
        }
    }

    @Test
    void pathTraversalThroughEveryLayerOfEncoding() throws Exception {
        // The hex digits encoded (%25%32%65 = %2e), triple and deeper encodings: each decoded layer is read again.
        for (String t : List.of("/a/%25%32%65%25%32%65/b", "/a/%25%32%45%25%32%45%25%32%46etc", "/a/%25252e%25252e/b",
                "/x?f=%25252e%25252e%25252fetc", "/a/%2525252e%2525252e/b", "/a/%25%32%35%32%65%25%32%35%32%65/b",
                "/a/%25c0%25ae%25c0%25ae/b", "/x%2500.png", "/x%252500.png")) {
            denied("GET", t);
        }
        for (String t : List.of("/a/%25%32%65x/b", "/a/%25252ex/b", "/files/100%25", "/?q=50%25+off", "/a/%25%25/b")) {
            passed("GET", t);
        }
    }

    @Test
    void pathTraversalLeavesDotsThatAreNotASegment() throws Exception {
        for (String t : List.of("/", "/static/app..js", "/a/.../b", "/files/v1...v2", "/dl?range=1..2", "/a/.hidden/b",
                "/a./b", "/%2e/b", "/?q=..x", "/api/items?sort=-date&dir=asc", "/%7Euser/")) {
            passed("GET", t);
        }
    }

    @Test
    void scannerPathsByWholeSegmentIgnoringCase() throws Exception {
        for (String t : List.of("/.env", "/.ENV", "/.env.production", "/api/.env", "/.git/config", "/.git/", "/wp-admin",
                "/wp-admin/setup-config.php", "/blog/wp-login.php", "/xmlrpc.php", "/phpMyAdmin/", "/.aws/credentials",
                "/server-status", "/cgi-bin/test.cgi", "/.DS_Store", "/%2eenv", "/.htpasswd",
                // an encoded separator ends a segment: Gunicorn's PATH_INFO holds it decoded
                "/.git%2Fconfig", "/.git%2fconfig", "/static%2F.env", "/static%2f.env.local", "/a%5C.git%5Cconfig",
                "/static%5c.env", "/static\\.env", "/x%2Fwp-admin%2Fsetup.php")) {
            denied("GET", t);
        }
        for (String t : List.of("/static/app.env.js", "/api/wp-admin-docs", "/environment", "/env", "/git/config",
                "/.well-known/acme-challenge/x", "/docs/server-status-page", "/blog/xmlrpc", "/envelope/.envy",
                "/static%2Fapp.env.js", "/a%2F.envy", "/a%2F", "/%2F")) {
            passed("GET", t);
        }
    }

    @Test
    void cookiesOverTheLimitsOrWithATab() throws Exception {
        passed("GET", "/", "Cookie: session=abc; theme=dark", "Cookie: csrftoken=x");
        denied("GET", "/", "Cookie: a=" + "x".repeat(4100));
        denied("GET", "/", "Cookie: a=" + "x".repeat(2100), "Cookie: b=" + "y".repeat(2100));
        StringBuilder many = new StringBuilder("Cookie: ");
        for (int i = 0; i < 51; i++) {
            many.append("c").append(i).append("=1; ");
        }
        denied("GET", "/", many.toString());
        passed("GET", "/", many.toString().replace("c50=1; ", ""));
        denied("GET", "/", "Cookie: a=b\tc");
    }

    @Test
    void methodsOutsideTheAllowedList() throws Exception {
        for (String m : List.of("TRACE", "TRACK", "DEBUG", "PROPFIND")) {
            denied(m, "/");
        }
        for (String m : RequestRulesConfig.DEFAULT_METHODS) {
            passed(m, "/");
        }
        RequestRules webdav = new RequestRules(new RequestRulesConfig(EnumSet.of(BundledRule.UNUSUAL_METHODS), 405,
                List.of("GET", "PROPFIND"), 4096, 50, 8192, 65536, false, List.of()));
        assertEquals(0, status(webdav, "PROPFIND", "/dav/"));
        assertEquals(405, status(webdav, "POST", "/dav/"));
    }

    @Test
    void probesInTheDecodedQueryOnlyWhenNamed() throws Exception {
        for (String q : List.of("?id=1+UNION+SELECT+password+FROM+users", "?id=1%20union%20all%20select%201",
                "?u=admin'%20or%201=1--", "?u=x'+OR+'a'='a", "?id=1;sleep(5)", "?q=%3Cscript%3Ealert(1)%3C/script%3E",
                "?next=javascript:alert(1)", "?q=%3Cimg%20src=x%20onerror=alert(1)%3E")) {
            denied("GET", "/search" + q);
        }
        for (String q : List.of("?q=selection+of+unions", "?q=O'Reilly+books", "?q=sleep+well", "?next=/account",
                "?q=script+writing", "?q=1%3D1")) {
            passed("GET", "/search" + q);
        }
        // A malformed escape anywhere does not leave the rest undecoded: each valid one is decoded, as Python does.
        for (String q : List.of("?q=%3Cscript%3Ealert(1)&x=%", "?q=%3Cscript%3Ealert(1)&x=%zz", "?x=%&q=%3Cscript%3E",
                "?q=%3Cscript%3Ealert(1)&x=%4", "?q=caf%E9&id=1%20union%20select%201")) {
            denied("GET", "/search" + q);
        }
        for (String q : List.of("?q=100%", "?q=caf%C3%A9+%", "?d=50%25+off&x=%zz")) {
            passed("GET", "/search" + q);
        }
        RequestRules defaults = new RequestRules(config(EnumSet.complementOf(EnumSet.of(BundledRule.SQL_XSS_PROBES)), List.of()));
        assertEquals(0, status(defaults, "GET", "/search?id=1+UNION+SELECT+1"), "opt-in: off unless named");
    }

    @Test
    void ownRulesOnMethodPathQueryAndHeadersInOrderWithAllow() throws Exception {
        List<Rule> rules = List.of(
                new Rule("allow-probe", List.of(), RuleMatch.parse("/.env-check", true, false), null, Map.of(), null, true, 403),
                new Rule("block-legacy", List.of(), RuleMatch.parse("~^/old/", true, false), null, Map.of(), null, false, 410),
                new Rule("sqlmap", List.of(), null, null, Map.of("user-agent", RuleMatch.parse("~*sqlmap", false, true)), null, false, 403),
                new Rule("no-ua", List.of("POST"), null, null, Map.of("user-agent", RuleMatch.parse("false", false, true)), null, false, 400),
                new Rule("debug-param", List.of(), null, RuleMatch.parse("debug=1", false, false), Map.of(), null, false, 404));
        RequestRules r = new RequestRules(config(EnumSet.of(BundledRule.SCANNER_PATHS), rules));
        assertEquals(410, status(r, "GET", "/old/page"));
        assertEquals(0, status(r, "GET", "/new/old/page"), "a regex anchored at the start");
        assertEquals(403, status(r, "GET", "/", "User-Agent: SQLMap/1.7"));
        assertEquals(0, status(r, "GET", "/", "User-Agent: curl/8"));
        assertEquals(400, status(r, "POST", "/form"));
        assertEquals(0, status(r, "GET", "/form"), "methods: only POST");
        assertEquals(404, status(r, "GET", "/x?a=2&debug=1"));
        assertEquals(404, status(r, "GET", "/x?a=2&debug%3D1"), "the query is decoded");
        assertEquals(404, status(r, "GET", "/x?a=%&debug%3D1"), "around a malformed escape too");
        assertEquals(404, status(r, "GET", "/x?debug%3D1&a=%g"), "around a malformed escape too");
        assertEquals(403, status(r, "GET", "/.env"), "bundled after own");
        assertEquals(0, status(r, "GET", "/.env-check/.env"), "an allow passes every rule after it");
    }

    @Test
    void bodyRulesWaitForTheBodyAndOnlyWithinTheLimit() throws Exception {
        Rule body = new Rule("no-pickle", List.of("POST"), RuleMatch.parse("/api/", true, false), null, Map.of(),
                RuleMatch.parse("~cos\\nsystem", false, false), false, 422);
        RequestRules r = new RequestRules(new RequestRulesConfig(Set.of(), 403, RequestRulesConfig.DEFAULT_METHODS,
                4096, 50, 8192, 64, false, List.of(body)));
        RuleContext noBody = RuleContext.request("POST", "/api/x", "Content-Length: 0");
        assertEquals(Verdict.CONTINUE, r.onRequest(noBody));
        assertNull(noBody.inspector, "no body: nothing to inspect");
        RuleContext other = RuleContext.request("POST", "/web/x", "Content-Length: 10");
        r.onRequest(other);
        assertNull(other.inspector, "the head conditions do not hold");
        RuleContext c = RuleContext.request("POST", "/api/x", "Content-Length: 20");
        assertEquals(Verdict.CONTINUE, r.onRequest(c));
        assertNotNull(c.inspector);
        byte[] evil = "c__builtin__\ncos\nsystem\n".getBytes(StandardCharsets.ISO_8859_1);
        assertEquals(422, c.inspector.inspect(evil, evil.length, evil.length));
        assertEquals(0, c.inspector.inspect(new byte[] {'{', '}'}, 2, 2));
        assertEquals(0, c.inspector.inspect(evil, evil.length, 1000), "over body-limit: passed uninspected");
        assertEquals(Long.MAX_VALUE, c.inspector.maxBody());
    }

    @Test
    void aListenersAndARoutesBodyRulesBothRunEachWithinItsOwnLimit() throws Exception {
        RequestRules listener = new RequestRules(new RequestRulesConfig(Set.of(), 403, RequestRulesConfig.DEFAULT_METHODS,
                4096, 50, 8192, 16, true, List.of(new Rule("l", List.of(), null, null, Map.of(),
                        RuleMatch.parse("evil", false, false), false, 451))));
        RequestRules route = new RequestRules(new RequestRulesConfig(Set.of(), 403, RequestRulesConfig.DEFAULT_METHODS,
                4096, 50, 8192, 64, false, List.of(new Rule("r", List.of(), null, null, Map.of(),
                        RuleMatch.parse("~bad$", false, false), false, 422))));
        RuleContext c = RuleContext.request("POST", "/x", "Content-Length: 40");
        listener.onRequest(c);
        route.onRequest(c);
        assertEquals(64, c.inspector.limit(), "the larger of the two is kept");
        assertEquals(16, c.inspector.maxBody(), "the listener refuses a body over its limit");
        byte[] evil = "evil".getBytes(StandardCharsets.US_ASCII);
        assertEquals(451, c.inspector.inspect(evil, 4, 4));
        byte[] bad = "0123456789abcdef0123bad".getBytes(StandardCharsets.US_ASCII);
        assertEquals(422, c.inspector.inspect(bad, bad.length, bad.length), "the route's, past the listener's limit");
    }

    @Test
    void aCatastrophicExpressionCompletesOnALongValue() throws Exception {
        // java.util.regex takes exponential time on (a+)+$ against "aaaa...!": RE2 is linear.
        Rule evil = new Rule("evil", List.of(), null, RuleMatch.parse("~(a+)+$", false, false), Map.of(), null, false, 403);
        Rule evilHeader = new Rule("evil-h", List.of(), null, null, Map.of("x-a", RuleMatch.parse("~(a|aa)+$", false, true)),
                null, false, 403);
        RequestRules r = new RequestRules(config(Set.of(), List.of(evil, evilHeader)));
        String as = "a".repeat(5000) + "!";
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            assertEquals(0, status(r, "GET", "/?q=" + as, "X-A: " + as));
        });
        assertEquals(403, status(r, "GET", "/?q=" + "a".repeat(5000)));
    }

    @Test
    void inspectLimitBoundsWhatEachValueIsReadFor() throws Exception {
        Rule deep = new Rule("deep", List.of(), null, null, Map.of("x-a", RuleMatch.parse("attack", false, true)), null, false, 403);
        RequestRules r = new RequestRules(new RequestRulesConfig(Set.of(), 403, RequestRulesConfig.DEFAULT_METHODS,
                4096, 50, 1024, 65536, false, List.of(deep)));
        assertEquals(403, status(r, "GET", "/", "X-A: " + "x".repeat(1000) + "attack"));
        assertEquals(0, status(r, "GET", "/", "X-A: " + "x".repeat(1020) + "attack"), "past inspect-limit: not read");
        Rule query = new Rule("query", List.of(), null, RuleMatch.parse("attack", false, false), Map.of(), null, false, 403);
        RequestRules q = new RequestRules(new RequestRulesConfig(Set.of(), 403, RequestRulesConfig.DEFAULT_METHODS,
                4096, 50, 1024, 65536, false, List.of(query)));
        assertEquals(403, status(q, "GET", "/?" + "%78".repeat(1000) + "attack&y=%"), "3000 bytes sent, 1006 decoded");
        assertEquals(0, status(q, "GET", "/?" + "%78".repeat(1020) + "attack"), "past inspect-limit once decoded: not read");
    }

    @Test
    void aNormalRequestAllocatesNothingWithTheBundledSet() throws Exception {
        RequestRules defaults = new RequestRules(config(EnumSet.complementOf(EnumSet.of(BundledRule.SQL_XSS_PROBES)), List.of()));
        RuleContext c = RuleContext.request("GET", "/api/v1/items/42?sort=name&page=2",
                "User-Agent: Mozilla/5.0", "Accept: application/json", "Cookie: session=abc123; theme=dark; csrftoken=xyz");
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        for (int i = 0; i < 20_000; i++) { // warm up: compiled code, escape analysis
            defaults.onRequest(c);
        }
        int n = 10_000;
        long before = mx.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < n; i++) {
            defaults.onRequest(c);
        }
        long perRequest = (mx.getCurrentThreadAllocatedBytes() - before) / n;
        assertEquals(0, c.status);
        assertTrue(perRequest < 16, perRequest + " bytes allocated per request");
    }

    @Test
    void describedAndOptInAsDocumented() {
        for (BundledRule r : BundledRule.values()) {
            assertFalse(r.description().isBlank());
            assertEquals(r, BundledRule.byId(r.id()));
        }
        assertTrue(BundledRule.SQL_XSS_PROBES.optIn());
    }
}
