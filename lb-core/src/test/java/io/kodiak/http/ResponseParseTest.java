package io.kodiak.http;

import io.kodiak.http.ResponseHead.Framing;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static io.kodiak.http.Wire.bytes;
import static io.kodiak.http.Wire.head;
import static io.kodiak.http.Wire.response;
import static io.kodiak.http.Wire.responseStatus;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Upstream responses: how each is framed, and every invalid one is a 502. */
class ResponseParseTest {

    // ------------------------------------------------------------------ accepted

    @Test
    void readsAContentLengthResponse() throws HttpException {
        ResponseHead r = response(head("HTTP/1.1 200 OK", "Content-Length: 12", "Content-Type: text/plain"));
        assertEquals(200, r.status());
        assertEquals(Framing.LENGTH, r.framing());
        assertEquals(12, r.contentLength());
        assertTrue(r.keepAlive());
        assertFalse(r.isInterim());
        assertEquals("OK", Wire.str(r.bytes()).substring(r.reasonStart(), r.reasonEnd()));
        assertEquals("text/plain", r.fields().get("content-type"));
        assertEquals("HTTP/1.1 200 LENGTH(12)", r.toString());
    }

    @Test
    void readsAChunkedResponse() throws HttpException {
        ResponseHead r = response(head("HTTP/1.1 201 Created", "Transfer-Encoding: chunked"));
        assertEquals(Framing.CHUNKED, r.framing());
        assertEquals(-1, r.contentLength());
        assertTrue(r.keepAlive());
    }

    @Test
    void aResponseWithoutFramingIsCloseDelimited() throws HttpException {
        ResponseHead r = response(head("HTTP/1.1 200 OK", "Connection: keep-alive"));
        assertEquals(Framing.CLOSE, r.framing());
        assertFalse(r.keepAlive());
    }

    @Test
    void aResponseToHeadHasNoBodyWhateverItDeclares() throws HttpException {
        ResponseHead r = HeadParser.parseResponse(bytes(head("HTTP/1.1 200 OK", "Content-Length: 99")), true);
        assertEquals(Framing.NONE, r.framing());
        assertEquals(-1, r.contentLength());
        assertTrue(r.keepAlive());
        ResponseHead chunked = HeadParser.parseResponse(bytes(head("HTTP/1.1 200 OK", "Transfer-Encoding: chunked")), true);
        assertEquals(Framing.NONE, chunked.framing());
    }

    @ParameterizedTest
    @ValueSource(ints = {100, 101, 103, 204, 304})
    void statusesWithoutBodyAreUnframed(int status) throws HttpException {
        ResponseHead r = response(head("HTTP/1.1 " + status + " X", "Content-Length: 5"));
        assertEquals(Framing.NONE, r.framing());
    }

    @Test
    void interimMeans1xxOtherThan101() throws HttpException {
        assertTrue(response(head("HTTP/1.1 100 Continue")).isInterim());
        assertTrue(response(head("HTTP/1.1 103 Early Hints")).isInterim());
        assertFalse(response(head("HTTP/1.1 101 Switching Protocols", "Upgrade: websocket")).isInterim());
    }

    @Test
    void http10KeepsAliveOnlyWhenItSaysSo() throws HttpException {
        assertFalse(response(head("HTTP/1.0 200 OK", "Content-Length: 0")).keepAlive());
        assertTrue(response(head("HTTP/1.0 200 OK", "Content-Length: 0", "Connection: keep-alive")).keepAlive());
    }

    @Test
    void connectionCloseEndsReuse() throws HttpException {
        assertFalse(response(head("HTTP/1.1 200 OK", "Content-Length: 0", "Connection: Close")).keepAlive());
    }

    @Test
    void acceptsAStatusLineWithoutReason() throws HttpException {
        ResponseHead r = response(head("HTTP/1.1 404"));
        assertEquals(404, r.status());
        assertEquals(r.reasonStart(), r.reasonEnd());
    }

    @Test
    void acceptsAnEmptyReasonAfterTheSpace() throws HttpException {
        ResponseHead r = response(head("HTTP/1.1 200 ", "Content-Length: 0"));
        assertEquals(r.reasonStart(), r.reasonEnd());
    }

