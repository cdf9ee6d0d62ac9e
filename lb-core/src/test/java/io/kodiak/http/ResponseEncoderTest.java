package io.kodiak.http;

import io.kodiak.config.ServerHeaderPolicy;
import io.kodiak.config.ServerHeaderPolicy.Mode;
import io.kodiak.http.ResponseEncoder.ClientFraming;
import org.junit.jupiter.api.Test;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.kodiak.http.Wire.bytes;
import static io.kodiak.http.Wire.head;
import static io.kodiak.http.Wire.str;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The response head Kodiak sends to the client, byte for byte. */
class ResponseEncoderTest {
    private static final ServerHeaderPolicy STRIP = ServerHeaderPolicy.DEFAULTS;
    private static final ServerHeaderPolicy PASS = new ServerHeaderPolicy(Mode.PASS, null);
    private static final ServerHeaderPolicy SET = new ServerHeaderPolicy(Mode.SET, "kodiak");

    /** The Date line Kodiak adds: an IMF-fixdate of the current second. */
    private static final Pattern KODIAK_DATE =
            Pattern.compile("\r\nDate: [A-Z][a-z]{2}, \\d{2} [A-Z][a-z]{2} \\d{4} \\d{2}:\\d{2}:\\d{2} GMT\r\n");

    /** The head without the Date line Kodiak added (it changes every second), which must be there once. */
    private static String undated(String head) {
        Matcher m = KODIAK_DATE.matcher(head);
        assertTrue(m.find(), head);
        String rest = head.substring(0, m.start()) + "\r\n" + head.substring(m.end());
        assertFalse(KODIAK_DATE.matcher(rest).find(), "one Date: " + head);
        return rest;
    }

    private static String encode(String upstream, boolean headRequest, ServerHeaderPolicy server,
                                 ClientFraming framing, long length, boolean keepAlive, int clientMinor,
                                 boolean upgrade) throws HttpException {
        return undated(encodeAsIs(upstream, headRequest, server, framing, length, keepAlive, clientMinor, upgrade));
    }

    private static String encodeAsIs(String upstream, boolean headRequest, ServerHeaderPolicy server,
                                     ClientFraming framing, long length, boolean keepAlive, int clientMinor,
                                     boolean upgrade) throws HttpException {
        ResponseHead r = HeadParser.parseResponse(bytes(upstream), headRequest);
        return str(ResponseEncoder.encode(r, server, framing, length, keepAlive, clientMinor, upgrade));
    }

    /** A keep-alive HTTP/1.1 client, default Server policy. */
    private static String encode(String upstream, ClientFraming framing, long length) throws HttpException {
        return encode(upstream, false, STRIP, framing, length, true, 1, false);
    }

    @Test
    void reframesWithContentLengthAndDropsHopByHopFields() throws HttpException {
        String up = head("HTTP/1.1 200 OK", "Content-Type: text/plain", "Content-Length: 5",
                "Connection: keep-alive, X-Internal", "Keep-Alive: timeout=5", "X-Internal: 1", "Server: gunicorn",
                "Proxy-Connection: x", "Trailer: X-Sum", "Upgrade: h2c", "Set-Cookie: a=1", "Set-Cookie: b=2");
        assertEquals(head("HTTP/1.1 200 OK", "Content-Type: text/plain", "Set-Cookie: a=1", "Set-Cookie: b=2",
                "Content-Length: 5"), encode(up, ClientFraming.LENGTH, 5));
    }

    @Test
    void reframesAChunkedUpstreamAsChunked() throws HttpException {
        String up = head("HTTP/1.1 200 OK", "Transfer-Encoding: chunked", "Trailer: X-Sum", "Content-Type: a/b");
        assertEquals(head("HTTP/1.1 200 OK", "Content-Type: a/b", "Transfer-Encoding: chunked"),
                encode(up, ClientFraming.CHUNKED, -1));
    }

    @Test
    void reframesABufferedChunkedUpstreamWithItsLength() throws HttpException {
        String up = head("HTTP/1.1 200 OK", "Transfer-Encoding: chunked");
        assertEquals(head("HTTP/1.1 200 OK", "Content-Length: 42"), encode(up, ClientFraming.LENGTH, 42));
    }

    @Test
    void reframesACloseDelimitedUpstreamAsChunked() throws HttpException {
        String up = head("HTTP/1.0 200 OK", "Content-Type: a/b");
        assertEquals(head("HTTP/1.1 200 OK", "Content-Type: a/b", "Transfer-Encoding: chunked"),
                encode(up, ClientFraming.CHUNKED, -1));
    }

    @Test
    void closeDelimitsForAnHttp10Client() throws HttpException {
        String up = head("HTTP/1.1 200 OK", "Transfer-Encoding: chunked");
        assertEquals(head("HTTP/1.1 200 OK", "Connection: close"),
                encode(up, false, STRIP, ClientFraming.CLOSE, -1, false, 0, false));
    }

