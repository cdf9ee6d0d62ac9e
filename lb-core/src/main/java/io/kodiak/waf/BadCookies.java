package io.kodiak.waf;

import io.kodiak.http.HeaderFields;

/**
 * The bundled rule {@code bad-cookies}: Cookie fields that are larger in all than
 * {@code cookies.max-bytes}, that carry more than {@code cookies.max-count} cookies, or that hold
 * a control character. The head parser already refuses every control character but the tab in a
 * field value, so what is left to catch here is a tab (and DEL); RFC 6265's cookie grammar has
 * neither. Oversized cookie jars are how a client makes every later request of a session fail at
 * the app (a 400 from a framework's own limit), or how a stuffed cookie reaches a parser.
 *
 * <p>Stateless; no allocation; time linear in the Cookie fields.
 */
final class BadCookies {
    private BadCookies() {
    }

    static boolean found(HeaderFields f, int maxBytes, int maxCount) {
        byte[] b = f.bytes();
        long bytes = 0;
        int count = 0;
        for (int i = f.indexOf("cookie", 0); i >= 0; i = f.indexOf("cookie", i + 1)) {
            int s = f.valueStart(i);
            int e = f.valueEnd(i);
            bytes += e - s;
            if (bytes > maxBytes) {
                return true;
            }
            boolean inPair = false;
            for (int p = s; p < e; p++) {
                byte c = b[p];
                if (c == '\t' || c == 0x7f) {
                    return true;
                }
                if (c == ';') {
                    inPair = false;
                } else if (c != ' ' && !inPair) {
                    inPair = true;
                    if (++count > maxCount) {
                        return true;
                    }
                }
            }
        }
        return false;
    }
}
