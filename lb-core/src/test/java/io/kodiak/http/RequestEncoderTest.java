package io.kodiak.http;

import io.kodiak.config.ForwardedHeaders;
import org.junit.jupiter.api.Test;

import static io.kodiak.http.Wire.head;
import static io.kodiak.http.Wire.request;
import static io.kodiak.http.Wire.str;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The request head Kodiak sends upstream, byte for byte. */
class RequestEncoderTest {
    private static final String CLIENT = "203.0.113.7";
    private static final ForwardedHeaders NONE = new ForwardedHeaders(false, false, false, false);
    private static final ForwardedHeaders RFC7239 = new ForwardedHeaders(false, false, false, true);

    private static String encode(String head, ForwardedHeaders fwd, String clientIp, String scheme, long bodyLength)
            throws HttpException {
        return str(RequestEncoder.encode(request(head), fwd, clientIp, scheme, bodyLength));
    }

    private static String encode(String head) throws HttpException {
        return encode(head, ForwardedHeaders.DEFAULTS, CLIENT, "http", RequestHead.NO_BODY);
    }

    @Test
    void removesHopByHopFieldsAndAddsForwardingFields() throws HttpException {
        String in = head("GET /a%20b/./c?x=1&y=%2F HTTP/1.1", "Host: App.Example", "User-Agent: t/1",
                "Connection: keep-alive, X-Secret", "Keep-Alive: timeout=5", "Proxy-Connection: keep-alive",
                "TE: trailers", "Trailer: X-Sum", "Upgrade: h2c", "X-Secret: s", "Accept: */*");
        assertEquals(head("GET /a%20b/./c?x=1&y=%2F HTTP/1.1", "Host: App.Example", "User-Agent: t/1",
                "Accept: */*", "X-Forwarded-For: 203.0.113.7", "X-Forwarded-Proto: http",
                "X-Forwarded-Host: App.Example"), encode(in));
    }

    @Test
    void copiesFieldsByteForByte() throws HttpException {
        String in = head("GET / HTTP/1.1", "hOsT:a.example", "x-custom:\tvalue  with\tinner  space \t",
                "X-Bin: caf\u00e9");
        assertEquals(head("GET / HTTP/1.1", "hOsT:a.example", "x-custom:\tvalue  with\tinner  space",
                "X-Bin: caf\u00e9"), encode(in, NONE, CLIENT, "http", 0));
    }

    @Test
    void rewritesHttp10AsHttp11WithAnEmptyHost() throws HttpException {
        assertEquals(head("GET /old HTTP/1.1", "Host:", "X-Forwarded-For: 203.0.113.7", "X-Forwarded-Proto: https"),
                encode(head("GET /old HTTP/1.0", "Connection: keep-alive"), ForwardedHeaders.DEFAULTS, CLIENT,
                        "https", 0));
    }

    @Test
    void keepsTheHostOfAnHttp10Request() throws HttpException {
        assertEquals(head("GET / HTTP/1.1", "Host: a"), encode(head("GET / HTTP/1.0", "Host: a"), NONE, CLIENT, "http", 0));
    }

    @Test
    void appendsTheClientToEveryExistingXForwardedFor() throws HttpException {
        String in = head("GET / HTTP/1.1", "X-Forwarded-For: 10.0.0.1, 10.0.0.2", "Host: a",
                "x-forwarded-for: 10.0.0.3", "X-Forwarded-Proto: https", "X-Forwarded-Host: evil", "Accept: x");
        assertEquals(head("GET / HTTP/1.1", "Host: a", "Accept: x",
                "X-Forwarded-For: 10.0.0.1, 10.0.0.2, 10.0.0.3, 203.0.113.7", "X-Forwarded-Proto: http",
                "X-Forwarded-Host: a"), encode(in));
    }

    @Test
    void passesForwardingFieldsThroughWhenDisabled() throws HttpException {
        String in = head("GET / HTTP/1.1", "Host: a", "X-Forwarded-For: 10.0.0.1", "X-Forwarded-Proto: https",
                "X-Forwarded-Host: b", "Forwarded: for=10.0.0.1");
        assertEquals(in, encode(in, NONE, CLIENT, "http", 0));
    }

