package io.kodiak.proxy;

import io.kodiak.config.FieldCondition;
import io.kodiak.http.RequestHead;

import java.nio.charset.StandardCharsets;

/**
 * Query parameters of a request target for route conditions, read as
 * {@code application/x-www-form-urlencoded}: pairs separated by '&amp;', names and values
 * percent-decoded (UTF-8) with '+' as a space; a malformed escape stays as written. Read straight
 * from the head's bytes each time a route asks, so a request no route asks about costs nothing.
 *
 * <p>Stateless; thread-safe.
 */
final class QueryParams {
    private QueryParams() {
    }

    /** Whether the parameter {@code name} of {@code req}'s target satisfies {@code c}. */
    static boolean holds(RequestHead req, String name, FieldCondition c) {
        byte[] b = req.bytes();
        int end = req.targetEnd();
        int p = req.targetStart();
        while (p < end && b[p] != '?') {
            p++;
        }
        p++;
        boolean found = false;
        while (p < end) {
            int pairEnd = p;
            while (pairEnd < end && b[pairEnd] != '&') {
                pairEnd++;
            }
            int eq = p;
            while (eq < pairEnd && b[eq] != '=') {
                eq++;
            }
            if (pairEnd > p && decode(b, p, eq).equals(name)) {
                found = true;
                if (c.kind() == FieldCondition.Kind.PRESENT || c.kind() == FieldCondition.Kind.ABSENT) {
                    break;
                }
                String value = eq < pairEnd ? decode(b, eq + 1, pairEnd) : "";
                if (c.matchesValue(value)) {
                    return true;
                }
            }
            p = pairEnd + 1;
        }
        return switch (c.kind()) {
            case PRESENT -> found;
            case ABSENT -> !found;
            default -> false;
        };
    }

    /** Percent-decodes {@code [s, e)} with '+' as a space; a malformed escape is kept as written. */
    static String decode(byte[] b, int s, int e) {
        boolean plain = true;
        for (int i = s; i < e && plain; i++) {
            plain = b[i] != '%' && b[i] != '+';
        }
        if (plain) {
            return new String(b, s, e - s, StandardCharsets.ISO_8859_1); // the target is ASCII
        }
        byte[] out = new byte[e - s];
        int n = 0;
        for (int i = s; i < e; i++) {
            byte c = b[i];
            int hi;
            int lo;
            if (c == '+') {
                out[n++] = ' ';
            } else if (c == '%' && i + 2 < e && (hi = hex(b[i + 1])) >= 0 && (lo = hex(b[i + 2])) >= 0) {
                out[n++] = (byte) (hi << 4 | lo);
                i += 2;
            } else {
                out[n++] = c;
            }
        }
        return new String(out, 0, n, StandardCharsets.UTF_8);
    }

    private static int hex(byte c) {
        return io.kodiak.http.Chars.hexValue(c);
    }
}
