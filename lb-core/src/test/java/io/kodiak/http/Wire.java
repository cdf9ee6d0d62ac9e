package io.kodiak.http;

import org.glassfish.grizzly.Buffer;
import org.glassfish.grizzly.memory.Buffers;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertThrows;

/** Byte and buffer helpers for the codec tests: ISO-8859-1 strings, message heads, random splits. */
final class Wire {
    private Wire() {
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    static String str(byte[] b) {
        return new String(b, StandardCharsets.ISO_8859_1);
    }

    static String str(Bytes b) {
        return str(b.toArray());
    }

    static Buffer buf(String s) {
        return Buffers.wrap(null, bytes(s));
    }

    static Buffer buf(byte[] b) {
        return Buffers.wrap(null, b);
    }

    /** The lines joined with CRLF, ending with the empty line that ends a head. */
    static String head(String... lines) {
        return String.join("\r\n", lines) + "\r\n\r\n";
    }

    static byte[] rest(Buffer b) {
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    /** Cuts {@code data} into pieces: one byte each if {@code rnd} is null, else random lengths (some empty). */
    static List<Buffer> split(byte[] data, Random rnd) {
        List<Buffer> out = new ArrayList<>();
        int p = 0;
        while (p < data.length) {
            int n = rnd == null ? 1 : rnd.nextInt(Math.min(data.length - p, 17) + 1);
            byte[] piece = new byte[n];
            System.arraycopy(data, p, piece, 0, n);
            out.add(buf(piece));
            p += n;
        }
        return out;
    }

    static RequestHead request(String head) throws HttpException {
        return HeadParser.parseRequest(bytes(head), 100);
    }

    static ResponseHead response(String head) throws HttpException {
        return HeadParser.parseResponse(bytes(head), false);
    }

    static int requestStatus(String head) {
        return assertThrows(HttpException.class, () -> request(head), head).status();
    }

    static int responseStatus(String head) {
        return assertThrows(HttpException.class, () -> response(head), head).status();
    }

    /**
     * Feeds the pieces to a decoder in order, as a connection would: decode while a piece has
     * bytes and the body is not done. Returns the payload, or throws the decoder's error.
     */
    static Decoded decode(BodyDecoder d, List<Buffer> pieces) throws HttpException {
        ByteArrayOutputStream payload = new ByteArrayOutputStream();
        ByteArrayOutputStream after = new ByteArrayOutputStream();
        for (Buffer piece : pieces) {
            while (piece.hasRemaining() && !d.done()) {
                Buffer slice = d.decode(piece);
                if (slice != null) {
                    payload.writeBytes(rest(slice));
                }
            }
            after.writeBytes(rest(piece));
        }
        return new Decoded(str(payload.toByteArray()), d.done(), str(after.toByteArray()));
    }

    /** What a decoder produced: the payload, whether it finished, and the bytes it left alone. */
    record Decoded(String payload, boolean done, String after) {
    }
}
