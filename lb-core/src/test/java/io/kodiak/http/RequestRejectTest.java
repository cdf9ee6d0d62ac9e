package io.kodiak.http;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static io.kodiak.http.Wire.bytes;
import static io.kodiak.http.Wire.head;
import static io.kodiak.http.Wire.requestStatus;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Every request shape that could desynchronise Kodiak from a peer is refused with its exact status. */
class RequestRejectTest {

    private static int post(String... fields) {
        String[] lines = new String[fields.length + 2];
        lines[0] = "POST /p HTTP/1.1";
        lines[1] = "Host: a";
        System.arraycopy(fields, 0, lines, 2, fields.length);
        return requestStatus(head(lines));
    }

    // ------------------------------------------------------------------ framing

    @Test
    void contentLengthWithTransferEncodingIs400() {
        assertEquals(400, post("Content-Length: 5", "Transfer-Encoding: chunked"));
        assertEquals(400, post("Transfer-Encoding: chunked", "Content-Length: 0"));
    }

    @Test
    void conflictingContentLengthFieldsAre400() {
        assertEquals(400, post("Content-Length: 5", "Content-Length: 6"));
    }

    @Test
    void conflictingContentLengthListIs400() {
        assertEquals(400, post("Content-Length: 5, 6"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "abc", "+5", "-1", "0x5", "5 5", "5,", ",5", "5;", "1e3", "5\u00a0",
        "1234567890123456789"})
    void invalidContentLengthIs400(String value) {
        assertEquals(400, post("Content-Length: " + value));
    }

    @ParameterizedTest
    @ValueSource(strings = {"gzip", "chunked, gzip", "chunked;q=1", "", "chunked\u000b", "\"chunked\"", "chunk"})
    void transferEncodingNotEndingInChunkedIs400(String value) {
        assertEquals(400, post("Transfer-Encoding: " + value));
    }

    @Test
    void transferEncodingFieldsNotEndingInChunkedAre400() {
        assertEquals(400, post("Transfer-Encoding: chunked", "Transfer-Encoding: identity"));
    }

    @Test
    void otherCodingsBeforeChunkedAre501() {
        assertEquals(501, post("Transfer-Encoding: gzip, chunked"));
        assertEquals(501, post("Transfer-Encoding: gzip", "Transfer-Encoding: chunked"));
    }

    @Test
    void chunkedTwiceIs400() {
        assertEquals(400, post("Transfer-Encoding: chunked, chunked"));
        assertEquals(400, post("Transfer-Encoding: chunked", "Transfer-Encoding: chunked"));
    }

    @Test
    void transferEncodingInHttp10Is400() {
        assertEquals(400, requestStatus(head("POST / HTTP/1.0", "Transfer-Encoding: chunked")));
    }

    // ------------------------------------------------------------------ field syntax

    @Test
    void obsFoldIs400() {
        assertEquals(400, post("X-A: one", " two"));
        assertEquals(400, post("X-A: one", "\ttwo"));
    }

    @Test
    void whitespaceBeforeTheFirstFieldIs400() {
        assertEquals(400, requestStatus(head("GET / HTTP/1.1", " Host: a")));
    }

    @Test
    void whitespaceBeforeColonIs400() {
        assertEquals(400, post("Content-Length : 5"));
        assertEquals(400, post("Transfer-Encoding\t: chunked"));
    }

    @Test
    void bareCrInAValueIs400() {
        assertEquals(400, post("X-A: a\rb"));
    }

    @Test
    void bareCrAtTheEndOfAFieldLineIs400() {
        assertEquals(400, requestStatus("GET / HTTP/1.1\r\nHost: a\r\r\n\r\n"));
    }

    @Test
    void bareCrInTheRequestLineIs400() {
        assertEquals(400, requestStatus("GET /\r HTTP/1.1\r\nHost: a\r\n\r\n"));
    }

    @Test
    void nulIsRejectedAnywhereWith400() {
        assertEquals(400, post("X-A: a\u0000b"));
        assertEquals(400, post("X\u0000A: b"));
        assertEquals(400, requestStatus("GET /\u0000 HTTP/1.1\r\nHost: a\r\n\r\n"));
    }

    @ParameterizedTest
    @ValueSource(chars = {0x01, 0x0b, 0x0c, 0x1b, 0x1f, 0x7f})
    void controlBytesInValuesAre400(char c) {
        assertEquals(400, post("X-A: a" + c + "b"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"X A", "X\u00e9", "X@", "X(", "X\"", "X/", "[X]", "X{"})
    void invalidBytesInNamesAre400(String name) {
        assertEquals(400, post(name + ": v"));
    }

    @Test
    void anEmptyNameIs400() {
        assertEquals(400, post(": v"));
    }

    @Test
    void aFieldLineWithoutColonIs400() {
        assertEquals(400, post("Content-Length 5"));
    }

    @Test
    void tooManyFieldsAre431() throws HttpException {
        byte[] h = bytes(head("GET / HTTP/1.1", "Host: a", "X: 1", "Y: 2", "Z: 3"));
        assertEquals(431, assertThrows(HttpException.class, () -> HeadParser.parseRequest(h, 3)).status());
    }

    // ------------------------------------------------------------------ Host

    @Test
    void missingHostInHttp11Is400() {
        assertEquals(400, requestStatus(head("GET / HTTP/1.1", "X: a")));
    }

    @Test
    void duplicateHostIs400EvenWhenIdentical() {
        assertEquals(400, requestStatus(head("GET / HTTP/1.1", "Host: a", "Host: b")));
        assertEquals(400, requestStatus(head("GET / HTTP/1.1", "Host: a", "host: a")));
    }

    @Test
    void duplicateHostInHttp10Is400() {
        assertEquals(400, requestStatus(head("GET / HTTP/1.0", "Host: a", "Host: b")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"a b", "a/b", "user@a", "a\\b", "a\"b", "a<b", "a#b", "a?b", "caf\u00e9"})
    void invalidHostValuesAre400(String host) {
        assertEquals(400, requestStatus(head("GET / HTTP/1.1", "Host: " + host)));
    }

    // ------------------------------------------------------------------ request line

    @ParameterizedTest
    @ValueSource(strings = {
        "GET /", "GET / ", "GET  / HTTP/1.1", "GET / HTTP/1.1 ", "GET /  HTTP/1.1", " GET / HTTP/1.1",
        "GET\t/ HTTP/1.1", "GET /\tHTTP/1.1", "GET / http/1.1", "GET / HTTP/1", "GET / HTTP/1.", "GET / HTTP/1.x",
        "GET / HTTP/11.1", "GET / HTTP/1.10", "G(T / HTTP/1.1", "GET /a b HTTP/1.1", "/ HTTP/1.1", "GET HTTP/1.1",
        "GET / HTTPS/1.1", "GET / HTTP /1.1"})
    void malformedRequestLinesAre400(String line) {
        assertEquals(400, requestStatus(head(line, "Host: a")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"/a\u007fb", "/caf\u00e9", "/a#frag", "/#", "/a?b#c"})
    void invalidTargetBytesAre400(String target) {
        assertEquals(400, requestStatus(head("GET " + target + " HTTP/1.1", "Host: a")));
    }

    @Test
    void asteriskFormOtherThanOptionsIs400() {
        assertEquals(400, requestStatus(head("GET * HTTP/1.1", "Host: a")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"ftp://a/", "a.example/x", "http:/a/", "http://", "http:///x", "http://user@a/",
        "http://user:pw@a/x", "http://a\"b/", "http://a\\b/", "http://a<b>/", "http://a{b}/", "http://a|b/"})
    void malformedAbsoluteFormTargetsAre400(String target) {
        assertEquals(400, requestStatus(head("GET " + target + " HTTP/1.1", "Host: a")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"HTTP/2.0", "HTTP/0.9", "HTTP/3.1", "HTTP/9.9"})
    void otherMajorVersionsAre505(String version) {
        assertEquals(505, requestStatus(head("GET / " + version, "Host: a")));
    }

    // ------------------------------------------------------------------ methods and expectations

    @Test
    void connectIs405() {
        assertEquals(405, requestStatus(head("CONNECT a.example:443 HTTP/1.1", "Host: a.example:443")));
    }

    @Test
    void connectIs405WhateverItsHost() {
        assertEquals(405, requestStatus(head("CONNECT a.example:443 HTTP/1.1")));
    }

    @Test
    void expectationsOtherThan100ContinueAre417() {
        assertEquals(417, post("Content-Length: 1", "Expect: 200-ok"));
        assertEquals(417, post("Content-Length: 1", "Expect: 100-continue, foo"));
        assertEquals(417, post("Content-Length: 1", "Expect:"));
    }

    @Test
    void repeatedExpectIs417() {
        assertEquals(417, post("Content-Length: 1", "Expect: 100-continue", "Expect: 100-continue"));
    }

    @Test
    void unterminatedHeadIs400() {
        assertEquals(400, requestStatus("GET / HTTP/1.1\r\nHost: a"));
    }
}