    @Test
    void appendsAForwardedElementForAnIpv4Client() throws HttpException {
        String in = head("GET / HTTP/1.1", "Host: a.example:8080");
        assertEquals(head("GET / HTTP/1.1", "Host: a.example:8080",
                "Forwarded: for=203.0.113.7;proto=https;host=\"a.example:8080\""),
                encode(in, RFC7239, CLIENT, "https", 0));
    }

    @Test
    void quotesAndBracketsAnIpv6ClientInForwarded() throws HttpException {
        String in = head("GET / HTTP/1.1", "Forwarded: for=192.0.2.60;proto=http", "Host: [2001:db8::1]:8443",
                "Forwarded: for=\"_hidden\"");
        assertEquals(head("GET / HTTP/1.1", "Host: [2001:db8::1]:8443",
                "Forwarded: for=192.0.2.60;proto=http, for=\"_hidden\", "
                        + "for=\"[2001:db8::7]\";proto=https;host=\"[2001:db8::1]:8443\""),
                encode(in, RFC7239, "2001:db8::7", "https", 0));
    }

    @Test
    void leavesHostOutOfForwardedWhenThereIsNone() throws HttpException {
        assertEquals(head("GET / HTTP/1.1", "Host:", "Forwarded: for=203.0.113.7;proto=http"),
                encode(head("GET / HTTP/1.0"), RFC7239, CLIENT, "http", 0));
    }

    @Test
    void rewritesAnAbsoluteFormTargetToOriginFormAndHostToItsAuthority() throws HttpException {
        String in = head("GET http://App.Example:8080/p/q?r=1 HTTP/1.1", "Host: ignored.example", "Accept: x");
        assertEquals(head("GET /p/q?r=1 HTTP/1.1", "Accept: x", "Host: App.Example:8080",
                "X-Forwarded-For: 203.0.113.7", "X-Forwarded-Proto: http", "X-Forwarded-Host: App.Example:8080"),
                encode(in));
    }

    @Test
    void rewritesAnAbsoluteFormTargetWithoutPathToSlash() throws HttpException {
        assertEquals(head("GET / HTTP/1.1", "Host: a.example"),
                encode(head("GET http://a.example HTTP/1.1", "Host: a.example"), NONE, CLIENT, "http", 0));
        assertEquals(head("GET /?x=/y HTTP/1.1", "Host: a.example"),
                encode(head("GET https://a.example?x=/y HTTP/1.1", "Host: a.example"), NONE, CLIENT, "http", 0));
    }

    @Test
    void rewritesOptionsOfABareAuthorityToAsterisk() throws HttpException {
        assertEquals(head("OPTIONS * HTTP/1.1", "Host: a.example:8001"),
                encode(head("OPTIONS http://a.example:8001 HTTP/1.1", "Host: a.example:8001"), NONE, CLIENT, "http", 0));
        assertEquals(head("OPTIONS /?q HTTP/1.1", "Host: a.example"),
                encode(head("OPTIONS http://a.example?q HTTP/1.1", "Host: a.example"), NONE, CLIENT, "http", 0));
    }

    @Test
    void reportsNoHostForAnEmptyHost() throws HttpException {
        assertEquals(head("GET / HTTP/1.1", "Host:", "X-Forwarded-For: 203.0.113.7", "X-Forwarded-Proto: http"),
                encode(head("GET / HTTP/1.1", "Host:")));
        assertEquals(head("GET / HTTP/1.1", "Host:", "Forwarded: for=203.0.113.7;proto=http"),
                encode(head("GET / HTTP/1.1", "Host:"), RFC7239, CLIENT, "http", 0));
    }

    @Test
    void keepsAsteriskForm() throws HttpException {
        assertEquals(head("OPTIONS * HTTP/1.1", "Host: a"), encode(head("OPTIONS * HTTP/1.1", "Host: a"), NONE, CLIENT, "http", 0));
    }

