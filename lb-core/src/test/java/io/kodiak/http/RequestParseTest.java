package io.kodiak.http;

import org.junit.jupiter.api.Test;

import static io.kodiak.http.Wire.bytes;
import static io.kodiak.http.Wire.head;
import static io.kodiak.http.Wire.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Requests the parser accepts, and what it makes of them. */
class RequestParseTest {

    @Test
    void parsesASimpleGet() throws HttpException {
        RequestHead r = request(head("GET /a/b?x=1 HTTP/1.1", "Host: Example.COM:8080", "Accept: */*"));
        assertEquals("GET", r.method());
        assertEquals("/a/b?x=1", r.target());
        assertEquals("/a/b", r.path());
        assertEquals("example.com", r.host());
        assertEquals(1, r.versionMinor());
        assertEquals(RequestHead.NO_BODY, r.contentLength());
        assertFalse(r.hasBody());
        assertTrue(r.keepAlive());
        assertFalse(r.expectContinue());
        assertFalse(r.webSocketUpgrade());
        assertFalse(r.absoluteForm());
        assertFalse(r.isHead());
        assertEquals(2, r.fields().size());
        assertEquals("Host", r.fields().name(0));
        assertEquals("Example.COM:8080", r.fields().value(0));
        assertEquals("*/*", r.fields().get("accept"));
        assertEquals("GET /a/b?x=1 HTTP/1.1", r.toString());
    }

    @Test
    void keepsTargetOffsetsIntoTheOriginalBytes() throws HttpException {
        String h = head("GET /%7Euser/a;b?q=%20&r HTTP/1.1", "Host: a");
        RequestHead r = request(h);
        assertEquals(4, r.targetStart());
        assertEquals(4 + "/%7Euser/a;b?q=%20&r".length(), r.targetEnd());
        assertEquals("/%7Euser/a;b?q=%20&r", r.target());
        assertEquals(h, Wire.str(r.bytes()));
    }

    @Test
    void readsAContentLength() throws HttpException {
        RequestHead r = request(head("POST /p HTTP/1.1", "Host: a", "Content-Length: 42"));
        assertEquals(42, r.contentLength());
        assertTrue(r.hasBody());
    }

    @Test
    void readsAZeroContentLengthAsNoBody() throws HttpException {
        assertEquals(RequestHead.NO_BODY, request(head("POST / HTTP/1.1", "Host: a", "Content-Length: 0")).contentLength());
    }

    @Test
    void acceptsIdenticalContentLengthFieldsAsOne() throws HttpException {
        RequestHead r = request(head("POST / HTTP/1.1", "Host: a", "Content-Length: 7", "content-length: 007"));
        assertEquals(7, r.contentLength());
    }

    @Test
    void acceptsAnIdenticalContentLengthListAsOne() throws HttpException {
        assertEquals(7, request(head("POST / HTTP/1.1", "Host: a", "Content-Length: 7 ,\t7")).contentLength());
    }

    @Test
    void acceptsEighteenDigitContentLength() throws HttpException {
        String v = "999999999999999999";
        assertEquals(Long.parseLong(v), request(head("POST / HTTP/1.1", "Host: a", "Content-Length: " + v)).contentLength());
    }

    @Test
    void readsChunkedCaseInsensitively() throws HttpException {
        RequestHead r = request(head("POST / HTTP/1.1", "Host: a", "Transfer-Encoding: ChunKed"));
        assertEquals(RequestHead.CHUNKED, r.contentLength());
        assertTrue(r.hasBody());
    }

    @Test
    void readsChunkedWithEmptyListElements() throws HttpException {
        assertEquals(RequestHead.CHUNKED,
                request(head("POST / HTTP/1.1", "Host: a", "Transfer-Encoding: , chunked ,")).contentLength());
    }

    @Test
    void http10WithoutHostIsAccepted() throws HttpException {
        RequestHead r = request(head("GET / HTTP/1.0"));
        assertEquals(0, r.versionMinor());
        assertEquals("", r.host());
        assertFalse(r.keepAlive());
    }

    @Test
    void http10KeepsAliveOnlyWhenAsked() throws HttpException {
        assertTrue(request(head("GET / HTTP/1.0", "Connection: Keep-Alive")).keepAlive());
        assertFalse(request(head("GET / HTTP/1.0", "Connection: keep-alive, close")).keepAlive());
    }

    @Test
    void http11ClosesWhenAsked() throws HttpException {
        assertFalse(request(head("GET / HTTP/1.1", "Host: a", "Connection: foo, CLOSE")).keepAlive());
        assertFalse(request(head("GET / HTTP/1.1", "Host: a", "Connection: foo", "Connection: close")).keepAlive());
    }

    @Test
    void treatsHigherMinorVersionsAsHttp11() throws HttpException {
        assertEquals(1, request(head("GET / HTTP/1.7", "Host: a")).versionMinor());
    }

    @Test
    void takesTheHostOfAnAbsoluteFormTarget() throws HttpException {
        RequestHead r = request(head("GET http://Origin.Example:81/p/q?s HTTP/1.1", "Host: other"));
        assertTrue(r.absoluteForm());
        assertEquals("origin.example", r.host());
        assertEquals("/p/q", r.path());
        assertEquals("/p/q?s", r.target());
    }

    @Test
    void acceptsAnAbsoluteFormTargetWithoutPath() throws HttpException {
        RequestHead r = request(head("GET HTTPS://a.example HTTP/1.1", "Host: a.example"));
        assertEquals("a.example", r.host());
        assertEquals("/", r.path());
        assertEquals("", r.target());
    }

