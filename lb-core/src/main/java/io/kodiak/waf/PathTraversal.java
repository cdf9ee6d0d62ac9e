package io.kodiak.waf;

/**
 * The bundled rule {@code path-traversal}: a {@code ..} segment or a NUL anywhere in the request
 * target as the client sent it (path and query), read through the encodings that servers behind
 * a proxy have been known to decode: {@code %2e}, double encoding ({@code %252e}), overlong UTF-8
 * ({@code %c0%ae}, {@code %c0%af}, {@code %e0%80%ae}, {@code %c1%9c}) and IIS's {@code %u002e};
 * then, if the target has escapes, decoded again up to {@link #DECODE_ROUNDS} times and read at
 * each layer, so {@code %25%32%65} and {@code %25252e} are seen too;
 * {@code \} separates segments as {@code /} does (Windows, and frameworks that normalise it).
 *
 * <p>A {@code ..} segment is exactly two dots between separators: {@code /} or {@code \}, or in
 * the query {@code ?}, {@code &}, {@code =} or {@code ;} (so {@code ?file=../etc/passwd} and
 * Tomcat's {@code /..;/} are caught), or the end. {@code /a...b}, {@code /app..js} and
 * {@code ?range=1..2} are not. The raw target is read rather than the normalised path because
 * normalisation has already removed dot segments and decodes only unreserved characters: every
 * {@code ..} the normalised path could show is visible, decoded, in the raw target.
 *
 * <p>Stateless; time linear in the target (at most {@code 1 + DECODE_ROUNDS} reads). A target
 * without a {@code %} allocates nothing; one with escapes, one buffer of its length.
 */
final class PathTraversal {
    private static final int OTHER = 0, DOT = 1, SEP = 2, NUL = 3, BOUNDARY = 4;

    private PathTraversal() {
    }

    /**
     * How many more times a target with escapes is decoded and read again, after the read of the
     * target as sent (which already reads {@code %252e}): {@code %25%32%65} (the hex digits
     * encoded), {@code %25252e} (triple) and up to five layers are seen. Each layer is one more
     * pass over the target; a target without a {@code %} is read once.
     */
    static final int DECODE_ROUNDS = 3;

    /** Whether {@code b[from, to)} (a request target) holds a {@code ..} segment or a NUL, at any of the layers. */
    static boolean found(byte[] b, int from, int to) {
        if (scan(b, from, to)) {
            return true;
        }
        int p = from;
        while (p < to && b[p] != '%') {
            p++;
        }
        if (p == to) {
            return false; // the common case: nothing more to decode, nothing allocated
        }
        byte[] buf = new byte[to - from];
        int len = Unescape.once(b, from, to, buf);
        for (int round = 0; round < DECODE_ROUNDS && len >= 0; round++) {
            if (scan(buf, 0, len)) {
                return true;
            }
            len = Unescape.once(buf, 0, len, buf); // in place: a byte is written no later than it is read
        }
        return false;
    }

    /** One read of {@code b[from, to)} through the encodings {@link #next} knows. */
    private static boolean scan(byte[] b, int from, int to) {
        int run = 0; // dots since the segment began; -1 once it has anything else
        int i = from;
        while (i < to) {
            int packed = next(b, i, to);
            int cls = packed & 0xff;
            i += packed >>> 8;
            switch (cls) {
                case NUL:
                    return true;
                case DOT:
                    if (run >= 0) {
                        run++;
                    }
                    break;
                case SEP, BOUNDARY:
                    if (run == 2) {
                        return true;
                    }
                    run = 0;
                    break;
                default:
                    run = -1;
            }
        }
        return run == 2;
    }

    /** The class of the character at {@code i}, decoded, and the bytes it took, as {@code class | length << 8}. */
    private static int next(byte[] b, int i, int to) {
        if (b[i] != '%') {
            return classOf(b[i] & 0xff) | 1 << 8;
        }
        int v = hexPair(b, i + 1, to);
        if (v < 0) {
            if (i + 5 < to && (b[i + 1] == 'u' || b[i + 1] == 'U')) { // %u002e
                int hi = hexPair(b, i + 2, to);
                int lo = hexPair(b, i + 4, to);
                if (hi >= 0 && lo >= 0) {
                    return classOf(hi << 8 | lo) | 6 << 8;
                }
            }
            return OTHER | 1 << 8;
        }
        if (v == '%') { // %25 then two hex digits: double encoding
            int w = hexPair(b, i + 3, to);
            return w >= 0 ? classOf(w) | 5 << 8 : OTHER | 3 << 8;
        }
        if ((v == 0xc0 || v == 0xc1) && i + 5 < to && b[i + 3] == '%') { // overlong 2-byte UTF-8
            int w = hexPair(b, i + 4, to);
            if (w >= 0x80 && w <= 0xbf) {
                return classOf((v & 0x1f) << 6 | w & 0x3f) | 6 << 8;
            }
        }
        if (v == 0xe0 && i + 8 < to && b[i + 3] == '%' && b[i + 6] == '%') { // overlong 3-byte UTF-8
            int w1 = hexPair(b, i + 4, to);
            int w2 = hexPair(b, i + 7, to);
            if (w1 >= 0x80 && w1 <= 0x9f && w2 >= 0x80 && w2 <= 0xbf) {
                return classOf((w1 & 0x3f) << 6 | w2 & 0x3f) | 9 << 8;
            }
        }
        return classOf(v) | 3 << 8;
    }

    private static int classOf(int c) {
        return switch (c) {
            case '.' -> DOT;
            case '/', '\\' -> SEP;
            case 0 -> NUL;
            case '?', '&', '=', ';' -> BOUNDARY;
            default -> OTHER;
        };
    }

    private static int hexPair(byte[] b, int i, int to) {
        return Unescape.hexPair(b, i, to);
    }
}
