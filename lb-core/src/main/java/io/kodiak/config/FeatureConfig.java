package io.kodiak.config;

/**
 * One section of a listener's or route's configuration that plugs a feature into the request's
 * phases: header rules, compression, error pages, a rewrite, or an answer of Kodiak's own (a
 * redirect, a fixed response, static files). {@link FeatureReader} reads them, in the order
 * their filters run; {@code io.kodiak.proxy.FeatureFilters} turns them into filters.
 *
 * <p>Implementations are records that compare by value (file contents included), so that a
 * reload can tell a changed route from an unchanged one.
 */
public interface FeatureConfig {
}
