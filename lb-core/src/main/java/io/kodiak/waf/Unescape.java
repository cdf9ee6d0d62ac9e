package io.kodiak.waf;

import java.nio.charset.StandardCharsets;

/**
 * Lenient percent-decoding, as the Python servers behind Kodiak decode ({@code urllib.parse.
 * unquote_plus}, Werkzeug's query parser): each valid {@code %XX} becomes its byte, and a
 * malformed one ({@code %}, {@code %zz}, {@code %4} at the end) stays as it is. A strict decoder
 * (the JDK's {@code URLDecoder}) throws on the first malformed escape, and a rule that then read
 * the text undecoded would be bypassed by one {@code &x=%} anywhere in the query, while the app
 * still decodes every valid escape beside it.
 *
 * <p>Stateless; any thread. Each call allocates its output only.
 */
final class Unescape {
    private Unescape() {
    }

    /**
     * {@code b[from, to)} (a query) decoded as {@code unquote_plus} does: {@code +} a space, each
     * valid escape its byte, the bytes read as UTF-8 (a malformed sequence becomes U+FFFD).
     * Decoding stops after {@code maxBytes} decoded bytes: rules read no more than the
     * inspect-limit anyway.
     */
    static String query(byte[] b, int from, int to, int maxBytes) {
        byte[] out = new byte[Math.min(to - from, maxBytes)];
        int o = 0;
        int i = from;
        while (i < to && o < out.length) {
            int c = b[i];
            int v = c == '%' ? hexPair(b, i + 1, to) : -1;
            if (v >= 0) {
                out[o++] = (byte) v;
                i += 3;
            } else {
                out[o++] = c == '+' ? (byte) ' ' : (byte) c;
                i++;
            }
        }
        return new String(out, 0, o, StandardCharsets.UTF_8);
    }

    /**
     * One round of decoding of {@code b[from, to)} into {@code out} (at least {@code to - from}
     * long): each valid escape its byte, everything else as it is ({@code +} too: a path's).
     *
     * @return the decoded length, or -1 if there was no valid escape to decode (out is then unused)
     */
    static int once(byte[] b, int from, int to, byte[] out) {
        int o = 0;
        boolean decoded = false;
        int i = from;
        while (i < to) {
            int v = b[i] == '%' ? hexPair(b, i + 1, to) : -1;
            if (v >= 0) {
                out[o++] = (byte) v;
                i += 3;
                decoded = true;
            } else {
                out[o++] = b[i++];
            }
        }
        return decoded ? o : -1;
    }

    /** The byte two hex digits at {@code i} encode, or -1 (not two hex digits before {@code to}). */
    static int hexPair(byte[] b, int i, int to) {
        if (i + 1 >= to) {
            return -1;
        }
        int hi = Character.digit(b[i] & 0xff, 16); // a byte over 0x7f is no hex digit: -1
        int lo = Character.digit(b[i + 1] & 0xff, 16);
        return hi < 0 || lo < 0 ? -1 : hi << 4 | lo;
    }
}
