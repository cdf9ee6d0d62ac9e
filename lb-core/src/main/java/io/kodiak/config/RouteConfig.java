package io.kodiak.config;

import java.util.List;

/**
 * A route from a listener to a pool, or to an answer of its own. A request matches when all of
 * these hold: its {@code Host} without port is one of {@code hosts} (exact names, or wildcards
 * {@code *.example.com} matching any name that ends in {@code .example.com}), case-insensitively;
 * its connection's TLS server name is {@code sni}; its normalised path equals {@code path},
 * starts with {@code pathPrefix} or contains a match of {@code pathRegex}; and its
 * {@link RouteConditions} hold. An absent matcher matches everything.
 *
 * <p>Precedence (nginx's {@code server_name} and {@code location} rules, flattened): routes whose
 * exact host is the request's come first, then wildcard hosts (the longest suffix first), then
 * routes without a host; within each, routes with a server name before those without. Among
 * those, by path: an exact {@code path} wins; otherwise the longest matching prefix is noted
 * (no path counts as the prefix "/"), and wins at once if it has {@code prefixOverRegex}
 * (nginx's {@code ^~}); otherwise the {@code path-regex} routes are tried in file order and the
 * first match wins (a regular expression beats a prefix, as in nginx); otherwise the longest
 * prefix. At the same path rank a route with more conditions is tried first, then file order.
 * A route whose conditions fail is passed over as if its path had not matched.
 *
 * @param hosts           lower-case host names without port, {@code *.suffix} wildcards; empty for any host
 * @param sni             lower-case server name the TLS client asked for (SNI), or {@code null} for any
 * @param path            the exact path, or {@code null}
 * @param pathPrefix      path prefix starting with '/', or {@code null}
 * @param pathRegex       the regular expression, or {@code null}; at most one of the three path matchers is set
 * @param prefixOverRegex whether this prefix, when it is the longest that matches, beats the regular expressions
 * @param conditions      methods, headers, cookies, query parameters and client addresses
 * @param pool            the pool's name, or {@code null} when the route answers by itself (404 if it does not)
 * @param features        its feature sections (header rules, rewrites, answers of its own...), in running order
 * @param name            its name for {@code $route}, or {@code null} for {@code routes[N]}, its place in its listener
 */
public record RouteConfig(List<String> hosts, String sni, String path, String pathPrefix, PathRegex pathRegex,
                          boolean prefixOverRegex, RouteConditions conditions, String pool,
                          List<FeatureConfig> features, String name) {
    public RouteConfig {
        hosts = List.copyOf(new java.util.LinkedHashSet<>(hosts));
        features = List.copyOf(features);
        java.util.Objects.requireNonNull(conditions, "conditions");
        if ((path != null ? 1 : 0) + (pathPrefix != null ? 1 : 0) + (pathRegex != null ? 1 : 0) > 1) {
            throw new IllegalArgumentException("at most one of path, path-prefix and path-regex");
        }
    }

    /** A route without a name of its own. */
    public RouteConfig(List<String> hosts, String sni, String path, String pathPrefix, PathRegex pathRegex,
                       boolean prefixOverRegex, RouteConditions conditions, String pool, List<FeatureConfig> features) {
        this(hosts, sni, path, pathPrefix, pathRegex, prefixOverRegex, conditions, pool, features, null);
    }

    /** A route on one host (or any), a prefix (or any path), and a server name (or any). */
    public RouteConfig(String host, String pathPrefix, String pool, String sni, List<FeatureConfig> features) {
        this(host == null ? List.of() : List.of(host), sni, null, pathPrefix, null, false, RouteConditions.NONE, pool,
                features);
    }

    public RouteConfig(String host, String pathPrefix, String pool, String sni) {
        this(host, pathPrefix, pool, sni, List.of());
    }

    public RouteConfig(String host, String pathPrefix, String pool) {
        this(host, pathPrefix, pool, null);
    }

    /** The one host of a route on a single host, else {@code null} (any host, or several). */
    public String host() {
        return hosts.size() == 1 ? hosts.get(0) : null;
    }

    /**
     * The groups of its {@code path-regex} ("1".."N", then named groups), what
     * {@link io.kodiak.filter.Template#parse} takes; null without one. See {@link PathRegex#groups(String)}.
     */
    public java.util.Set<String> regexGroups() {
        return pathRegex == null ? null : PathRegex.groups(pathRegex.text());
    }

    /** The same route with other features (tests, and readers that add them after the matchers). */
    public RouteConfig withFeatures(List<FeatureConfig> f) {
        return new RouteConfig(hosts, sni, path, pathPrefix, pathRegex, prefixOverRegex, conditions, pool, f, name);
    }

    /** What it matches, as {@code kodiak run} and warnings describe it, e.g. {@code api.example.com~^/v[12]/}. */
    public String describe() {
        StringBuilder sb = new StringBuilder(hosts.isEmpty() ? "*" : String.join("|", hosts));
        if (sni != null) {
            sb.append(" (sni ").append(sni).append(')');
        }
        if (path != null) {
            sb.append('=').append(path);
        } else if (pathPrefix != null) {
            sb.append(prefixOverRegex ? "^~" : "").append(pathPrefix);
        } else if (pathRegex != null) {
            sb.append('~').append(pathRegex.text());
        }
        if (!conditions.isEmpty()) {
            sb.append(" [").append(conditions.describe()).append(']');
        }
        return sb.toString();
    }
}
