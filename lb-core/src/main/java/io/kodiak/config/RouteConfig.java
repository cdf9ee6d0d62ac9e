package io.kodiak.config;

/**
 * A route from a listener to a pool. A request matches when its host (if given) equals the
 * request's {@code Host} without port, case-insensitively, and its path (if given) starts with
 * {@code pathPrefix}. Among matching routes the most specific wins: a route with a host beats one
 * without, then the longest path prefix, then file order.
 *
 * @param host       lower-case host name without port, or {@code null} for any host
 * @param pathPrefix path prefix starting with '/', or {@code null} for any path
 * @param pool       the pool's name
 */
public record RouteConfig(String host, String pathPrefix, String pool) {
}
