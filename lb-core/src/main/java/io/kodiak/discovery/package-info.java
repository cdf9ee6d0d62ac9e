/**
 * Finding upstreams at run time: DNS ({@code dns}: A/AAAA and SRV, re-resolved on the TTL) and
 * Kubernetes ({@code kubernetes}: a Service's EndpointSlices, and the admin state shared by
 * several Kodiak instances through a ConfigMap).
 *
 * <p>A library that knows nothing of pools, as {@code lb-health} knows nothing of them: a
 * {@link io.kodiak.discovery.Watch} reports {@link io.kodiak.discovery.EndpointSet}s to a
 * {@link io.kodiak.discovery.DiscoveryListener}, and {@code io.kodiak.proxy.DiscoveryRuntime}
 * turns them into upstreams. It must not depend on {@code config}, {@code upstream} or {@code proxy}.
 */
package io.kodiak.discovery;
