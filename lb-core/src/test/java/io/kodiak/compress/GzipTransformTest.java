package io.kodiak.compress;

import io.kodiak.filter.BodyTransform;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import java.util.zip.Inflater;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The gzip stream piece by piece: a valid RFC 1952 stream whatever the pieces, each piece
 * decodable as soon as it is out (the flush), bounded output per call, and the cost of flushing.
 */
class GzipTransformTest {
    /** Compressible text like a page or a JSON listing: repeated words, changing numbers. */
    static byte[] text(int length) {
        StringBuilder sb = new StringBuilder(length + 100);
        for (int i = 0; sb.length() < length; i++) {
            sb.append("<tr><td class=\"row\">").append(i).append("</td><td>item ").append(i * 7919 % 1000)
                    .append(" lorem ipsum dolor sit amet</td></tr>\n");
        }
        return sb.substring(0, length).getBytes(StandardCharsets.US_ASCII);
    }

    /** {@code body} through {@code t} in reads of {@code piece} bytes, each read one piece and a flush. */
    static byte[] run(BodyTransform t, byte[] body, int piece) {
        return run(t, body, piece, 1);
    }

    /** ... each read {@code perRead} pieces (chunks) and a flush. */
    static byte[] run(BodyTransform t, byte[] body, int piece, int perRead) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int inRead = 0;
        for (int off = 0; off < body.length; off += piece) {
            write(out, t.apply(ByteBuffer.wrap(body, off, Math.min(piece, body.length - off))));
            if (++inRead == perRead && off + piece < body.length) {
                write(out, t.flush());
                inRead = 0;
            }
        }
        write(out, t.finish());
        return out.toByteArray();
    }

    static void write(ByteArrayOutputStream out, ByteBuffer b) {
        if (b != null) {
            byte[] a = new byte[b.remaining()];
            b.get(a);
            out.write(a, 0, a.length);
        }
    }

    static byte[] gunzip(byte[] gz) throws IOException {
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(gz))) {
            return in.readAllBytes();
        }
    }

    @Test
    void roundTripsWhateverThePieces() throws IOException {
        byte[] body = text(300_000);
        for (int piece : new int[] {1, 7, 1000, 16 * 1024, 65536, 300_000}) {
            byte[] body1 = piece == 1 ? text(3000) : body; // one byte per call: keep it short
            assertArrayEquals(body1, gunzip(run(new GzipTransform(1), body1, piece)), "pieces of " + piece);
        }
        assertArrayEquals(body, gunzip(run(new GzipTransform(9), body, 8192)));
    }

    @Test
    void anEmptyBodyIsAnEmptyGzipStream() throws IOException {
        byte[] gz = run(new GzipTransform(1), new byte[0], 1);
        assertEquals(0, gunzip(gz).length);
        assertEquals((byte) 0x1f, gz[0]);
    }

    @Test
    void eachPieceDecodesAsSoonAsItIsOut() throws Exception {
        GzipTransform t = new GzipTransform(6);
        Inflater inflater = new Inflater(true);
        byte[] first = "data: event one\n\n".getBytes(StandardCharsets.US_ASCII);
        ByteArrayOutputStream sent = new ByteArrayOutputStream();
        assertEquals(null, t.apply(ByteBuffer.wrap(first)), "held in the window: not even a lone header goes out");
        write(sent, t.flush());
        assertEquals(null, t.flush(), "nothing new: no empty block");
        byte[] a = sent.toByteArray();
        inflater.setInput(a, 10, a.length - 10); // after the 10-byte header
        byte[] seen = new byte[100];
        int n = inflater.inflate(seen);
        assertEquals(new String(first, StandardCharsets.US_ASCII), new String(seen, 0, n, StandardCharsets.US_ASCII),
                "a streamed event reaches the client without waiting for more");
        inflater.end();
        t.close();
    }

    @Test
    void outputPerCallIsBoundedByItsInput() {
        GzipTransform t = new GzipTransform(1);
        java.util.Random r = new java.util.Random(42);
        byte[] noise = new byte[200_000];
        r.nextBytes(noise); // incompressible: the worst case
        ByteBuffer out = t.apply(ByteBuffer.wrap(noise));
        assertTrue(out.remaining() <= noise.length + noise.length / 1000 + 64 + 10, out.remaining() + " bytes out");
        assertEquals(out.remaining(), out.capacity(), "no slack capacity held in the spool");
        ByteBuffer rest = t.flush();
        assertTrue(out.remaining() + rest.remaining() <= noise.length + noise.length / 1000 + 64 + 10);
        t.close();
    }

    @Test
    void closeFreesTheDeflaterAndEndsTheStream() {
        GzipTransform t = new GzipTransform(1);
        t.apply(ByteBuffer.wrap(text(1000)));
        t.close();
        t.close(); // idempotent
        assertThrows(IllegalStateException.class, () -> t.apply(ByteBuffer.wrap(new byte[1])));
        GzipTransform done = new GzipTransform(1);
        done.finish();
        done.close(); // after finish: nothing left to free, no error
    }

    @Test
    void manySmallChunksInOneReadCostOneFlush() throws IOException {
        byte[] body = text(1 << 20);
        int perChunk = run(new GzipTransform(1), body, 100).length;
        int perRead = run(new GzipTransform(1), body, 100, 160).length; // 100-byte chunks, 16 KB reads
        assertArrayEquals(body, gunzip(run(new GzipTransform(1), body, 100, 160)));
        assertTrue(perRead * 2 < perChunk, "a flush per read: " + perRead + " bytes; per chunk: " + perChunk);
    }

    /**
     * What a flush per piece costs against one stream compressed whole, at typical read sizes.
     * Printed for the documentation; asserted only loosely (a flush costs bytes, never correctness).
     */
    @Test
    void flushCostPerPiece() throws IOException {
        byte[] body = text(4 << 20);
        ByteArrayOutputStream whole = new ByteArrayOutputStream();
        try (GZIPOutputStream g = new GZIPOutputStream(whole) {
            {
                def.setLevel(1);
            }
        }) {
            g.write(body);
        }
        StringBuilder report = new StringBuilder("gzip level 1, 4 MiB of HTML rows: whole " + whole.size() + " bytes");
        for (int piece : new int[] {1024, 4096, 16384, 65536}) {
            int flushed = run(new GzipTransform(1), body, piece).length;
            report.append(String.format("; %d-byte pieces %d (+%.1f%%)", piece, flushed,
                    100.0 * (flushed - whole.size()) / whole.size()));
            assertTrue(flushed < body.length / 2, "still compresses");
        }
        System.out.println(report);
    }
}
