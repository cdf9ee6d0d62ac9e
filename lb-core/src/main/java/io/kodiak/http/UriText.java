package io.kodiak.http;

import java.nio.charset.StandardCharsets;

/**
 * Makes text that came from a request (a template's variables: regex groups, fields, the query)
 * safe to put in a request target or a {@code Location}: every character that may not appear
 * there is percent-encoded (as UTF-8), a well-formed {@code %XX} is kept as it is, and a
 * {@code %} that starts none becomes {@code %25}. So the result never holds a space, a CR or LF,
 * a control character or 8-bit text: it can neither split the request line nor a field
 * (RFC 3986 §2.1, §3.3, §3.4; nginx escapes a rewritten URI the same way before proxying it).
 *
 * <p>Stateless; any thread. Text that needs no change is returned as it is, without a copy.
 */
public final class UriText {
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();
    /** pchar without '%': unreserved, sub-delims, ':' and '@'; plus '/' between segments. */
    private static final boolean[] PATH = new boolean[128];
    /** A query: the path's characters and '?'. */
    private static final boolean[] QUERY = new boolean[128];
    /** A URI-reference (a {@code Location}): every unreserved and reserved character. */
    private static final boolean[] REFERENCE = new boolean[128];

    static {
        for (int c = 0; c < 128; c++) {
            boolean unreserved = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || "-._~".indexOf(c) >= 0;
            PATH[c] = unreserved || "!$&'()*+,;=:@/".indexOf(c) >= 0;
            QUERY[c] = PATH[c] || c == '?';
            REFERENCE[c] = QUERY[c] || c == '#' || c == '[' || c == ']';
        }
    }

    private UriText() {
    }

    /** A path (and only a path: a '?' in it is data, {@code %3F}). */
    public static String path(String s) {
        return encode(s, PATH);
    }

    /** A query, without its leading '?'. */
    public static String query(String s) {
        return encode(s, QUERY);
    }

    /** A URI reference, absolute or relative, for a {@code Location} field. */
    public static String reference(String s) {
        return encode(s, REFERENCE);
    }

    /** Whether {@code t} can be sent as an origin-form request target: '/' then visible ASCII, no '#'. */
    public static boolean isOriginForm(String t) {
        if (t.isEmpty() || t.charAt(0) != '/') {
            return false;
        }
        for (int i = 0; i < t.length(); i++) {
            char c = t.charAt(i);
            if (c > 0xff || !Chars.isTarget((byte) c)) {
                return false;
            }
        }
        return true;
    }

    /** Whether {@code a} can be sent as a {@code Host}: a non-empty host[:port]. */
    public static boolean isAuthority(String a) {
        if (a.isEmpty()) {
            return false;
        }
        for (int i = 0; i < a.length(); i++) {
            char c = a.charAt(i);
            if (c > 0xff || !Chars.isHost((byte) c)) {
                return false;
            }
        }
        return true;
    }

    private static String encode(String s, boolean[] allowed) {
        int n = s.length();
        int i = 0;
        while (i < n && keeps(s, i, allowed)) {
            i++;
        }
        if (i == n) {
            return s;
        }
        StringBuilder out = new StringBuilder(n + 16).append(s, 0, i);
        while (i < n) {
            char c = s.charAt(i);
            if (keeps(s, i, allowed)) {
                out.append(c);
                i++;
                continue;
            }
            int cp = s.codePointAt(i);
            int len = Character.charCount(cp);
            for (byte b : s.substring(i, i + len).getBytes(StandardCharsets.UTF_8)) {
                out.append('%').append(HEX[(b >> 4) & 0xf]).append(HEX[b & 0xf]);
            }
            i += len;
        }
        return out.toString();
    }

    private static boolean keeps(String s, int i, boolean[] allowed) {
        char c = s.charAt(i);
        if (c == '%') {
            return i + 2 < s.length() && isHex(s.charAt(i + 1)) && isHex(s.charAt(i + 2));
        }
        return c < 128 && allowed[c];
    }

    private static boolean isHex(char c) {
        return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F';
    }
}
