package io.kodiak.discovery;

/**
 * Receives a source's sets. Called from the discovery thread, one call at a time per source,
 * only when the set changed; it may block (lb-core waits for its control loop).
 */
@FunctionalInterface
public interface DiscoveryListener {
    void onChange(EndpointSet set);
}
