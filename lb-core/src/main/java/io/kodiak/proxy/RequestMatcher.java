package io.kodiak.proxy;

import io.kodiak.config.Cidr;
import io.kodiak.config.FieldCondition;
import io.kodiak.config.RouteConditions;
import io.kodiak.http.HeaderFields;
import io.kodiak.http.RequestHead;

import java.nio.charset.StandardCharsets;

/**
 * A route's conditions besides host, server name and path ({@link RouteConditions}), as arrays
 * built once per configuration, checked against a request without iterators. A route without
 * conditions shares {@link #ANY}, which answers at once. Values are only copied into strings
 * where a regular expression or a decoded query parameter needs one.
 *
 * <p>Immutable; called on selector threads, concurrently.
 */
final class RequestMatcher {
    static final RequestMatcher ANY = new RequestMatcher(RouteConditions.NONE);

    private final boolean any;
    /** How many conditions: routes with more are tried first at the same path rank. */
    final int count;
    private final String[] methods;
    private final Cidr[] sources;
    private final String[] headerNames;
    private final FieldCondition[] headers;
    private final String[] cookieNames;
    private final FieldCondition[] cookies;
    private final String[] queryNames;
    private final FieldCondition[] query;

    private RequestMatcher(RouteConditions c) {
        this.any = c.isEmpty();
        this.count = c.count();
        this.methods = c.methods().isEmpty() ? null : c.methods().toArray(new String[0]);
        this.sources = c.sources().isEmpty() ? null : c.sources().toArray(new Cidr[0]);
        this.headerNames = c.headers().keySet().toArray(new String[0]);
        this.headers = c.headers().values().toArray(new FieldCondition[0]);
        this.cookieNames = c.cookies().keySet().toArray(new String[0]);
        this.cookies = c.cookies().values().toArray(new FieldCondition[0]);
        this.queryNames = c.query().keySet().toArray(new String[0]);
        this.query = c.query().values().toArray(new FieldCondition[0]);
    }

    static RequestMatcher of(RouteConditions c) {
        return c.isEmpty() ? ANY : new RequestMatcher(c);
    }

    /**
     * @param req    the request, or null (then only {@link #ANY} matches)
     * @param client the client's address (4 or 16 bytes), or null if unknown
     */
    boolean matches(RequestHead req, byte[] client) {
        if (any) {
            return true;
        }
        if (req == null || methods != null && !method(req.method()) || sources != null && !source(client)) {
            return false;
        }
        for (int i = 0; i < headers.length; i++) {
            if (!header(req.fields(), headerNames[i], headers[i])) {
                return false;
            }
        }
        for (int i = 0; i < cookies.length; i++) {
            if (!cookie(req.fields(), cookieNames[i], cookies[i])) {
                return false;
            }
        }
        for (int i = 0; i < query.length; i++) {
            if (!QueryParams.holds(req, queryNames[i], query[i])) {
                return false;
            }
        }
        return true;
    }

    boolean usesSource() {
        return sources != null;
    }

    private boolean method(String m) {
        for (String s : methods) {
            if (s.equals(m)) {
                return true;
            }
        }
        return false;
    }

    private boolean source(byte[] client) {
        if (client == null) {
            return false;
        }
        for (Cidr c : sources) {
            if (c.contains(client)) {
                return true;
            }
        }
        return false;
    }

    private static boolean header(HeaderFields f, String lowerName, FieldCondition c) {
        boolean found = false;
        for (int i = f.indexOf(lowerName, 0); i >= 0; i = f.indexOf(lowerName, i + 1)) {
            found = true;
            if (c.kind() == FieldCondition.Kind.PRESENT) {
                return true;
            }
            if (c.kind() != FieldCondition.Kind.ABSENT && value(f.bytes(), f.valueStart(i), f.valueEnd(i), c)) {
                return true;
            }
        }
        return c.kind() == FieldCondition.Kind.ABSENT && !found;
    }

    /** Cookies from every {@code Cookie} field: {@code name=value} pairs separated by ';'. */
    private static boolean cookie(HeaderFields f, String name, FieldCondition c) {
        byte[] b = f.bytes();
        for (int i = f.indexOf("cookie", 0); i >= 0; i = f.indexOf("cookie", i + 1)) {
            int p = f.valueStart(i);
            int end = f.valueEnd(i);
            while (p < end) {
                int pairEnd = p;
                while (pairEnd < end && b[pairEnd] != ';') {
                    pairEnd++;
                }
                int s = skipSpace(b, p, pairEnd);
                int eq = s;
                while (eq < pairEnd && b[eq] != '=') {
                    eq++;
                }
                if (eq < pairEnd && equalsAscii(b, s, trimEnd(b, s, eq), name)) {
                    if (c.kind() != FieldCondition.Kind.EXACT && c.kind() != FieldCondition.Kind.REGEX) {
                        return c.kind() == FieldCondition.Kind.PRESENT;
                    }
                    int vs = skipSpace(b, eq + 1, pairEnd);
                    if (value(b, vs, trimEnd(b, vs, pairEnd), c)) {
                        return true;
                    }
                }
                p = pairEnd + 1;
            }
        }
        return c.kind() == FieldCondition.Kind.ABSENT;
    }

    /** Whether the bytes {@code [s, e)} satisfy an EXACT or REGEX condition. */
    static boolean value(byte[] b, int s, int e, FieldCondition c) {
        if (c.kind() == FieldCondition.Kind.EXACT) {
            return equalsAscii(b, s, e, c.value());
        }
        return c.matchesValue(new String(b, s, e - s, StandardCharsets.ISO_8859_1));
    }

    private static boolean equalsAscii(byte[] b, int s, int e, String text) {
        if (e - s != text.length()) {
            return false;
        }
        for (int i = 0; i < text.length(); i++) {
            if ((b[s + i] & 0xff) != text.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private static int skipSpace(byte[] b, int p, int end) {
        while (p < end && (b[p] == ' ' || b[p] == '\t')) {
            p++;
        }
        return p;
    }

    private static int trimEnd(byte[] b, int s, int e) {
        while (e > s && (b[e - 1] == ' ' || b[e - 1] == '\t')) {
            e--;
        }
        return e;
    }

    @Override
    public String toString() {
        return any ? "RequestMatcher[any]" : "RequestMatcher[" + count + " conditions]";
    }
}
