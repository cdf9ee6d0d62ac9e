package io.kodiak.config;

/**
 * Upstreams from a Kubernetes Service's {@code discovery.k8s.io/v1} EndpointSlices: each endpoint
 * address at the slice's port named {@code port} (or numbered so).
 *
 * @param name      the entry's name (prefix of its upstreams' names); the service's by default
 * @param namespace the Service's namespace, or {@code null} for the top-level {@code kubernetes.namespace}
 * @param service   the Service's name (the slices' {@code kubernetes.io/service-name} label)
 * @param port      the port's name in the slices, or its number as text; {@code null} for the only one
 * @param weight    the weight of each endpoint
 * @param maxConnections {@code max-connections} of each endpoint; 0 for no limit
 */
public record KubernetesSource(String name, String namespace, String service, String port, int weight, int maxConnections)
        implements UpstreamSource {
    @Override
    public String id() {
        return "kubernetes " + (namespace == null ? "" : namespace + "/") + service + (port == null ? "" : ":" + port);
    }
}
