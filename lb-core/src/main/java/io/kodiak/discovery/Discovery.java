package io.kodiak.discovery;

/**
 * Starts sources. One per process: it owns the discovery thread and the Kubernetes client, so
 * closing it stops every watch it started. The real one is
 * {@code io.kodiak.discovery.standard.StandardDiscovery}; tests give lb-core a fake one.
 */
public interface Discovery extends AutoCloseable {
    /**
     * Follows {@code host}: every A/AAAA address at {@code port}, or with {@code srv} the SRV
     * record's targets. Never blocks; the first answer arrives on {@code listener}.
     */
    Watch dns(DnsSettings resolver, String host, int port, boolean srv, DiscoveryListener listener);

    /**
     * Follows the EndpointSlices of {@code namespace/service}, at the port named (or numbered)
     * {@code port} ({@code null}: the slices' only port).
     */
    Watch kubernetes(KubernetesSettings settings, String namespace, String service, String port, DiscoveryListener listener);

    /** The ConfigMap {@code namespace/name} as a {@link SharedState}. */
    SharedState sharedState(KubernetesSettings settings, String namespace, String name);

    @Override
    void close();
}
