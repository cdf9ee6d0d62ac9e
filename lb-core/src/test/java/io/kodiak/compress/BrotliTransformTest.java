package io.kodiak.compress;

import com.aayushatharva.brotli4j.decoder.BrotliInputStream;
import com.aayushatharva.brotli4j.decoder.DecoderJNI;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import static io.kodiak.compress.GzipTransformTest.run;
import static io.kodiak.compress.GzipTransformTest.text;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Brotli stream through brotli4j's native encoder: loads here, round-trips, flushes per piece. */
class BrotliTransformTest {
    static byte[] unbrotli(byte[] br) throws IOException {
        try (InputStream in = new BrotliInputStream(new ByteArrayInputStream(br))) {
            return in.readAllBytes();
        }
    }

    @Test
    void theNativeEncoderLoadsOnThisPlatform() {
        assertTrue(Brotli.available(), "brotli4j's native library for linux-x86_64 is on the classpath");
    }

    @Test
    void roundTripsWhateverThePieces() throws IOException {
        byte[] body = text(300_000);
        for (int piece : new int[] {7, 1000, 16 * 1024, 16 * 1024 + 1, 65536, 300_000}) {
            byte[] in = piece == 7 ? text(5000) : body;
            assertArrayEquals(in, unbrotli(run(new BrotliTransform(4), in, piece)), "pieces of " + piece);
        }
        assertArrayEquals(body, unbrotli(run(new BrotliTransform(11), body, 65536)));
        assertEquals(0, unbrotli(run(new BrotliTransform(4), new byte[0], 1)).length);
    }

    @Test
    void eachPieceDecodesAsSoonAsItIsOut() throws IOException {
        BrotliTransform t = new BrotliTransform(4);
        byte[] first = "data: event one\n\n".getBytes(StandardCharsets.US_ASCII);
        java.io.ByteArrayOutputStream sent = new java.io.ByteArrayOutputStream();
        GzipTransformTest.write(sent, t.apply(ByteBuffer.wrap(first)));
        GzipTransformTest.write(sent, t.flush());
        byte[] a = sent.toByteArray();
        DecoderJNI.Wrapper d = new DecoderJNI.Wrapper(a.length);
        d.getInputBuffer().put(a);
        d.push(a.length);
        java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < 100 && (d.hasOutput() || d.getStatus() != DecoderJNI.Status.NEEDS_MORE_INPUT); i++) {
            if (d.hasOutput()) {
                ByteBuffer o = d.pull();
                byte[] b = new byte[o.remaining()];
                o.get(b);
                got.write(b, 0, b.length);
            } else {
                d.push(0);
            }
        }
        assertEquals(DecoderJNI.Status.NEEDS_MORE_INPUT, d.getStatus(), "the stream goes on");
        byte[] seen = got.toByteArray();
        d.destroy();
        assertArrayEquals(first, seen, "a streamed event reaches the client without waiting for more");
        t.close();
    }

    @Test
    void closeFreesTheEncoder() throws IOException {
        BrotliTransform t = new BrotliTransform(4);
        t.apply(ByteBuffer.wrap(text(1000)));
        t.close();
        t.close();
        assertThrows(IllegalStateException.class, () -> t.finish());
    }

    @Test
    void flushCostPerPiece() throws IOException {
        byte[] body = text(4 << 20);
        int whole = run(new BrotliTransform(4), body, body.length).length;
        StringBuilder report = new StringBuilder("brotli 4, 4 MiB of HTML rows: whole " + whole + " bytes");
        for (int piece : new int[] {1024, 4096, 16384, 65536}) {
            int flushed = run(new BrotliTransform(4), body, piece).length;
            report.append(String.format("; %d-byte pieces %d (+%.1f%%)", piece, flushed, 100.0 * (flushed - whole) / whole));
        }
        System.out.println(report);
    }
}
