package io.kodiak.auth;

import io.kodiak.http.HeadParser;
import io.kodiak.config.ForwardAuthConfig.Cache.Scope;
import io.kodiak.http.HeaderFields;
import io.kodiak.http.RequestHead;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The forward-auth cache on a fake clock: an answer is used within its TTL and not after, the
 * least recently used goes first at max-entries, denials are kept only when asked, an answer too
 * large is not kept, and keys tell credentials apart (which field, which value, repeated fields).
 */
class ForwardAuthCacheTest {
    private final AtomicLong now = new AtomicLong(1_000);
    private static final List<String> NAMES = List.of("Authorization", "Cookie");

    private static RequestHead request(String... lines) throws Exception {
        return head("GET", "a", "/", lines);
    }

    private static RequestHead head(String method, String host, String target, String... lines) throws Exception {
        String head = method + " " + target + " HTTP/1.1\r\nHost: " + host + "\r\n"
                + String.join("", java.util.Arrays.stream(lines).map(l -> l + "\r\n").toList()) + "\r\n";
        return HeadParser.parseRequest(head.getBytes(StandardCharsets.ISO_8859_1), 100, false);
    }

    private static ForwardAuthCache.Key key(RequestHead h) {
        return key(h, Scope.REQUEST, "127.0.0.1");
    }

    private static ForwardAuthCache.Key key(RequestHead h, Scope scope, String client) {
        return ForwardAuthCache.key(h, NAMES, scope, "http", client);
    }

    private static HeaderFields response(String... lines) throws Exception {
        String head = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n" + String.join("", java.util.Arrays.stream(lines).map(l -> l + "\r\n").toList()) + "\r\n";
        return HeadParser.parseResponse(head.getBytes(StandardCharsets.ISO_8859_1), false).fields();
    }

    private static ForwardAuthDecision allow(String user) throws Exception {
        return ForwardAuthDecision.of(ForwardAuthReply.answered(200, response("X-User: " + user), null), List.of("X-User"), "test");
    }

    private ForwardAuthCache cache(int max, boolean denials) {
        return new ForwardAuthCache(TimeUnit.SECONDS.toNanos(30), max, denials, now::get);
    }

    @Test
    void anAnswerIsUsedWithinItsTtlAndNotAfter() throws Exception {
        ForwardAuthCache c = cache(10, false);
        ForwardAuthCache.Key k = key(request("Authorization: Bearer a"));
        ForwardAuthDecision d = allow("alice");
        c.put(k, d);
        now.addAndGet(TimeUnit.SECONDS.toNanos(29));
        assertSame(d, c.get(k));
        now.addAndGet(TimeUnit.SECONDS.toNanos(1));
        assertNull(c.get(k));
        assertEquals(0, c.size()); // dropped when found expired
    }

    @Test
    void theLeastRecentlyUsedGoesFirstAtMaxEntries() throws Exception {
        ForwardAuthCache c = cache(2, false);
        ForwardAuthCache.Key a = key(request("Authorization: a"));
        ForwardAuthCache.Key b = key(request("Authorization: b"));
        ForwardAuthCache.Key x = key(request("Authorization: x"));
        c.put(a, allow("a"));
        c.put(b, allow("b"));
        c.get(a); // a is now the most recently used
        c.put(x, allow("x"));
        assertEquals(2, c.size());
        assertNull(c.get(b));
        assertTrue(c.get(a) != null && c.get(x) != null);
        for (int i = 0; i < 10_000; i++) { // an attacker's endless tokens only churn it
            c.put(key(request("Authorization: t" + i)), allow("t"));
        }
        assertEquals(2, c.size());
    }

    @Test
    void denialsAreKeptOnlyWhenAskedAndErrorsNever() throws Exception {
        ForwardAuthDecision denial = ForwardAuthDecision.of(ForwardAuthReply.answered(401,
                response("WWW-Authenticate: Bearer"), "no\n".getBytes(StandardCharsets.UTF_8)), List.of(), "test");
        ForwardAuthDecision redirect = ForwardAuthDecision.of(ForwardAuthReply.answered(302,
                response("Location: /login"), null), List.of(), "test");
        ForwardAuthDecision error = ForwardAuthDecision.of(ForwardAuthReply.error("down"), List.of(), "test");
        ForwardAuthCache.Key k = key(request("Authorization: d"));
        ForwardAuthCache without = cache(10, false);
        without.put(k, denial);
        assertNull(without.get(k));
        ForwardAuthCache with = cache(10, true);
        with.put(k, denial);
        assertSame(denial, with.get(k));
        ForwardAuthCache.Key k2 = key(request("Cookie: c"));
        with.put(k2, redirect);
        with.put(k2, error);
        assertNull(with.get(k2));
        assertEquals(500, error.status());
        assertEquals(503, ForwardAuthDecision.of(ForwardAuthReply.unavailable("none"), List.of(), "test").status());
    }