    @Test
    void acceptsObsTextInTheReason() throws HttpException {
        assertEquals(200, response(head("HTTP/1.1 200 D\u00e9j\u00e0 vu", "Content-Length: 0")).status());
    }

    @Test
    void acceptsIdenticalRepeatedContentLength() throws HttpException {
        ResponseHead r = response(head("HTTP/1.1 200 OK", "Content-Length: 3", "Content-Length: 3, 3"));
        assertEquals(3, r.contentLength());
    }

    @Test
    void ignoresFramingFieldsOfA204() throws HttpException {
        assertEquals(Framing.NONE, response(head("HTTP/1.1 204 No Content", "Transfer-Encoding: gzip")).framing());
    }

    // ------------------------------------------------------------------ 502

    @Test
    void contentLengthWithTransferEncodingIs502() {
        assertEquals(502, responseStatus(head("HTTP/1.1 200 OK", "Content-Length: 5", "Transfer-Encoding: chunked")));
    }

    @Test
    void conflictingContentLengthIs502() {
        assertEquals(502, responseStatus(head("HTTP/1.1 200 OK", "Content-Length: 5", "Content-Length: 50")));
    }

    @Test
    void invalidContentLengthIs502EvenWithoutBody() {
        assertEquals(502, responseStatus(head("HTTP/1.1 200 OK", "Content-Length: five")));
        assertEquals(502, responseStatus(head("HTTP/1.1 304 Not Modified", "Content-Length: -1")));
    }

    @Test
    void transferEncodingOtherThanChunkedIs502() {
        assertEquals(502, responseStatus(head("HTTP/1.1 200 OK", "Transfer-Encoding: gzip")));
        assertEquals(502, responseStatus(head("HTTP/1.1 200 OK", "Transfer-Encoding: gzip, chunked")));
        assertEquals(502, responseStatus(head("HTTP/1.1 200 OK", "Transfer-Encoding: chunked, chunked")));
    }

    @Test
    void transferEncodingInHttp10Is502() {
        assertEquals(502, responseStatus(head("HTTP/1.0 200 OK", "Transfer-Encoding: chunked")));
    }

    @Test
    void obsFoldIs502() {
        assertEquals(502, responseStatus(head("HTTP/1.1 200 OK", "X-A: a", " b", "Content-Length: 0")));
    }

    @Test
    void whitespaceBeforeColonIs502() {
        assertEquals(502, responseStatus(head("HTTP/1.1 200 OK", "Content-Length : 0")));
    }

    @Test
    void bareCrIs502() {
        assertEquals(502, responseStatus(head("HTTP/1.1 200 OK", "X-A: a\rb", "Content-Length: 0")));
    }

    @Test
    void nulIs502() {
        assertEquals(502, responseStatus(head("HTTP/1.1 200 OK", "X-A: a\u0000", "Content-Length: 0")));
    }

    @Test
    void invalidNameIs502() {
        assertEquals(502, responseStatus(head("HTTP/1.1 200 OK", "X A: b", "Content-Length: 0")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"HTTP/1.1 20 OK", "HTTP/1.1 2000 OK", "HTTP/1.1 099 Low", "HTTP/1.1 600 High",
        "HTTP/1.1 2x0 OK", "HTTP/1.1 200OK", "HTTP/1.1  200 OK", "HTTP/1.1\t200 OK", "http/1.1 200 OK",
        "HTTP/2.0 200 OK", "HTTP/0.9 200 OK", "HTTP/1.1", "ICY 200 OK", "HTTP/1.1 200 O\u0001K", "HTTP/1.1 200 O\u007fK"})
    void malformedStatusLinesAre502(String line) {
        assertEquals(502, responseStatus(head(line, "Content-Length: 0")));
    }

    @Test
    void tooManyFieldsAre502() {
        String[] lines = new String[1002];
        lines[0] = "HTTP/1.1 200 OK";
        for (int i = 1; i < lines.length; i++) {
            lines[i] = "X-" + i + ": v";
        }
        assertEquals(502, responseStatus(head(lines)));
    }
}
