package io.kodiak.auth;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Recent verifications, so that a browser's every request does not cost a bcrypt: a bounded,
 * least-recently-used map from a key to the time it expires. A key is the SHA-256 of a random
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

    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    });

    private final long ttlNanos;
    private final int maxEntries;
    private final LongSupplier nanoTime;
    private final LinkedHashMap<ByteBuffer, Long> entries;

    PasswordCache(long ttlNanos, int maxEntries, LongSupplier nanoTime) {
        this.ttlNanos = ttlNanos;
        this.maxEntries = maxEntries;
        this.nanoTime = nanoTime;
        this.entries = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<ByteBuffer, Long> eldest) {
                return size() > PasswordCache.this.maxEntries;
            }
        };
    }

    /** The key of {@code user} with {@code password} against {@code hashText} ("" for an unknown user). */
    static ByteBuffer key(String user, byte[] password, String hashText) {
        MessageDigest md = SHA256.get();
        md.update(SECRET);
        byte[] u = user.getBytes(StandardCharsets.UTF_8);
        md.update(lengthOf(u.length));
        md.update(u);
        md.update(lengthOf(password.length));
        md.update(password);
        md.update(hashText.getBytes(StandardCharsets.US_ASCII));
        return ByteBuffer.wrap(md.digest());
    }

    /** Each part's length before it, so that ("ab", "c") and ("a", "bc") never share a key. */
    private static byte[] lengthOf(int n) {
        return new byte[]{(byte) (n >>> 24), (byte) (n >>> 16), (byte) (n >>> 8), (byte) n};
    }

    /** Whether {@code key} was put less than the TTL ago (an expired entry is dropped). */
    boolean contains(ByteBuffer key) {
        long now = nanoTime.getAsLong();
        synchronized (entries) {
            Long expires = entries.get(key);
            if (expires == null) {
                return false;
            }
            if (expires - now <= 0) {
                entries.remove(key);
                return false;
            }
            return true;
        }
    }

    void put(ByteBuffer key) {
        long expires = nanoTime.getAsLong() + ttlNanos;
        synchronized (entries) {
            entries.put(key, expires);
        }
    }

    int size() {
        synchronized (entries) {
            return entries.size();
        }
    }

    @Override
    public String toString() {
        return "PasswordCache[" + size() + "/" + maxEntries + ", ttl " + ttlNanos / 1_000_000 + " ms]";
    }
}