    @Test
    void anAnswerTooLargeIsNotKept() throws Exception {
        ForwardAuthCache c = cache(10, true);
        ForwardAuthCache.Key k = key(request("Authorization: a"));
        c.put(k, allow("u".repeat(ForwardAuthCache.MAX_ENTRY_BYTES)));
        assertNull(c.get(k));
    }

    @Test
    void keysTellCredentialsApart() throws Exception {
        ForwardAuthCache.Key auth = key(request("Authorization: a"));
        assertEquals(auth, key(request("authorization: a", "X-Other: 1")));
        assertNotEquals(auth, key(request("Cookie: a")));
        assertNotEquals(auth, key(request("Authorization: b")));
        assertNotEquals(key(request("Cookie: a", "Cookie: b")),
                key(request("Cookie: ab")));
    }

    @Test
    void aRequestWithoutAnyCredentialHasNoKey() throws Exception {
        // One anonymous 2xx (a public page) must not open every path to everyone without a credential.
        assertNull(key(request()));
        assertNull(key(request("X-Other: 1")));
        assertNull(key(request(), Scope.HOST, "127.0.0.1"));
    }

    @Test
    void theHostAndWithTheRequestScopeTheWholeRequestArePartOfTheKey() throws Exception {
        String cred = "Cookie: session=domain-wide";
        RequestHead app1 = head("GET", "app1.example", "/x?a=1", cred);
        // A 2xx for app1 is not one for admin, even with a cookie set for the whole domain.
        assertNotEquals(key(app1), key(head("GET", "admin.example", "/x?a=1", cred)));
        assertNotEquals(key(app1, Scope.HOST, "c"), key(head("GET", "admin.example", "/x?a=1", cred), Scope.HOST, "c"));
        // request (the default): another path, query, method or client address is another question.
        assertEquals(key(app1), key(head("GET", "app1.example", "/x?a=1", cred)));
        assertNotEquals(key(app1), key(head("GET", "app1.example", "/admin", cred)));
        assertNotEquals(key(app1), key(head("GET", "app1.example", "/x?a=2", cred)));
        assertNotEquals(key(app1), key(head("POST", "app1.example", "/x?a=1", cred)));
        assertNotEquals(key(app1), key(app1, Scope.REQUEST, "10.0.0.9"));
        assertNotEquals(key(app1), ForwardAuthCache.key(app1, NAMES, Scope.REQUEST, "https", "127.0.0.1"));
        // host: any path and client on the same Host share the answer.
        assertEquals(key(app1, Scope.HOST, "127.0.0.1"), key(head("POST", "app1.example", "/admin", cred), Scope.HOST, "10.0.0.9"));
        // Parts are length-prefixed: bytes shifted between the target and the client address make another key.
        assertNotEquals(key(head("GET", "a", "/c1", cred), Scope.REQUEST, "2"), key(head("GET", "a", "/c", cred), Scope.REQUEST, "12"));
    }

    @Test
    void aTwoHundredCopiesOnlyTheChosenFieldsEveryTime() throws Exception {
        ForwardAuthDecision d = ForwardAuthDecision.of(ForwardAuthReply.answered(204,
                response("X-User: a", "X-Groups: g1", "X-Groups: g2", "X-Secret: s"), null), List.of("X-User", "X-Groups"), "t");
        assertTrue(d.allows());
        assertEquals(List.of("X-User", "a", "X-Groups", "g1", "X-Groups", "g2"), d.fields());
        assertEquals(500, ForwardAuthDecision.of(ForwardAuthReply.answered(404, response(), null), List.of(), "t").status());
        assertEquals(500, ForwardAuthDecision.of(ForwardAuthReply.answered(304, response(), null), List.of(), "t").status());
    }
}
