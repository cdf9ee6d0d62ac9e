package io.kodiak.config;

/**
 * Where a pool finds upstreams at run time rather than in the file: a DNS name
 * ({@link DnsSource}) or a Kubernetes Service's EndpointSlices ({@link KubernetesSource}). Each
 * address found becomes an upstream named {@code name()[ADDRESS]}; the set follows the source
 * without a reload.
 */
public sealed interface UpstreamSource permits DnsSource, KubernetesSource {
    /** Identifies the source within its pool and across reloads, e.g. {@code dns app:8000}; an unchanged id keeps its watch. */
    String id();

    /** The entry's name: the prefix of its upstreams' names ({@code name:}, else the address or service). */
    String name();

    /** The weight of each upstream found (1..1000); SRV records give their own. */
    int weight();

    /** {@code max-connections} of each upstream found; 0 for no limit. */
    int maxConnections();
}
