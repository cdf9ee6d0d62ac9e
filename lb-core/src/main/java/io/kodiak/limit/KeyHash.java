package io.kodiak.limit;

import java.security.SecureRandom;

/**
 * SipHash-1-3 of a key's characters under a key drawn once per process: what a zone's table
 * indexes keys by. {@link String#hashCode} cannot be used, even mixed with a seed: strings that
 * collide in it ({@code "Aa"} and {@code "BB"}, and every string built of such blocks) collide
 * in every process, so a client choosing its keys ({@code $http_x_api_key}) could put them all
 * in one bucket and make each lookup walk them under a lock, on a selector thread. With a keyed
 * hash whose key the client never sees, which keys share a bucket is not something it can choose
 * (the defence Python, Rust and Perl use for their tables). SipHash-1-3 is Rust's and Python's
 * choice: a few nanoseconds for a short key.
 *
 * <p>Stateless after class initialisation; any thread.
 */
final class KeyHash {
    private static final long K0;
    private static final long K1;

    static {
        SecureRandom r = new SecureRandom();
        K0 = r.nextLong();
        K1 = r.nextLong();
    }

    private KeyHash() {
    }

    /** The hash of {@code s}, its chars taken four to a 64-bit word; {@code tweak} varies it per table. */
    static long of(String s, long tweak) {
        long v0 = K0 ^ tweak ^ 0x736f6d6570736575L;
        long v1 = K1 ^ 0x646f72616e646f6dL;
        long v2 = K0 ^ tweak ^ 0x6c7967656e657261L;
        long v3 = K1 ^ 0x7465646279746573L;
        int n = s.length();
        int i = 0;
        for (boolean last = false; !last; ) {
            long m;
            if (i + 4 <= n) {
                m = s.charAt(i) | (long) s.charAt(i + 1) << 16 | (long) s.charAt(i + 2) << 32 | (long) s.charAt(i + 3) << 48;
                i += 4;
            } else {
                // The last word: the 0-3 chars left, and the length in bytes mod 256 in the top byte.
                m = (long) (n * 2 & 0xff) << 56;
                for (int j = 0; i + j < n; j++) {
                    m |= (long) s.charAt(i + j) << (16 * j);
                }
                last = true;
            }
            v3 ^= m;
            // One compression round (the "1" of SipHash-1-3).
            v0 += v1; v1 = Long.rotateLeft(v1, 13); v1 ^= v0; v0 = Long.rotateLeft(v0, 32);
            v2 += v3; v3 = Long.rotateLeft(v3, 16); v3 ^= v2;
            v0 += v3; v3 = Long.rotateLeft(v3, 21); v3 ^= v0;
            v2 += v1; v1 = Long.rotateLeft(v1, 17); v1 ^= v2; v2 = Long.rotateLeft(v2, 32);
            v0 ^= m;
        }
        v2 ^= 0xff;
        for (int r = 0; r < 3; r++) { // three finalisation rounds
            v0 += v1; v1 = Long.rotateLeft(v1, 13); v1 ^= v0; v0 = Long.rotateLeft(v0, 32);
            v2 += v3; v3 = Long.rotateLeft(v3, 16); v3 ^= v2;
            v0 += v3; v3 = Long.rotateLeft(v3, 21); v3 ^= v0;
            v2 += v1; v1 = Long.rotateLeft(v1, 17); v1 ^= v2; v2 = Long.rotateLeft(v2, 32);
        }
        return v0 ^ v1 ^ v2 ^ v3;
    }
}
