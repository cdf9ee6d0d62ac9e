package io.kodiak.proxy;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** Plain-socket helpers for tests that need the raw stream rather than a parsed exchange. */
final class WireIo {
    private WireIo() {
    }

    /** Reads a message head through its empty line (CRLF CRLF), as ISO-8859-1. */
    static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        byte[] end = {'\r', '\n', '\r', '\n'};
        int matched = 0;
        while (matched < end.length) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("closed inside a head: " + head.toString(StandardCharsets.ISO_8859_1));
            }
            head.write(b);
            matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    /** Lower-case hex SHA-256 of the next {@code length} bytes; fails if the stream ends first. */
    static String sha256(InputStream in, long length) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
        byte[] buf = new byte[64 * 1024];
        for (long left = length; left > 0; ) {
            int n = in.read(buf, 0, (int) Math.min(buf.length, left));
            if (n < 0) {
                throw new EOFException("stream ended after " + (length - left) + " of " + length + " bytes");
            }
            digest.update(buf, 0, n);
            left -= n;
        }
        return HexFormat.of().formatHex(digest.digest());
    }
}
