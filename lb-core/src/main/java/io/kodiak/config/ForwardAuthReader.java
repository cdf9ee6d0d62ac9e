package io.kodiak.config;

import io.kodiak.http.FieldEdits;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Reads {@code forward-auth} ({@link ForwardAuthConfig}). The pool it names is checked against
 * {@code pools:} by {@link #checkPool}, which the listener and route readers call, since a
 * feature's own reader does not see the pools.
 */
final class ForwardAuthReader {
    private static final List<String> KEYS = List.of("pool", "path", "timeout", "request-headers",
            "response-headers", "max-body", "cache");
    private static final List<String> CACHE_KEYS = List.of("ttl", "max-entries", "denials", "scope");
    /** Fields Kodiak writes on the subrequest itself: a client's must never stand in for them. */
    private static final Set<String> KODIAKS_REQUEST = Set.of("host", "x-forwarded-for", "x-forwarded-host",
            "x-forwarded-proto", "x-forwarded-method", "x-forwarded-uri", "x-original-uri", "x-request-id");
    /** Fields that go upstream from Kodiak's own knowledge or describe the client's message, never the auth service's. */
    private static final Set<String> NOT_COPIED = Set.of("host", "content-type", "content-encoding");

    private ForwardAuthReader() {
    }

    static ForwardAuthConfig read(ConfigNode node, Path baseDir) throws ConfigException {
        ConfigMapping m = node.mapping(KEYS);
        String pool = m.require("pool").string();
        ConfigNode pathNode = m.require("path");
        String path = pathNode.string();
        if (!io.kodiak.http.UriText.isOriginForm(path) || path.indexOf('#') >= 0) {
            throw pathNode.error(Values.quote(path) + " is not a request target: '/' then a path (and a query),"
                    + " without spaces, '#' or 8-bit characters, e.g. /verify");
        }
        Duration timeout = ForwardAuthConfig.DEFAULT_TIMEOUT;
        if (m.get("timeout") != null) {
            timeout = m.get("timeout").duration(); // positive: Values refuses 0 and less
        }
        List<String> request = m.get("request-headers") == null ? ForwardAuthConfig.DEFAULT_REQUEST_HEADERS
                : names(m.get("request-headers"), ForwardAuthReader::notSent);
        List<String> response = m.get("response-headers") == null ? List.of()
                : names(m.get("response-headers"), l -> NOT_COPIED.contains(l)
                        ? "it describes the auth service's message, not the user" : null);
        int maxBody = ForwardAuthConfig.DEFAULT_MAX_BODY;
        if (m.get("max-body") != null) {
            maxBody = (int) m.get("max-body").size(ForwardAuthConfig.MAX_MAX_BODY);
        }
        ForwardAuthConfig.Cache cache = m.get("cache") == null ? null : cache(m.get("cache"));
        return new ForwardAuthConfig(pool, path, timeout, request, response, maxBody, cache);
    }

    private static ForwardAuthConfig.Cache cache(ConfigNode node) throws ConfigException {
        ConfigMapping m = node.mapping(CACHE_KEYS);
        Duration ttl = m.require("ttl").duration(); // positive: Values refuses 0 and less
        int max = m.get("max-entries") == null ? ForwardAuthConfig.Cache.DEFAULT_MAX_ENTRIES
                : m.get("max-entries").integer(1, 1_000_000);
        boolean denials = m.get("denials") != null && m.get("denials").bool();
        ForwardAuthConfig.Cache.Scope scope = ForwardAuthConfig.Cache.Scope.REQUEST;
        ConfigNode scopeNode = m.get("scope");
        if (scopeNode != null) {
            switch (scopeNode.string()) {
                case "request" -> scope = ForwardAuthConfig.Cache.Scope.REQUEST;
                case "host" -> scope = ForwardAuthConfig.Cache.Scope.HOST;
                default -> throw scopeNode.error(Values.quote(scopeNode.string()) + " is not a scope: request"
                        + " (the same method, Host, target and client) or host (the same Host, any path)");
            }
        }
        return new ForwardAuthConfig.Cache(ttl, max, denials, scope);
    }

    /**
     * Why a client's field (lower case) may not be sent to the auth service, or null. Kodiak's own
     * fields, and every forwarding field: the auth service may read {@code X-Forwarded-User},
     * {@code -Port}, {@code -Prefix}, {@code Forwarded} or {@code X-Real-IP} as a proxy's word
     * (Authelia, oauth2-proxy and Traefik do), and the client's would be a forgery.
     */
    private static String notSent(String lower) {
        if (KODIAKS_REQUEST.contains(lower)) {
            return "Kodiak sets it on the subrequest";
        }
        if (lower.startsWith("x-forwarded-") || lower.equals("forwarded") || lower.equals("x-real-ip")) {
            return "a client's forwarding fields (X-Forwarded-*, Forwarded, X-Real-IP) never reach the auth service,"
                    + " which would take them for a proxy's";
        }
        return null;
    }

    /** A list of field names: valid, not framing, not refused ({@code why} says why, else null), each once. */
    private static List<String> names(ConfigNode node, java.util.function.UnaryOperator<String> why) throws ConfigException {
        List<String> names = new ArrayList<>();
        List<String> lower = new ArrayList<>();
        for (ConfigNode item : node.sequence()) {
            String name = item.string();
            try {
                new FieldEdits().remove(name); // a token, and not a framing field
            } catch (IllegalArgumentException e) {
                throw item.error(e.getMessage());
            }
            String l = name.toLowerCase(Locale.ROOT);
            String refused = why.apply(l);
            if (refused != null) {
                throw item.error(name + " cannot be listed: " + refused);
            }
            if (lower.contains(l)) {
                throw item.error(name + " is listed twice");
            }
            lower.add(l);
            names.add(name);
        }
        return List.copyOf(names);
    }

    /**
     * The pool a {@code forward-auth} in {@code m} (a listener or a route) names must be one of
     * {@code pools:}; it may be a pool no route uses.
     */
    static void checkPool(ConfigMapping m, Set<String> poolNames) throws ConfigException {
        ConfigNode fa = m.get("forward-auth");
        if (fa == null) {
            return;
        }
        ConfigNode poolNode = fa.mapping(KEYS).require("pool");
        String pool = poolNode.string();
        if (!poolNames.contains(pool)) {
            throw poolNode.error("unknown pool " + Values.quote(pool) + " (defined: "
                    + (poolNames.isEmpty() ? "none" : String.join(", ", poolNames)) + ")");
        }
    }

    /**
     * {@code poolNames} without the pool of the {@code forward-auth} in {@code m} (a listener): a
     * listener without routes sends everything to its one pool, and an auth pool beside it is not
     * a second one.
     */
    static Set<String> withoutAuthPool(ConfigMapping m, Set<String> poolNames) throws ConfigException {
        ConfigNode fa = m.get("forward-auth");
        if (fa == null) {
            return poolNames;
        }
        Set<String> rest = new java.util.LinkedHashSet<>(poolNames);
        rest.remove(fa.mapping(KEYS).require("pool").string());
        return rest;
    }
}