    @Test
    void acceptsAnAbsoluteFormTargetWithQueryButNoPath() throws HttpException {
        RequestHead r = request(head("GET http://a.example?x=/y HTTP/1.1", "Host: a.example"));
        assertEquals("a.example", r.host());
        assertEquals("/", r.path());
        assertEquals("?x=/y", r.target());
    }

    @Test
    void acceptsAsteriskFormForOptions() throws HttpException {
        RequestHead r = request(head("OPTIONS * HTTP/1.1", "Host: a"));
        assertEquals("*", r.path());
        assertEquals("*", r.target());
    }

    @Test
    void keepsTheBracketsOfAnIpv6Host() throws HttpException {
        assertEquals("[2001:db8::1]", request(head("GET / HTTP/1.1", "Host: [2001:DB8::1]:8443")).host());
    }

    @Test
    void routesAFullyQualifiedHostWithoutItsTrailingDotButForwardsItAsSent() throws HttpException {
        RequestHead r = request(head("GET / HTTP/1.1", "Host: Admin.Example.COM.:8443"));
        assertEquals("admin.example.com", r.host());
        assertEquals("Admin.Example.COM.:8443", r.fields().value(r.fields().indexOf("host", 0)), "the field keeps its bytes");
        assertEquals("a.example", request(head("GET http://a.example./x HTTP/1.1", "Host: a.example.")).host());
    }

    /** A name with an empty label is no DNS name: 400, as nginx answers, never a route of a shorter name's. */
    @Test
    void refusesAHostWithAnEmptyLabel() {
        for (String host : new String[] {"a..", "a..b", ".a", ".", "a.example..:80"}) {
            HttpException e = assertThrows(HttpException.class, () -> request(head("GET / HTTP/1.1", "Host: " + host)), host);
            assertEquals(400, e.status());
        }
        assertThrows(HttpException.class, () -> request(head("GET http://a..b/x HTTP/1.1", "Host: a..b")));
    }

    @Test
    void acceptsAnEmptyHost() throws HttpException {
        assertEquals("", request(head("GET / HTTP/1.1", "Host:")).host());
    }

    @Test
    void recognisesExpect100Continue() throws HttpException {
        assertTrue(request(head("PUT / HTTP/1.1", "Host: a", "Content-Length: 1", "Expect: 100-Continue")).expectContinue());
    }

    @Test
    void ignoresExpect100ContinueFromHttp10() throws HttpException {
        assertFalse(request(head("PUT / HTTP/1.0", "Content-Length: 1", "Expect: 100-continue")).expectContinue());
    }

    @Test
    void recognisesAWebSocketUpgrade() throws HttpException {
        RequestHead r = request(head("GET /ws HTTP/1.1", "Host: a", "Connection: keep-alive, Upgrade",
                "Upgrade: WebSocket", "Sec-WebSocket-Version: 13"));
        assertTrue(r.webSocketUpgrade());
    }

    @Test
    void aWebSocketUpgradeNeedsGetHttp11AndBothFields() throws HttpException {
        assertFalse(request(head("POST /ws HTTP/1.1", "Host: a", "Connection: upgrade", "Upgrade: websocket"))
                .webSocketUpgrade());
        assertFalse(request(head("GET /ws HTTP/1.0", "Connection: upgrade", "Upgrade: websocket")).webSocketUpgrade());
        assertFalse(request(head("GET /ws HTTP/1.1", "Host: a", "Upgrade: websocket")).webSocketUpgrade());
        assertFalse(request(head("GET /ws HTTP/1.1", "Host: a", "Connection: upgrade", "Upgrade: h2c"))
                .webSocketUpgrade());
    }

    @Test
    void trimsOptionalWhitespaceAroundValues() throws HttpException {
        RequestHead r = request(head("GET / HTTP/1.1", "Host:a", "X-A: \t v 1 \t", "X-B:"));
        assertEquals("a", r.fields().value(0));
        assertEquals("v 1", r.fields().value(1));
        assertEquals("", r.fields().value(2));
    }

    @Test
    void acceptsObsTextInValues() throws HttpException {
        assertEquals("caf\u00e9", request(head("GET / HTTP/1.1", "Host: a", "X-Name: caf\u00e9")).fields().get("x-name"));
    }

    @Test
    void acceptsLfLineEnds() throws HttpException {
        RequestHead r = HeadParser.parseRequest(bytes("GET / HTTP/1.1\nHost: a\nX: 1\n\n"), 100);
        assertEquals("a", r.host());
        assertEquals("1", r.fields().get("x"));
    }

    @Test
    void acceptsExactlyTheMaximumNumberOfFields() throws HttpException {
        RequestHead r = HeadParser.parseRequest(bytes(head("GET / HTTP/1.1", "Host: a", "X: 1", "Y: 2")), 3);
        assertEquals(3, r.fields().size());
    }

    @Test
    void keepsDuplicateFieldsInOrder() throws HttpException {
        RequestHead r = request(head("GET / HTTP/1.1", "Host: a", "X-Forwarded-For: 1.1.1.1", "x-forwarded-for: 2.2.2.2"));
        assertEquals(2, r.fields().count("x-forwarded-for"));
        assertEquals("1.1.1.1", r.fields().get("x-forwarded-for"));
        assertEquals(2, r.fields().indexOf("x-forwarded-for", 2));
    }

    @Test
    void isHeadOnlyForHead() throws HttpException {
        assertTrue(request(head("HEAD / HTTP/1.1", "Host: a")).isHead());
        assertFalse(request(head("head / HTTP/1.1", "Host: a")).isHead());
    }
}