    @Test
    void forwardsAWebSocketUpgrade() throws HttpException {
        String in = head("GET /chat HTTP/1.1", "Host: ws.example", "Upgrade: websocket", "Connection: Upgrade",
                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13");
        assertEquals(head("GET /chat HTTP/1.1", "Host: ws.example", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
                "Sec-WebSocket-Version: 13", "Connection: upgrade", "Upgrade: websocket",
                "X-Forwarded-For: 203.0.113.7", "X-Forwarded-Proto: http", "X-Forwarded-Host: ws.example"),
                encode(in));
    }

    @Test
    void dropsUpgradeThatIsNotAWebSocketUpgrade() throws HttpException {
        String in = head("POST /chat HTTP/1.1", "Host: a", "Upgrade: websocket", "Connection: Upgrade",
                "Content-Length: 2");
        assertEquals(head("POST /chat HTTP/1.1", "Host: a", "Content-Length: 2"), encode(in, NONE, CLIENT, "http", 2));
    }

    @Test
    void reframesAChunkedBodyAsChunkedAndDropsExpect() throws HttpException {
        String in = head("POST /up HTTP/1.1", "Host: a", "Transfer-Encoding: chunked", "Expect: 100-continue",
                "Content-Type: text/plain");
        assertEquals(head("POST /up HTTP/1.1", "Host: a", "Content-Type: text/plain", "Transfer-Encoding: chunked"),
                encode(in, NONE, CLIENT, "http", RequestHead.CHUNKED));
    }

    @Test
    void reframesABufferedChunkedBodyWithItsLength() throws HttpException {
        String in = head("PUT /up HTTP/1.1", "Host: a", "Transfer-Encoding: chunked");
        assertEquals(head("PUT /up HTTP/1.1", "Host: a", "Content-Length: 11"), encode(in, NONE, CLIENT, "http", 11));
    }

    @Test
    void writesOneCanonicalContentLength() throws HttpException {
        String in = head("POST / HTTP/1.1", "Content-Length: 007", "Host: a", "Content-Length: 7, 7");
        assertEquals(head("POST / HTTP/1.1", "Host: a", "Content-Length: 7"), encode(in, NONE, CLIENT, "http", 7));
    }

    @Test
    void sendsContentLengthZeroForAnEmptyPost() throws HttpException {
        assertEquals(head("POST / HTTP/1.1", "Host: a", "Content-Length: 0"),
                encode(head("POST / HTTP/1.1", "Host: a"), NONE, CLIENT, "http", 0));
    }

    @Test
    void keepsAnExplicitZeroContentLengthOnGet() throws HttpException {
        assertEquals(head("GET / HTTP/1.1", "Host: a", "Content-Length: 0"),
                encode(head("GET / HTTP/1.1", "Host: a", "Content-Length: 0"), NONE, CLIENT, "http", 0));
    }

    @Test
    void sendsNoFramingForABodylessGetOrDelete() throws HttpException {
        assertEquals(head("DELETE /x HTTP/1.1", "Host: a"),
                encode(head("DELETE /x HTTP/1.1", "Host: a"), NONE, CLIENT, "http", 0));
    }

    @Test
    void doesNotForwardTheClientsConnectionClose() throws HttpException {
        assertEquals(head("GET / HTTP/1.1", "Host: a"),
                encode(head("GET / HTTP/1.1", "Host: a", "Connection: close"), NONE, CLIENT, "http", 0));
    }

    @Test
    void connectionCannotRemoveHostOrForwardingFields() throws HttpException {
        String in = head("GET / HTTP/1.1", "Host: a", "X-Forwarded-For: 10.0.0.1", "Forwarded: for=10.0.0.1",
                "Connection: Host, X-Forwarded-For, forwarded, X-Forwarded-Proto, X-Forwarded-Host, Cookie",
                "Cookie: c=1", "X-Forwarded-Proto: https", "X-Forwarded-Host: h");
        assertEquals(head("GET / HTTP/1.1", "Host: a", "X-Forwarded-For: 10.0.0.1", "Forwarded: for=10.0.0.1",
                "X-Forwarded-Proto: https", "X-Forwarded-Host: h"), encode(in, NONE, CLIENT, "http", 0));
        assertEquals(head("GET / HTTP/1.1", "Host: a", "Forwarded: for=10.0.0.1", "X-Forwarded-Host: h",
                "X-Forwarded-For: 10.0.0.1, 203.0.113.7", "X-Forwarded-Proto: http"),
                encode(in, new ForwardedHeaders(true, true, false, false), CLIENT, "http", 0));
    }
}
