package io.kodiak.config;

/**
 * A route from a listener to a pool. A request matches when its host (if given) equals the
 * request's {@code Host} without port, case-insensitively, its connection's TLS server name (if
 * {@code sni} is given) equals {@code sni}, and its path (if given) starts with {@code pathPrefix}.
 * Among matching routes the most specific wins: a route with a host beats one without, then one
 * with a server name, then the longest path prefix, then file order.
 *
 * @param host       lower-case host name without port, or {@code null} for any host
 * @param pathPrefix path prefix starting with '/', or {@code null} for any path
 * @param pool       the pool's name
 * @param sni        lower-case server name the TLS client asked for (SNI), or {@code null} for any
 * @param features   its feature sections (header rules, rewrites, answers of its own...), in running order
 */
public record RouteConfig(String host, String pathPrefix, String pool, String sni, java.util.List<FeatureConfig> features) {
    public RouteConfig {
        features = java.util.List.copyOf(features);
    }

    public RouteConfig(String host, String pathPrefix, String pool, String sni) {
        this(host, pathPrefix, pool, sni, java.util.List.of());
    }

    public RouteConfig(String host, String pathPrefix, String pool) {
        this(host, pathPrefix, pool, null);
    }
}