    @Test
    void keepsTheContentLengthOfAHeadResponse() throws HttpException {
        String up = head("HTTP/1.1 200 OK", "Content-Length: 1234", "Content-Type: a/b");
        assertEquals(head("HTTP/1.1 200 OK", "Content-Type: a/b", "Content-Length: 1234"),
                encode(up, true, STRIP, ClientFraming.NONE, 0, true, 1, false));
    }

    @Test
    void writesOneCanonicalContentLengthForAHeadResponse() throws HttpException {
        String up = head("HTTP/1.1 200 OK", "Content-Length: 0012, 12", "Content-Length: 12");
        assertEquals(head("HTTP/1.1 200 OK", "Content-Length: 12"),
                encode(up, true, STRIP, ClientFraming.NONE, 0, true, 1, false));
    }

    @Test
    void aHeadResponseWithoutContentLengthGetsNone() throws HttpException {
        String up = head("HTTP/1.1 200 OK", "Transfer-Encoding: chunked");
        assertEquals(head("HTTP/1.1 200 OK"), encode(up, true, STRIP, ClientFraming.NONE, 0, true, 1, false));
    }

    @Test
    void keepsTheContentLengthOfA304() throws HttpException {
        String up = head("HTTP/1.1 304 Not Modified", "ETag: \"x\"", "Content-Length: 77");
        assertEquals(head("HTTP/1.1 304 Not Modified", "ETag: \"x\"", "Content-Length: 77"),
                encode(up, ClientFraming.NONE, 0));
    }

    @Test
    void dropsTheContentLengthOfA204() throws HttpException {
        String up = head("HTTP/1.1 204 No Content", "Content-Length: 0", "X-A: 1");
        assertEquals(head("HTTP/1.1 204 No Content", "X-A: 1"), encode(up, ClientFraming.NONE, 0));
    }

    @Test
    void relaysAnInterimResponseBare() throws HttpException {
        assertEquals(head("HTTP/1.1 100 Continue"), encodeAsIs(head("HTTP/1.1 100 Continue"), false, STRIP,
                ClientFraming.NONE, 0, true, 1, false));
        assertEquals(head("HTTP/1.1 103 Early Hints", "Link: </s.css>; rel=preload"),
                encodeAsIs(head("HTTP/1.1 103 Early Hints", "Link: </s.css>; rel=preload"), false, STRIP,
                        ClientFraming.NONE, 0, true, 1, false));
    }

    @Test
    void saysCloseWhenTheClientConnectionEnds() throws HttpException {
        String up = head("HTTP/1.1 200 OK", "Content-Length: 2");
        assertEquals(head("HTTP/1.1 200 OK", "Content-Length: 2", "Connection: close"),
                encode(up, false, STRIP, ClientFraming.LENGTH, 2, false, 1, false));
    }

    @Test
    void saysKeepAliveToAnHttp10ClientThatStays() throws HttpException {
        String up = head("HTTP/1.1 200 OK", "Content-Length: 2", "Connection: close");
        assertEquals(head("HTTP/1.1 200 OK", "Content-Length: 2", "Connection: keep-alive"),
                encode(up, false, STRIP, ClientFraming.LENGTH, 2, true, 0, false));
    }

    @Test
    void saysCloseToAnHttp10ClientThatLeaves() throws HttpException {
        String up = head("HTTP/1.1 200 OK", "Content-Length: 2");
        assertEquals(head("HTTP/1.1 200 OK", "Content-Length: 2", "Connection: close"),
                encode(up, false, STRIP, ClientFraming.LENGTH, 2, false, 0, false));
    }

    @Test
    void saysNothingToAnHttp11ClientThatStays() throws HttpException {
        String up = head("HTTP/1.1 200 OK", "Content-Length: 2", "Connection: close");
        assertEquals(head("HTTP/1.1 200 OK", "Content-Length: 2"), encode(up, ClientFraming.LENGTH, 2));
    }

