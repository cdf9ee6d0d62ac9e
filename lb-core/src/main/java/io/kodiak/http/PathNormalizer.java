package io.kodiak.http;

/**
 * The form of a request path that routes compare with, so that {@code /v1/../admin},
 * {@code /v1/%2e%2e/admin} and {@code /v1//../admin} cannot reach the pool of {@code /v1/}, and
 * {@code /%761/x} reaches it. Only routing sees this form: the request target is forwarded as
 * received.
 *
 * <p>In order: percent-encodings of unreserved characters ({@code A-Z a-z 0-9 - . _ ~}) are
 * decoded and the hex digits of every other one are upper-cased (RFC 3986 §6.2.2.1-2); dot
 * segments are removed (§5.2.4); runs of slashes become one (nginx's {@code merge_slashes on}).
 * {@code %2F} stays {@code %2F}: it is data inside a segment, never a separator, so
 * {@code /v1/..%2Fadmin} is the segment {@code ..%2Fadmin} under {@code /v1/}.
 *
 * <p>Refused with 400, as nginx does: a malformed percent-encoding ({@code %zz}, {@code %4}), and a
 * {@code ..} that climbs above the root. Also refused: a {@code ..} that would remove an empty
 * segment ({@code /a//..}), because there RFC 3986 (the empty segment goes, {@code /a/}) and a
 * slash-merging server such as nginx (the {@code a} goes, {@code /}) resolve the same path to
 * different places, and an upstream of either kind could disagree with the route. Browsers and
 * HTTP libraries remove dot segments before sending, so a normal client never meets the last two.
 *
 * <p>A path that needs none of this (no {@code %}, no {@code //}, no {@code .} or {@code ..}
 * segment, the common case) is returned as it is, without a copy.
 */
public final class PathNormalizer {
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private PathNormalizer() {
    }

    /**
     * @param path a path starting with '/', without the query; anything else (the asterisk-form
     *             {@code *}) is returned unchanged
     * @return the normalised path, {@code path} itself if it already is
     * @throws HttpException 400 for a malformed percent-encoding or a path that climbs above the
     *                       root or over an empty segment
     */
    public static String normalize(String path) throws HttpException {
        if (path.isEmpty() || path.charAt(0) != '/' || isNormal(path)) {
            return path;
        }
        char[] d = new char[path.length()];
        int n = decodeUnreserved(path, d);
        return removeDotSegments(d, n);
    }

    /** Whether there is nothing to do: no '%', no "//", no "." or ".." segment. */
    private static boolean isNormal(String p) {
        int n = p.length();
        int segment = 1;
        for (int i = 1; i <= n; i++) {
            char c = i < n ? p.charAt(i) : '/';
            if (c == '%') {
                return false;
            }
            if (c == '/') {
                int len = i - segment;
                if (len == 0 && i < n || isDots(p, segment, len)) {
                    return false;
                }
                segment = i + 1;
            }
        }
        return true;
    }

    private static boolean isDots(String s, int from, int len) {
        return len == 1 && s.charAt(from) == '.' || len == 2 && s.charAt(from) == '.' && s.charAt(from + 1) == '.';
    }

    private static boolean isDots(char[] s, int from, int len) {
        return len == 1 && s[from] == '.' || len == 2 && s[from] == '.' && s[from + 1] == '.';
    }

    /** §6.2.2.1-2 into {@code out}; returns the length written (never longer than the input). */
    private static int decodeUnreserved(String p, char[] out) throws HttpException {
        int o = 0;
        for (int i = 0; i < p.length(); i++) {
            char c = p.charAt(i);
            if (c != '%') {
                out[o++] = c;
                continue;
            }
            int hi = i + 2 < p.length() ? hex(p.charAt(i + 1)) : -1;
            int lo = hi < 0 ? -1 : hex(p.charAt(i + 2));
            if (lo < 0) {
                throw new HttpException(400, "malformed percent-encoding in path");
            }
            char v = (char) (hi << 4 | lo);
            if (isUnreserved(v)) {
                out[o++] = v;
            } else {
                out[o++] = '%';
                out[o++] = HEX[hi];
                out[o++] = HEX[lo];
            }
            i += 2;
        }
        return o;
    }

    /**
     * §5.2.4 over {@code d[0..n)}, then merges slashes. Each segment is written as '/' plus its
     * text, an empty one as a lone '/', so that the output is RFC 3986's until the merge, and a
     * ".." can see whether the segment it removes is empty.
     */
    private static String removeDotSegments(char[] d, int n) throws HttpException {
        char[] out = new char[n + 1];
        int o = 0;
        boolean empty = false;
        int i = 1; // d[0] == '/'
        while (true) {
            int end = i;
            while (end < n && d[end] != '/') {
                end++;
            }
            int len = end - i;
            boolean last = end >= n;
            if (isDots(d, i, len)) {
                if (len == 2) {
                    if (o == 0) {
                        throw new HttpException(400, "path climbs above the root");
                    }
                    int before = o;
                    do {
                        o--;
                    } while (out[o] != '/');
                    if (before - o == 1) {
                        throw new HttpException(400, "'..' after an empty segment ('//') in path");
                    }
                }
                if (last) {
                    out[o++] = '/';
                }
            } else {
                empty |= len == 0 && !last;
                out[o++] = '/';
                System.arraycopy(d, i, out, o, len);
                o += len;
            }
            if (last) {
                break;
            }
            i = end + 1;
        }
        return empty ? mergeSlashes(out, o) : new String(out, 0, o);
    }

    private static String mergeSlashes(char[] s, int n) {
        int o = 0;
        for (int i = 0; i < n; i++) {
            if (s[i] != '/' || o == 0 || s[o - 1] != '/') {
                s[o++] = s[i];
            }
        }
        return new String(s, 0, o);
    }

    private static boolean isUnreserved(char c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
                || c == '-' || c == '.' || c == '_' || c == '~';
    }

    private static int hex(char c) {
        return c < 0x80 ? Chars.hexValue((byte) c) : -1;
    }
}
