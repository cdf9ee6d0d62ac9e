package io.kodiak.filter;

import io.kodiak.http.RequestHead;

import java.util.Locale;
import java.util.function.Predicate;

/**
 * The variables of a request, as a {@link Template} names them. Names follow nginx:
 * {@code $remote_addr}, {@code $request_id}, {@code $host} (the Host without port, lower case),
 * {@code $scheme}, {@code $server_port}, {@code $request_method}, {@code $request_uri} (the target
 * as the client sent it), {@code $uri} (its normalised path), {@code $args} and
 * {@code $query_string} (the query, without '?'), {@code $is_args} ('?' when there is a query),
 * {@code $http_NAME} (a request field, '-' in its name written '_'), {@code $cookie_NAME} (a
 * cookie's value), Kodiak's {@code $route} (the
 * route's {@code name}, or {@code routes[N]}) and {@code $pool}, and the groups of the route's
 * {@code path-regex}. Stateless; any thread.
 */
public final class RequestVariables {
    /** The names this lookup knows ({@code http_*} for any field). */
    public static final Predicate<String> NAMES = new Predicate<>() {
        private static final java.util.List<String> FIXED = java.util.List.of("remote_addr", "request_id", "host",
                "scheme", "server_port", "request_method", "request_uri", "uri", "args", "query_string", "is_args",
                "route", "pool");

        @Override
        public boolean test(String name) {
            return FIXED.contains(name) || name.startsWith("http_") && name.length() > 5
                    || name.startsWith("cookie_") && name.length() > 7;
        }

        @Override
        public String toString() {
            return String.join(", ", FIXED) + ", http_NAME, cookie_NAME";
        }
    };

    private RequestVariables() {
    }

    /** The lookup for one request; the groups come from {@link RequestContext#pathMatch()}. */
    public static Template.Lookup of(RequestContext r) {
        return name -> get(r, name);
    }

    /** The value of {@code name} for {@code r}, or null. */
    public static String get(RequestContext r, String name) {
        RequestHead h = r.head();
        switch (name) {
            case "remote_addr": return r.clientAddress();
            case "request_id": return r.requestId();
            case "host": return h.host();
            case "scheme": return r.scheme();
            case "server_port": return Integer.toString(r.serverPort());
            case "request_method": return h.method();
            case "request_uri": return h.target();
            case "uri": return h.path();
            case "args":
            case "query_string": return query(h.target());
            case "is_args": return h.target().indexOf('?') >= 0 ? "?" : "";
            case "route": return r.route();
            case "pool": return r.pool();
            default:
        }
        if (name.startsWith("http_")) {
            return h.fields().get(name.substring(5).replace('_', '-').toLowerCase(Locale.ROOT));
        }
        if (name.startsWith("cookie_")) {
            return cookie(h.fields(), name.substring(7));
        }
        java.util.regex.Matcher m = r.pathMatch();
        if (m == null) {
            return null;
        }
        if (Character.isDigit(name.charAt(0))) {
            int g = name.charAt(0) - '0';
            return g <= m.groupCount() ? m.group(g) : null;
        }
        try {
            return m.group(name);
        } catch (IllegalArgumentException e) {
            return null; // parse checked the names against the route's groups
        }
    }

    /** The value of cookie {@code name} in any {@code Cookie} field ({@code a=1; b=2}), or {@code null}. */
    public static String cookie(io.kodiak.http.HeaderFields f, String name) {
        for (int i = f.indexOf("cookie", 0); i >= 0; i = f.indexOf("cookie", i + 1)) {
            for (String pair : f.value(i).split(";")) {
                int eq = pair.indexOf('=');
                if (eq > 0 && pair.substring(0, eq).trim().equals(name)) {
                    return pair.substring(eq + 1).trim();
                }
            }
        }
        return null;
    }

    /** The query of a target, without '?'; "" when there is none. */
    public static String query(String target) {
        int q = target.indexOf('?');
        return q < 0 ? "" : target.substring(q + 1);
    }
}
