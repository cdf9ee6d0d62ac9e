package io.kodiak.auth;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;

/**
 * The user and password of an {@code Authorization: Basic} field (RFC 7617): the scheme, any
 * case, then the base64 of {@code user:password}. The user is read as UTF-8 (the challenge says
 * {@code charset="UTF-8"}); the password stays the bytes sent, since hashes are of bytes.
 *
 * <p>Anything else is "no credentials": another scheme, bad base64, no {@code :}, or a token
 * longer than {@link #MAX_TOKEN} (a password beyond a few hundred bytes is an attack on the hash's
 * cost, not a password). Immutable; any thread.
 *
 * @param user     the user name, before the first {@code :}
 * @param password the bytes after it
 */
public record BasicCredentials(String user, byte[] password) {
    /** The longest base64 token accepted: 1 KiB of user and password. */
    static final int MAX_TOKEN = 1368;

    /**
     * @return the credentials of {@code value} (an Authorization field's value), or null when it
     *         is not a well-formed Basic credential
     */
    public static BasicCredentials parse(String value) {
        if (value == null) {
            return null;
        }
        int i = skipSpaces(value, 0);
        if (!value.regionMatches(true, i, "Basic", 0, 5)) {
            return null;
        }
        i += 5;
        int start = skipSpaces(value, i);
        if (start == i) {
            return null; // "Basicxyz" or "Basic" alone
        }
        int end = value.length();
        while (end > start && isSpace(value.charAt(end - 1))) {
            end--;
        }
        if (end == start || end - start > MAX_TOKEN) {
            return null;
        }
        byte[] decoded;
        try {
            decoded = Base64.getDecoder().decode(value.substring(start, end)); // refuses spaces and foreign characters
        } catch (IllegalArgumentException e) {
            return null;
        }
        int colon = -1;
        for (int k = 0; k < decoded.length; k++) {
            if (decoded[k] == ':') {
                colon = k;
                break;
            }
        }
        if (colon < 0) {
            return null;
        }
        String user = new String(decoded, 0, colon, StandardCharsets.UTF_8);
        return new BasicCredentials(user, Arrays.copyOfRange(decoded, colon + 1, decoded.length));
    }

    private static int skipSpaces(String s, int i) {
        while (i < s.length() && isSpace(s.charAt(i))) {
            i++;
        }
        return i;
    }

    private static boolean isSpace(char c) {
        return c == ' ' || c == '\t';
    }

    @Override
    public String toString() {
        return "BasicCredentials[" + user + ", password hidden]";
    }
}
