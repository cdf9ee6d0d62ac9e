package io.kodiak.auth;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The SHA-256 the authentication caches key on, one per thread, and the one way they feed it a
 * part: its length first (four bytes, big-endian), so that ("ab", "c") and ("a", "bc") never make
 * the same key.
 */
final class KeyDigest {
    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    });

    private KeyDigest() {
    }

    /** This thread's SHA-256, reset. */
    static MessageDigest start() {
        MessageDigest md = SHA256.get();
        md.reset();
        return md;
    }

    /** {@code b[from, to)}, length-prefixed. */
    static void part(MessageDigest md, byte[] b, int from, int to) {
        int len = to - from;
        md.update((byte) (len >>> 24));
        md.update((byte) (len >>> 16));
        md.update((byte) (len >>> 8));
        md.update((byte) len);
        md.update(b, from, len);
    }
}
