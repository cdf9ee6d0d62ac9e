package io.kodiak.discovery;

import java.util.List;

/**
 * Everything a source currently says: the whole set, not a change, so that a listener never has to
 * replay history.
 *
 * @param endpoints the addresses, sorted by {@link Endpoint#addressText()} for stable output
 * @param stale     whether this is a last good set kept while the source fails (DNS errors held, a
 *                  Kubernetes watch reconnecting)
 * @param error     the last error while stale, else {@code null}
 */
public record EndpointSet(List<Endpoint> endpoints, boolean stale, String error) {
    public EndpointSet {
        endpoints = List.copyOf(endpoints);
    }
}
