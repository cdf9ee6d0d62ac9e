package io.kodiak.http;

import org.glassfish.grizzly.Buffer;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static io.kodiak.http.Wire.buf;
import static io.kodiak.http.Wire.bytes;
import static io.kodiak.http.Wire.rest;
import static io.kodiak.http.Wire.split;
import static io.kodiak.http.Wire.str;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HeadReaderTest {
    private static final int MAX_LINE = 32;
    private static final int MAX_HEAD = 128;
    private static final String GET = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";

    private static HeadReader requests() {
        return new HeadReader(MAX_LINE, MAX_HEAD, 414, 431);
    }

    private static int status(HeadReader r, String input) {
        return assertThrows(HttpException.class, () -> r.read(buf(input))).status();
    }

    @Test
    void returnsTheHeadAndLeavesTheBodyInTheBuffer() throws HttpException {
        Buffer in = buf(GET + "body");
        assertEquals(GET, str(requests().read(in)));
        assertEquals("body", str(rest(in)));
    }

    @Test
    void returnsNullUntilTheEmptyLineArrives() throws HttpException {
        HeadReader r = requests();
        assertNull(r.read(buf("GET / HTTP/1.1\r\nHost: a\r\n")));
        assertTrue(r.started());
        assertNull(r.read(buf("\r")));
        assertEquals(GET, str(r.read(buf("\n"))));
        assertFalse(r.started());
    }

    @Test
    void acceptsLfLineEnds() throws HttpException {
        String lf = "GET / HTTP/1.1\nHost: a\n\n";
        assertEquals(lf, str(requests().read(buf(lf + "x"))));
    }

    @Test
    void endsAtLfCrLfAfterAnLfLine() throws HttpException {
        String mixed = "GET / HTTP/1.1\nHost: a\n\r\n";
        assertEquals(mixed, str(requests().read(buf(mixed))));
    }

    @Test
    void skipsUpToFourLeadingEmptyLines() throws HttpException {
        HeadReader r = requests();
        assertEquals(GET, str(r.read(buf("\r\n\n\r\n\n" + GET))));
    }

    @Test
    void rejectsAFifthLeadingEmptyLine() {
        assertEquals(400, status(requests(), "\r\n\r\n\r\n\r\n\r\n" + GET));
    }

    @Test
    void leadingEmptyLinesDoNotCountAsStarted() throws HttpException {
        HeadReader r = requests();
        assertNull(r.read(buf("\r\n\r")));
        assertFalse(r.started());
    }

    @Test
    void skipsALeadingCrLfSplitAcrossReads() throws HttpException {
        // Regression: the CR alone at the end of a read used to be kept as a head byte (400).
        HeadReader r = requests();
        assertNull(r.read(buf("\r")));
        assertEquals(GET, str(r.read(buf("\n" + GET))));
    }

    @Test
    void rejectsABareCrBeforeTheStartLine() {
        assertEquals(400, status(requests(), "\rGET / HTTP/1.1\r\n\r\n"));
    }

    @Test
    void rejectsABareCrBeforeTheStartLineSplitAcrossReads() throws HttpException {
        HeadReader r = requests();
        assertNull(r.read(buf("\r")));
        assertEquals(400, status(r, "GET / HTTP/1.1\r\n\r\n"));
    }

    @Test
    void acceptsAStartLineOfExactlyTheLimit() throws HttpException {
        String line = "GET /" + "a".repeat(MAX_LINE - 14) + " HTTP/1.1";
        assertEquals(MAX_LINE, line.length());
        assertEquals(line + "\r\n\r\n", str(requests().read(buf(line + "\r\n\r\n"))));
    }

    @Test
    void rejectsAStartLineOverTheLimitWith414() {
        String line = "GET /" + "a".repeat(MAX_LINE - 13) + " HTTP/1.1";
        assertEquals(414, status(requests(), line + "\r\n\r\n"));
    }

    @Test
    void rejectsAnOverlongStartLineBeforeItsEndArrives() {
        // Without a line end yet, more than the limit plus a CR is already too long.
        assertEquals(414, status(requests(), "GET /" + "a".repeat(MAX_LINE)));
    }

    @Test
    void acceptsAHeadOfExactlyTheLimit() throws HttpException {
        String start = "GET / HTTP/1.1\r\nX: ";
        String head = start + "v".repeat(MAX_HEAD - start.length() - 4) + "\r\n\r\n";
        assertEquals(MAX_HEAD, head.length());
        assertEquals(head, str(requests().read(buf(head))));
    }

    @Test
    void rejectsAHeadOverTheLimitWith431() {
        String start = "GET / HTTP/1.1\r\nX: ";
        String head = start + "v".repeat(MAX_HEAD - start.length() - 3) + "\r\n\r\n";
        assertEquals(431, status(requests(), head));
    }

    @Test
    void responseReadersUseTheirOwnStatuses() {
        HeadReader r = new HeadReader(MAX_LINE, MAX_HEAD, 502, 502);
        assertEquals(502, status(r, "HTTP/1.1 200 " + "x".repeat(MAX_LINE)));
        HeadReader big = new HeadReader(MAX_LINE, MAX_HEAD, 502, 502);
        assertEquals(502, status(big, "HTTP/1.1 200 OK\r\nX: " + "v".repeat(MAX_HEAD)));
    }

    @Test
    void readsPipelinedHeadsOneAfterAnother() throws HttpException {
        HeadReader r = requests();
        Buffer in = buf(GET + "\r\n" + "HEAD /x HTTP/1.1\r\nHost: b\r\n\r\n");
        assertEquals(GET, str(r.read(in)));
        assertEquals("HEAD /x HTTP/1.1\r\nHost: b\r\n\r\n", str(r.read(in)));
        assertFalse(in.hasRemaining());
    }

    // ------------------------------------------------------------------ incremental == one-shot

    /** Streams of heads, valid and not, with small limits so that limit errors are in reach. */
    private static final String[] STREAMS = {
        GET,
        "\r\n" + GET,
        "\n\r\n\n" + GET,
        "GET / HTTP/1.1\nHost: a\n\n",
        "GET / HTTP/1.1\nHost: a\n\r\n",
        GET + "\r\n" + "POST /p HTTP/1.1\r\nHost: b\r\nContent-Length: 0\r\n\r\n" + GET,
        "\r\n\r\n\r\n\r\n\r\n" + GET,
        "\rGET / HTTP/1.1\r\n\r\n",
        "\r\r\n" + GET,
        "GET /" + "a".repeat(MAX_LINE) + " HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1\r\nX: " + "v".repeat(MAX_HEAD) + "\r\n\r\n",
        "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\nF: 6\r\nG: 7\r\nH: 8\r\nI: 9\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\n",
    };

    /** Everything a reader made of a stream: the heads, then the error status (0 if none) and its state. */
    private static String outcome(List<Buffer> pieces) {
        HeadReader r = requests();
        List<String> heads = new ArrayList<>();
        try {
            for (Buffer piece : pieces) {
                while (piece.hasRemaining()) {
                    byte[] head = r.read(piece);
                    if (head != null) {
                        heads.add(str(head));
                    }
                }
            }
            return heads + " started=" + r.started();
        } catch (HttpException e) {
            return heads + " status=" + e.status();
        }
    }

    @Test
    void byteByByteReadsTheSameAsOneShot() {
        for (String s : STREAMS) {
            assertEquals(outcome(List.of(buf(s))), outcome(split(bytes(s), null)), s);
        }
    }

    @Test
    void randomSplitsReadTheSameAsOneShot() {
        Random rnd = new Random(20240611L);
        for (String s : STREAMS) {
            String oneShot = outcome(List.of(buf(s)));
            for (int round = 0; round < 200; round++) {
                assertEquals(oneShot, outcome(split(bytes(s), rnd)), s);
            }
        }
    }

    /**
     * A head found in the read buffer itself (no copy into the reader) must come out the same
     * whatever the buffer is: a window into a larger array, as Grizzly's pooled reads are, or a
     * direct buffer without an array, which takes the copying path.
     */
    @Test
    void windowsIntoLargerArraysAndDirectBuffersReadTheSameAsOneShot() {
        for (String s : STREAMS) {
            String oneShot = outcome(List.of(buf(s)));
            byte[] data = bytes(s);
            byte[] padded = new byte[data.length + 10];
            java.util.Arrays.fill(padded, (byte) '\n'); // bytes outside the window would end a head early
            System.arraycopy(data, 0, padded, 5, data.length);
            Buffer window = org.glassfish.grizzly.memory.Buffers.wrap(null, padded, 5, data.length);
            assertEquals(oneShot, outcome(List.of(window)), s);
            java.nio.ByteBuffer direct = java.nio.ByteBuffer.allocateDirect(data.length).put(data).flip();
            Buffer noArray = new org.glassfish.grizzly.memory.ByteBufferWrapper(direct);
            assertFalse(noArray.hasArray());
            assertEquals(oneShot, outcome(List.of(noArray)), s);
        }
    }

    @Test
    void anIdleReaderHoldsNoBuffer() throws HttpException {
        HeadReader r = requests();
        assertEquals(GET, str(r.read(buf(GET))));
        assertEquals("HeadReader[0 bytes buffered, 0 held]", r.toString());
        assertNull(r.read(buf("GET / HT")));
        assertEquals("HeadReader[8 bytes buffered, 128 held]", r.toString()); // a split head: up to the limit
        assertEquals(GET, str(r.read(buf("TP/1.1\r\nHost: a\r\n\r\n"))));
        assertEquals("HeadReader[0 bytes buffered, 0 held]", r.toString());
    }

    @Test
    void oneShotOutcomesAreTheExpectedOnes() {
        // Pins what the equivalence tests compare against, so that they cannot agree on garbage.
        assertEquals("[" + GET + "] started=false", outcome(List.of(buf(STREAMS[1]))));
        assertEquals("[] status=400", outcome(List.of(buf(STREAMS[6]))));
        assertEquals("[] status=400", outcome(List.of(buf(STREAMS[8]))));
        assertEquals("[] status=414", outcome(List.of(buf(STREAMS[9]))));
        assertEquals("[] status=431", outcome(List.of(buf(STREAMS[10]))));
        assertEquals("[] started=true", outcome(List.of(buf(STREAMS[12]))));
    }
}
