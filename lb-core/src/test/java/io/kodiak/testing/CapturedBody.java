package io.kodiak.testing;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A message body as received: always its length and SHA-256, and its bytes only when it fitted the
 * capture limit, so multi-GiB bodies can be checked without holding them.
 */
public final class CapturedBody {

    /** The empty body. */
    public static final CapturedBody EMPTY = new Accumulator(0).finish();

    private final long length;
    private final String sha256;
    private final byte[] bytes;

    private CapturedBody(long length, String sha256, byte[] bytes) {
        this.length = length;
        this.sha256 = sha256;
        this.bytes = bytes;
    }

    /** Number of body bytes received (after removing chunked framing). */
    public long length() {
        return length;
    }

    /** Lower-case hex SHA-256 of the body bytes. */
    public String sha256() {
        return sha256;
    }

    /** Whether the bytes were kept, i.e. the body was within the capture limit. */
    public boolean isCaptured() {
        return bytes != null;
    }

    /**
     * A copy of the body bytes.
     *
     * @throws IllegalStateException if the body exceeded the capture limit; use {@link #sha256()}
     */
    public byte[] bytes() {
        if (bytes == null) {
            throw new IllegalStateException("body of " + length
                    + " bytes exceeded the capture limit; compare length() and sha256() instead");
        }
        return bytes.clone();
    }

    /** The body decoded as UTF-8 (same capture-limit rule as {@link #bytes()}). */
    public String utf8() {
        return new String(bytes(), StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "CapturedBody[length=" + length + ", sha256=" + sha256 + ", captured=" + isCaptured() + "]";
    }

    static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            // Every Java SE platform must provide SHA-256, so this is a broken JDK.
            throw new IllegalStateException("SHA-256 unavailable", e);
        }
    }

    static String hex(byte[] digest) {
        return HexFormat.of().formatHex(digest);
    }

    /** Collects a body piece by piece; not thread-safe (one connection thread owns it). */
    static final class Accumulator {
        private final long captureLimit;
        private final MessageDigest digest = newSha256();
        private ByteArrayOutputStream kept = new ByteArrayOutputStream();
        private long length;

        Accumulator(long captureLimit) {
            this.captureLimit = captureLimit;
        }

        void update(byte[] b, int off, int len) {
            digest.update(b, off, len);
            length += len;
            if (kept != null) {
                if (length > captureLimit) {
                    kept = null; // too big to keep: from here on only length and digest
                } else {
                    kept.write(b, off, len);
                }
            }
        }

        long length() {
            return length;
        }

        CapturedBody finish() {
            return new CapturedBody(length, hex(digest.digest()), kept == null ? null : kept.toByteArray());
        }

        @Override
        public String toString() {
            return "CapturedBody.Accumulator[length=" + length + ", limit=" + captureLimit + "]";
        }
    }
}
