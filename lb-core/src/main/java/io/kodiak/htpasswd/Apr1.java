package io.kodiak.htpasswd;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Apache's APR1 password hash ({@code htpasswd -m}, the default of Apache's htpasswd): Poul-Henning
 * Kamp's FreeBSD MD5-crypt with the magic {@code $apr1$} instead of {@code $1$}, as APR's
 * {@code apr_md5_encode} computes it. The result is {@code $apr1$SALT$HASH}, the salt at most 8
 * characters, the hash 22 characters of crypt's base-64 alphabet.
 *
 * <p>MD5 is weak, but the 1000 rounds make one check cost a fraction of a millisecond, which is
 * why {@link BasicAuthFilter} verifies it off the selector thread, as it does bcrypt.
 *
 * <p>Stateless; any thread.
 */
public final class Apr1 {
    static final String MAGIC = "$apr1$";
    /** crypt(3)'s base-64 alphabet (not RFC 4648's). */
    static final String ITOA64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    private static final byte[] MAGIC_BYTES = MAGIC.getBytes(StandardCharsets.US_ASCII);

    private Apr1() {
    }

    /**
     * The full hash of {@code password} with {@code salt} (its first 8 characters, up to a '$'),
     * as htpasswd writes it: {@code $apr1$salt$hash}.
     */
    public static String hash(byte[] password, String salt) {
        int end = salt.indexOf('$');
        String s = end < 0 ? salt : salt.substring(0, end);
        if (s.length() > 8) {
            s = s.substring(0, 8);
        }
        byte[] saltBytes = s.getBytes(StandardCharsets.US_ASCII);
        MessageDigest md = md5();

        // The "alternate" sum: password, salt, password.
        md.update(password);
        md.update(saltBytes);
        md.update(password);
        byte[] fin = md.digest();

        md.update(password);
        md.update(MAGIC_BYTES);
        md.update(saltBytes);
        for (int left = password.length; left > 0; left -= 16) {
            md.update(fin, 0, Math.min(left, 16));
        }
        // A quirk of the original: a zero byte for each set bit of the length, else the
        // password's first byte (the original read fin[0] after clearing it to zero).
        for (int i = password.length; i != 0; i >>>= 1) {
            if ((i & 1) != 0) {
                md.update((byte) 0);
            } else {
                md.update(password[0]);
            }
        }
        fin = md.digest();

        // 1000 rounds, to make a guess cost more than one MD5.
        for (int i = 0; i < 1000; i++) {
            if ((i & 1) != 0) {
                md.update(password);
            } else {
                md.update(fin, 0, 16);
            }
            if (i % 3 != 0) {
                md.update(saltBytes);
            }
            if (i % 7 != 0) {
                md.update(password);
            }
            if ((i & 1) != 0) {
                md.update(fin, 0, 16);
            } else {
                md.update(password);
            }
            fin = md.digest();
        }

        StringBuilder out = new StringBuilder(MAGIC.length() + s.length() + 1 + 22);
        out.append(MAGIC).append(s).append('$');
        to64(out, b(fin, 0) << 16 | b(fin, 6) << 8 | b(fin, 12), 4);
        to64(out, b(fin, 1) << 16 | b(fin, 7) << 8 | b(fin, 13), 4);
        to64(out, b(fin, 2) << 16 | b(fin, 8) << 8 | b(fin, 14), 4);
        to64(out, b(fin, 3) << 16 | b(fin, 9) << 8 | b(fin, 15), 4);
        to64(out, b(fin, 4) << 16 | b(fin, 10) << 8 | b(fin, 5), 4);
        to64(out, b(fin, 11), 2);
        return out.toString();
    }

    /** Whether {@code text} has the shape {@code $apr1$SALT$HASH} (salt 1-8, hash 22 characters of the alphabet). */
    static boolean wellFormed(String text) {
        if (!text.startsWith(MAGIC)) {
            return false;
        }
        int dollar = text.indexOf('$', MAGIC.length());
        if (dollar < 0) {
            return false;
        }
        String salt = text.substring(MAGIC.length(), dollar);
        String hash = text.substring(dollar + 1);
        return !salt.isEmpty() && salt.length() <= 8 && inAlphabet(salt) && hash.length() == 22 && inAlphabet(hash);
    }

    /** The salt of a {@link #wellFormed} hash. */
    static String salt(String text) {
        return text.substring(MAGIC.length(), text.indexOf('$', MAGIC.length()));
    }

    private static boolean inAlphabet(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (ITOA64.indexOf(s.charAt(i)) < 0) {
                return false;
            }
        }
        return true;
    }

    private static int b(byte[] a, int i) {
        return a[i] & 0xff;
    }

    private static void to64(StringBuilder out, int v, int n) {
        for (int i = 0; i < n; i++) {
            out.append(ITOA64.charAt(v & 0x3f));
            v >>>= 6;
        }
    }

    private static MessageDigest md5() {
        try {
            return MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has MD5", e);
        }
    }
}