    @Test
    void relaysAWebSocketUpgrade() throws HttpException {
        String up = head("HTTP/1.1 101 Switching Protocols", "Upgrade: websocket", "Connection: Upgrade",
                "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
        assertEquals(head("HTTP/1.1 101 Switching Protocols",
                "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", "Connection: upgrade", "Upgrade: websocket"),
                encodeAsIs(up, false, STRIP, ClientFraming.NONE, 0, true, 1, true));
    }

    @Test
    void stripsTheServerField() throws HttpException {
        String up = head("HTTP/1.1 200 OK", "Server: gunicorn", "Content-Length: 0", "server: again");
        assertEquals(head("HTTP/1.1 200 OK", "Content-Length: 0"), encode(up, ClientFraming.LENGTH, 0));
    }

    @Test
    void passesTheServerField() throws HttpException {
        String up = head("HTTP/1.1 200 OK", "Server: gunicorn", "Content-Length: 0");
        assertEquals(head("HTTP/1.1 200 OK", "Server: gunicorn", "Content-Length: 0"),
                encode(up, false, PASS, ClientFraming.LENGTH, 0, true, 1, false));
    }

    @Test
    void setsTheServerField() throws HttpException {
        String up = head("HTTP/1.1 200 OK", "Server: gunicorn", "Date: x", "Content-Length: 0");
        assertEquals(head("HTTP/1.1 200 OK", "Date: x", "Server: kodiak", "Content-Length: 0"),
                encodeAsIs(up, false, SET, ClientFraming.LENGTH, 0, true, 1, false));
    }

    @Test
    void keepsTheUpstreamsDateAndDatesAResponseWithout() throws HttpException {
        String dated = head("HTTP/1.1 200 OK", "date: Sun, 06 Nov 1994 08:49:37 GMT", "Content-Length: 0");
        assertEquals(dated, encodeAsIs(dated, false, STRIP, ClientFraming.LENGTH, 0, true, 1, false));
        String undated = encodeAsIs(head("HTTP/1.1 200 OK", "Content-Length: 0"), false, STRIP,
                ClientFraming.LENGTH, 0, true, 1, false);
        assertEquals(head("HTTP/1.1 200 OK", "Content-Length: 0"), undated(undated));
    }

    @Test
    void answersHttp11AndKeepsTheReasonByteForByte() throws HttpException {
        String up = head("HTTP/1.0 418 I'm  a teapot\u00e9", "Content-Length: 0", "Connection: keep-alive");
        assertEquals(head("HTTP/1.1 418 I'm  a teapot\u00e9", "Content-Length: 0"), encode(up, ClientFraming.LENGTH, 0));
    }

    @Test
    void keepsTheSpaceAfterTheStatusWithoutReason() throws HttpException {
        assertEquals(head("HTTP/1.1 404 ", "Content-Length: 0"),
                encode(head("HTTP/1.1 404", "Content-Length: 0"), ClientFraming.LENGTH, 0));
    }

    @Test
    void writesALocalErrorResponse() {
        assertEquals(head("HTTP/1.1 503 Service Unavailable", "Server: kodiak", "Content-Type: text/html",
                "Content-Length: 12", "Retry-After: 5", "Connection: close"),
                undated(str(ResponseEncoder.local(503, "text/html", 12, SET, false, "Retry-After: 5"))));
    }

    @Test
    void writesAnEmptyLocalResponseWithoutTypeOrServer() {
        assertEquals(head("HTTP/1.1 400 Bad Request", "Content-Length: 0"),
                undated(str(ResponseEncoder.local(400, "text/html", 0, STRIP, true, null))));
    }

    @Test
    void aLocalResponseTellsAnHttp10ClientKeptAliveSo() {
        assertEquals(head("HTTP/1.1 404 Not Found", "Content-Length: 0", "Connection: keep-alive"),
                undated(str(ResponseEncoder.local(404, "text/html", 0, STRIP, true, 0, null))));
        assertEquals(head("HTTP/1.1 404 Not Found", "Content-Length: 0", "Connection: close"),
                undated(str(ResponseEncoder.local(404, "text/html", 0, STRIP, false, 0, null))));
        assertEquals(head("HTTP/1.1 404 Not Found", "Content-Length: 0"),
                undated(str(ResponseEncoder.local(404, "text/html", 0, STRIP, true, 1, null))));
    }

    @Test
    void aLocalResponseIsDatedRightAfterItsStatusLine() {
        String local = str(ResponseEncoder.local(502, "text/plain", 0, STRIP, true, null));
        assertTrue(KODIAK_DATE.matcher(local).find(), local);
        assertTrue(local.startsWith("HTTP/1.1 502 Bad Gateway\r\nDate: "), local);
    }

    @Test
    void namesEveryStatusKodiakSends() {
        int[] statuses = {100, 200, 400, 404, 405, 408, 413, 414, 417, 431, 500, 501, 502, 503, 504, 505};
        for (int s : statuses) {
            assertNotEquals("Error", ResponseEncoder.reason(s), "reason for " + s);
        }
        assertEquals("Request Header Fields Too Large", ResponseEncoder.reason(431));
        // RFC 9110 §15: every status it defines has its phrase (a route's respond may send any).
        int[] rfc9110 = {100, 101, 200, 201, 202, 203, 204, 205, 206, 300, 301, 302, 303, 304, 305, 307, 308, 400, 401,
            402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 421, 422, 426, 500, 501, 502,
            503, 504, 505};
        for (int s : rfc9110) {
            assertNotEquals("Error", ResponseEncoder.reason(s), "reason for " + s);
        }
        assertEquals("Non-Authoritative Information", ResponseEncoder.reason(203));
        assertEquals("Unprocessable Content", ResponseEncoder.reason(422));
        assertEquals("Error", ResponseEncoder.reason(299));
    }
}
