package io.kodiak.auth;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.function.LongSupplier;

/**
 * Recent verifications, so that a browser's every request does not cost a bcrypt: a bounded,
 * least-recently-used set of keys that expire ({@link ExpiringLru}). A key is the SHA-256 of a random
 * per-process secret, the user, the password and the user's hash line, so a password change in
 * the file misses at once, and the map holds nothing a memory dump could turn back into a
 * password faster than the file itself (the secret is not kept anywhere else).
 *
 * <p>{@link BasicAuthRuntime} keeps two: successes (minutes) and failures (seconds; they spare
 * the workers a client that repeats the same wrong password, and do nothing for one that tries a
 * new password each time, which the executor's bound and rate limits answer).
 *
 * <p>Thread-safe: one short lock per call; called on selector threads and on the verifying
 * workers. Memory is bounded by {@code maxEntries} whatever the traffic.
 */
final class PasswordCache {
    private static final byte[] SECRET = new byte[32];

    static {
        new SecureRandom().nextBytes(SECRET);
    }

    private final ExpiringLru<ByteBuffer, Boolean> entries;

    PasswordCache(long ttlNanos, int maxEntries, LongSupplier nanoTime) {
        this.entries = new ExpiringLru<>(ttlNanos, maxEntries, nanoTime);
    }

    /** The key of {@code user} with {@code password} against {@code hashText} ("" for an unknown user). */
    static ByteBuffer key(String user, byte[] password, String hashText) {
        MessageDigest md = KeyDigest.start();
        md.update(SECRET);
        byte[] u = user.getBytes(StandardCharsets.UTF_8);
        KeyDigest.part(md, u, 0, u.length);
        KeyDigest.part(md, password, 0, password.length);
        md.update(hashText.getBytes(StandardCharsets.US_ASCII));
        return ByteBuffer.wrap(md.digest());
    }

    /** Whether {@code key} was put less than the TTL ago (an expired entry is dropped). */
    boolean contains(ByteBuffer key) {
        return entries.get(key) != null;
    }

    void put(ByteBuffer key) {
        entries.put(key, Boolean.TRUE);
    }

    int size() {
        return entries.size();
    }

    @Override
    public String toString() {
        return entries.describe("PasswordCache");
    }
}
