package io.kodiak.config;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Reads one listener's {@code routes}: the matchers of each route (host, sni, path, conditions),
 * its pool and its feature sections. Two routes with the same matchers are an error; a route
 * that an earlier one always takes first is a warning ({@link RouteShadows}).
 */
final class RouteReader {
    static final List<String> KEYS = List.of("host", "sni", "path", "path-prefix", "path-regex",
            "prefix-over-regex", "methods", "headers", "cookies", "query", "source", "pool", "name");
    /** Feature keys with which a route answers by itself, so it needs no pool. */
    private static final List<String> ANSWERS = List.of("redirect", "respond", "static");
    /** RFC 9110 §9 and RFC 5789 (PATCH), plus WebDAV's (RFC 4918) that WSGI apps see. */
    private static final Set<String> METHODS = Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS",
            "TRACE", "PATCH", "PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK", "REPORT", "SEARCH");

    private RouteReader() {
    }

    /**
     * @param keys     the keys a route may hold ({@link #KEYS} and the feature keys)
     * @param hasTls   whether the listener has tls (else {@code sni} is refused)
     * @param warnings where routes that can never match are reported
     */
    static List<RouteConfig> read(ConfigNode routesNode, List<String> keys, Set<String> poolNames, boolean hasTls,
                                  java.nio.file.Path baseDir, List<String> warnings) throws ConfigException {
        List<ConfigNode> items = routesNode.sequence();
        if (items.isEmpty()) {
            throw routesNode.error("must list at least one route (or remove the key when there is one pool)");
        }
        List<RouteConfig> result = new ArrayList<>();
        for (ConfigNode item : items) {
            ConfigMapping m = item.mapping(keys);
            ForwardAuthReader.checkPool(m, poolNames); // a pool of its own, which no route needs to use
            RouteConfig route = route(m, poolNames, hasTls)
                    .withFeatures(FeatureReader.read(m, FeatureReader.Scope.ROUTE, baseDir, PathRegex.groups(m)));
            for (int i = 0; i < result.size(); i++) {
                if (sameMatchers(result.get(i), route)) {
                    throw item.error("same host, sni, path and conditions as " + items.get(i).path() + " (line "
                            + items.get(i).line() + "), so it could never match");
                }
            }
            result.add(route);
        }
        RouteShadows.check(result, items, warnings);
        return result;
    }

    private static RouteConfig route(ConfigMapping m, Set<String> poolNames, boolean hasTls) throws ConfigException {
        List<String> hosts = m.get("host") == null ? List.of() : hosts(m.get("host"));
        String sni = m.get("sni") == null ? null : m.get("sni").parse("a host name", ListenerReader::routeHost);
        if (sni != null && !hasTls) {
            throw m.get("sni").error("matches the server name a TLS client asks for: this listener has no tls");
        }
        List<String> pathKeys = m.keys().stream().filter(k -> k.equals("path") || k.equals("path-prefix")
                || k.equals("path-regex")).toList();
        if (pathKeys.size() > 1) {
            throw m.keyError(pathKeys.get(1), "a route has one of path, path-prefix and path-regex; this one also has "
                    + pathKeys.get(0));
        }
        String path = m.get("path") == null ? null : m.get("path").parse("a path", ListenerReader::pathPrefix);
        String prefix = m.get("path-prefix") == null ? null : m.get("path-prefix").parse("a path", ListenerReader::pathPrefix);
        PathRegex regex = m.get("path-regex") == null ? null
                : m.get("path-regex").parse("a regular expression", RouteReader::regex);
        boolean prefixOverRegex = false;
        if (m.get("prefix-over-regex") != null) {
            prefixOverRegex = m.get("prefix-over-regex").bool();
            if (prefix == null) {
                throw m.get("prefix-over-regex").error("applies to a path-prefix (nginx's ^~): this route has none");
            }
        }
        RouteConditions conditions = new RouteConditions(
                m.get("methods") == null ? List.of() : methods(m.get("methods")),
                m.get("headers") == null ? Map.of() : fields(m.get("headers"), "a field name", true, true),
                m.get("cookies") == null ? Map.of() : fields(m.get("cookies"), "a cookie name", true, false),
                m.get("query") == null ? Map.of() : fields(m.get("query"), "a parameter name", false, false),
                m.get("source") == null ? List.of() : sources(m.get("source")));
        String name = m.get("name") == null ? null : m.get("name").parse("a name", Values::name);
        return new RouteConfig(hosts, sni, path, prefix, regex, prefixOverRegex, conditions, pool(m, poolNames),
                List.of(), name);
    }

    private static String pool(ConfigMapping m, Set<String> poolNames) throws ConfigException {
        ConfigNode poolNode = m.get("pool");
        if (poolNode == null) {
            if (ANSWERS.stream().anyMatch(k -> m.get(k) != null)) {
                return null;
            }
            throw m.childError("pool", "required key is missing (a route without a pool answers by itself: "
                    + "redirect, respond or static)");
        }
        String pool = poolNode.string();
        if (!poolNames.contains(pool)) {
            throw poolNode.error("unknown pool " + Values.quote(pool) + " (defined: " + String.join(", ", poolNames) + ")");
        }
        return pool;
    }

    /** One name or a list: exact names and {@code *.suffix} wildcards, lower-cased. */
    private static List<String> hosts(ConfigNode node) throws ConfigException {
        List<ConfigNode> items = node.isScalar() ? List.of(node) : node.sequence();
        if (items.isEmpty()) {
            throw node.error("must list at least one host name (leave host out to match any host)");
        }
        List<String> hosts = new ArrayList<>();
        for (ConfigNode item : items) {
            String h = item.parse("a host name", RouteReader::host);
            if (hosts.contains(h)) {
                throw item.error(Values.quote(h) + " is listed twice");
            }
            hosts.add(h);
        }
        return hosts;
    }

    /** An exact name, as {@link ListenerReader#routeHost}, or {@code *.} followed by one (nginx's wildcard). */
    static String host(String text) {
        if (text.startsWith("*.")) {
            String suffix = text.substring(2);
            if (suffix.indexOf(':') < 0 && !suffix.startsWith("[")) {
                try {
                    return "*." + ListenerReader.withoutTrailingDot(Values.hostSyntax(suffix).toLowerCase(Locale.ROOT));
                } catch (IllegalArgumentException e) {
                    // said below, about the whole name
                }
            }
            throw new IllegalArgumentException(Values.quote(text) + " is not a valid wildcard host name (such as *.example.com)");
        }
        if (text.indexOf('*') >= 0) {
            throw new IllegalArgumentException(Values.quote(text) + " is not a host name: a wildcard is written"
                    + " *.example.com (leave host out to match any host)");
        }
        return ListenerReader.routeHost(text);
    }

    static PathRegex regex(String text) {
        try {
            PathRegex regex = PathRegex.of(text);
            PathRegex.checkGroupNames(text);
            return regex;
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(Values.quote(text) + " " + e.getMessage(), e);
        }
    }

    /** A list of methods, or one (also {@code request-rules}' and {@code access}'). */
    static List<String> methods(ConfigNode node) throws ConfigException {
        List<ConfigNode> items = node.isScalar() ? List.of(node) : node.sequence();
        if (items.isEmpty()) {
            throw node.error("must list at least one method (leave methods out to match any)");
        }
        List<String> methods = new ArrayList<>();
        for (ConfigNode item : items) {
            methods.add(item.parse("a method", RouteReader::method));
        }
        return methods;
    }

    static String method(String text) {
        if (METHODS.contains(text)) {
            return text;
        }
        if (METHODS.contains(text.toUpperCase(Locale.ROOT))) {
            throw new IllegalArgumentException(Values.quote(text) + ": methods are case-sensitive; write "
                    + text.toUpperCase(Locale.ROOT));
        }
        throw new IllegalArgumentException("unknown method " + Values.quote(text) + " (known: "
                + String.join(", ", new java.util.TreeSet<>(METHODS)) + ")");
    }

    /**
     * {@code headers}, {@code cookies} or {@code query}: name to condition.
     *
     * @param token     whether names must be tokens (field and cookie names)
     * @param lowerCase whether names compare case-insensitively (field names)
     */
    static Map<String, FieldCondition> fields(ConfigNode node, String what, boolean token, boolean lowerCase)
            throws ConfigException {
        ConfigMapping m = node.freeMapping();
        if (m.isEmpty()) {
            throw node.error("must name at least one " + what.substring(what.indexOf(' ') + 1));
        }
        Map<String, FieldCondition> out = new HashMap<>();
        for (String key : m.keys()) {
            if (key.isEmpty()) {
                throw m.keyError(key, "an empty " + what.substring(what.indexOf(' ') + 1) + " never matches");
            }
            if (token && !key.matches("[!#$%&'*+.^_`|~0-9A-Za-z-]+")) {
                throw m.keyError(key, Values.quote(key) + " is not " + what + " (a token: letters, digits, !#$%&'*+-.^_`|~)");
            }
            String name = lowerCase ? key.toLowerCase(Locale.ROOT) : key;
            if (out.containsKey(name)) {
                throw m.keyError(key, Values.quote(key) + " is given twice (field names are case-insensitive)");
            }
            out.put(name, m.get(key).parse("true, false, a value or ~regex", RouteReader::condition));
        }
        return out;
    }

    static FieldCondition condition(String text) {
        try {
            return FieldCondition.parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(text.length() > 1 ? Values.quote(text.substring(1)) + " " + e.getMessage()
                    : e.getMessage(), e);
        }
    }

    static List<Cidr> sources(ConfigNode node) throws ConfigException {
        List<ConfigNode> items = node.isScalar() ? List.of(node) : node.sequence();
        if (items.isEmpty()) {
            throw node.error("must list at least one address or range (leave source out to match any client)");
        }
        List<Cidr> out = new ArrayList<>();
        for (ConfigNode item : items) {
            out.add(item.parse("an address or range", Cidr::parse));
        }
        return out;
    }

    /** Whether two routes match exactly the same requests by construction. */
    static boolean sameMatchers(RouteConfig a, RouteConfig b) {
        return Set.copyOf(a.hosts()).equals(Set.copyOf(b.hosts())) && java.util.Objects.equals(a.sni(), b.sni())
                && java.util.Objects.equals(a.path(), b.path()) && java.util.Objects.equals(a.pathPrefix(), b.pathPrefix())
                && java.util.Objects.equals(a.pathRegex(), b.pathRegex()) && a.conditions().equals(b.conditions());
    }
}
