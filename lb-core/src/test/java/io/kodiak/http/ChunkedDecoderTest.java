package io.kodiak.http;

import io.kodiak.http.Wire.Decoded;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.Random;

import static io.kodiak.http.Wire.buf;
import static io.kodiak.http.Wire.bytes;
import static io.kodiak.http.Wire.decode;
import static io.kodiak.http.Wire.split;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChunkedDecoderTest {

    private static Decoded oneShot(String body) throws HttpException {
        return decode(BodyDecoder.chunked(400), List.of(buf(body)));
    }

    private static int status(String body) {
        return assertThrows(HttpException.class, () -> oneShot(body), body).status();
    }

    // ------------------------------------------------------------------ accepted

    @Test
    void decodesChunksAndLeavesTheNextMessageInTheBuffer() throws HttpException {
        Decoded d = oneShot("5\r\nhello\r\n7\r\n, world\r\n0\r\n\r\nGET / HTTP/1.1");
        assertEquals(new Decoded("hello, world", true, "GET / HTTP/1.1"), d);
    }

    @Test
    void decodesAnEmptyBody() throws HttpException {
        assertEquals(new Decoded("", true, ""), oneShot("0\r\n\r\n"));
    }

    @Test
    void readsHexSizesInEitherCaseWithLeadingZeros() throws HttpException {
        String data = "x".repeat(0x1a);
        assertEquals(data + data, oneShot("1a\r\n" + data + "\r\n001A\r\n" + data + "\r\n0\r\n\r\n").payload());
    }

    @Test
    void acceptsFifteenHexDigits() throws HttpException {
        assertEquals("ab", oneShot("000000000000002\r\nab\r\n0\r\n\r\n").payload());
    }

    @Test
    void ignoresExtensions() throws HttpException {
        String body = "3;a\r\nabc\r\n3 ; name = value ;flag\r\ndef\r\n2;q=\"a \\\"quoted\\\" ;\\\\ \u00e9\"\r\ngh\r\n0;last\r\n\r\n";
        assertEquals(new Decoded("abcdefgh", true, ""), oneShot(body));
    }

    @Test
    void acceptsWhitespaceBeforeTheLineEnd() throws HttpException {
        assertEquals("abc", oneShot("3 \t\r\nabc\r\n0;x=1 \r\n\r\n").payload());
    }

    @Test
    void dropsTrailers() throws HttpException {
        Decoded d = oneShot("3\r\nabc\r\n0\r\nX-Checksum: 1234\r\nX-Empty:\r\nX-Odd:  a\u00e9 b\t\r\n\r\nNEXT");
        assertEquals(new Decoded("abc", true, "NEXT"), d);
    }

    @Test
    void returnsNullForFramingOnlyAndIsNotDoneUntilTheEnd() throws HttpException {
        BodyDecoder d = BodyDecoder.chunked(400);
        assertNull(d.decode(buf("3\r\n")));
        assertFalse(d.done());
        assertEquals("abc", Wire.str(Wire.rest(d.decode(buf("abc")))));
        assertNull(d.decode(buf("\r\n0\r\n\r")));
        assertFalse(d.done());
        assertNull(d.decode(buf("\n")));
        assertTrue(d.done());
        assertFalse(d.completesOnEof());
    }

    @Test
    void slicesDataWithoutCrossingIntoFraming() throws HttpException {
        BodyDecoder d = BodyDecoder.chunked(400);
        var in = buf("4\r\nabcd\r\n0\r\n\r\n");
        assertEquals("abcd", Wire.str(Wire.rest(d.decode(in))));
        assertEquals("\r\n0\r\n\r\n", Wire.str(Wire.rest(in)), "the framing after the data stays in the input");
    }

    // ------------------------------------------------------------------ rejected

    @ParameterizedTest
    @ValueSource(strings = {"\r\n", "x\r\n", "-5\r\n", "+5\r\n", "0x5\r\n", " 5\r\n", ";a\r\n", "5\u00a0\r\n"})
    void invalidChunkSizesAre400(String line) {
        assertEquals(400, status(line + "hello\r\n0\r\n\r\n"));
    }

    @Test
    void sixteenHexDigitsAre400() {
        assertEquals(400, status("0000000000000005\r\nhello\r\n0\r\n\r\n"));
    }

    @Test
    void bareLfAfterTheSizeIs400() {
        assertEquals(400, status("5\nhello\r\n0\r\n\r\n"));
    }

    @Test
    void bareCrAfterTheSizeIs400() {
        assertEquals(400, status("5\rhello\r\n0\r\n\r\n"));
    }

    @Test
    void bareLfAfterDataIs400() {
        assertEquals(400, status("5\r\nhello\n0\r\n\r\n"));
    }

    @Test
    void dataLongerThanItsSizeIs400() {
        assertEquals(400, status("3\r\nhello\r\n0\r\n\r\n"));
    }

    @Test
    void bareCrAfterDataIs400() {
        assertEquals(400, status("5\r\nhello\r0\r\n\r\n"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"5 junk", "5 ;", "5;", "5; ", "5;a=", "5;a= ", "5;=b", "5;a b", "5;a=b c", "5;a=\"b",
        "5;a=\"b\"c", "5;a=\"b\u0001\"", "5;a=\"\\\u0001\"", "5;a@b", "5;a=b@", "5;a;;b", "5;a=\"b\r\n\"", "5;a\u00e9"})
    void invalidExtensionsAre400(String line) {
        assertEquals(400, status(line + "\r\nhello\r\n0\r\n\r\n"));
    }

    @Test
    void bareLfInAnExtensionIs400() {
        assertEquals(400, status("5;a\nhello\r\n0\r\n\r\n"));
        assertEquals(400, status("5;a=\"x\ny\"\r\nhello\r\n0\r\n\r\n"));
    }

    @Test
    void aSizeLineOfExactlyTheLimitIsAccepted() throws HttpException {
        // The limit is 4096 bytes including the CR.
        String line = "5;a=" + "b".repeat(4095 - 4);
        assertEquals("hello", oneShot(line + "\r\nhello\r\n0\r\n\r\n").payload());
    }

    @Test
    void aSizeLineOverTheLimitIs400() {
        assertEquals(400, status("5;a=" + "b".repeat(4096 - 4) + "\r\nhello\r\n0\r\n\r\n"));
    }

    @Test
    void theLimitAppliesToEverySizeLine() throws HttpException {
        String line = "5;a=" + "b".repeat(4095 - 4);
        assertEquals("hellohello", oneShot(line + "\r\nhello\r\n" + line + "\r\nhello\r\n0\r\n\r\n").payload());
    }

    @ParameterizedTest
    @ValueSource(strings = {"NoColon", " folded: x", "\tX: y", ": empty-name", "X : y", "X\u00e9: y", "X: a\u0001b",
        "X: a\u007fb"})
    void invalidTrailerLinesAre400(String line) {
        assertEquals(400, status("0\r\n" + line + "\r\n\r\n"));
    }

    @Test
    void bareLfInTrailersIs400() {
        assertEquals(400, status("0\r\nX: y\n\r\n"));
        assertEquals(400, status("0\r\n\n"));
    }

    @Test
    void bareCrInTrailersIs400() {
        assertEquals(400, status("0\r\nX: y\rz\r\n\r\n"));
        assertEquals(400, status("0\r\n\rX"));
    }

    @Test
    void anOversizeTrailerSectionIs400() {
        assertEquals(400, status("0\r\nX: " + "v".repeat(16 * 1024) + "\r\n\r\n"));
    }

    @Test
    void responseBodiesFailWith502() {
        HttpException e = assertThrows(HttpException.class,
                () -> decode(BodyDecoder.chunked(502), List.of(buf("5\nhello"))));
        assertEquals(502, e.status());
    }

    // ------------------------------------------------------------------ incremental == one-shot

    private static final String[] BODIES = {
        "5\r\nhello\r\n7\r\n, world\r\n0\r\n\r\nNEXT",
        "1;a=b;c=\"d;e\\\"\"\r\nx\r\n10 ; ext\r\n0123456789abcdef\r\n0\r\nTrailer-A: 1\r\nTrailer-B: 2\r\n\r\n",
        "0\r\n\r\n\r\n",
        "3\r\nabc\r\n0\r\nX: y\r\n\r\nGET / HTTP/1.1\r\n\r\n",
        "5\nhello\r\n0\r\n\r\n",
        "5\r\nhello\r0\r\n\r\n",
        "5;a=\"b\r\nhello\r\n0\r\n\r\n",
        "3\r\nabc\r\n0\r\nbad trailer\r\n\r\n",
        "3\r\nabc\r\n0\r\nX: y\r\n",
        "3\r\nab",
    };

    private static String outcome(List<org.glassfish.grizzly.Buffer> pieces) {
        try {
            return decode(BodyDecoder.chunked(400), pieces).toString();
        } catch (HttpException e) {
            return "status=" + e.status();
        }
    }

    @Test
    void byteByByteDecodesTheSameAsOneShot() {
        for (String b : BODIES) {
            assertEquals(outcome(List.of(buf(b))), outcome(split(bytes(b), null)), b);
        }
    }

    @Test
    void randomSplitsDecodeTheSameAsOneShot() {
        Random rnd = new Random(7_340_033L);
        for (String b : BODIES) {
            String expected = outcome(List.of(buf(b)));
            for (int round = 0; round < 300; round++) {
                assertEquals(expected, outcome(split(bytes(b), rnd)), b);
            }
        }
    }

    @Test
    void oneShotOutcomesAreTheExpectedOnes() {
        assertEquals(new Decoded("hello, world", true, "NEXT").toString(), outcome(List.of(buf(BODIES[0]))));
        assertEquals(new Decoded("x0123456789abcdef", true, "").toString(), outcome(List.of(buf(BODIES[1]))));
        assertEquals(new Decoded("", true, "\r\n").toString(), outcome(List.of(buf(BODIES[2]))));
        assertEquals("status=400", outcome(List.of(buf(BODIES[4]))));
        assertEquals("status=400", outcome(List.of(buf(BODIES[7]))));
        assertEquals(new Decoded("abc", false, "").toString(), outcome(List.of(buf(BODIES[8]))));
        assertEquals(new Decoded("ab", false, "").toString(), outcome(List.of(buf(BODIES[9]))));
    }
}
