package io.kodiak.discovery.kubernetes;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.kodiak.discovery.DiscoveryListener;
import io.kodiak.discovery.Watch;

import java.util.concurrent.ScheduledExecutorService;

/** Step 0 placeholder of issue 18: builder B writes the real watch (an informer on EndpointSlices). */
public final class EndpointSliceWatch {
    private EndpointSliceWatch() {
    }

    public static Watch start(KubernetesClient client, String namespace, String service, String port,
                              DiscoveryListener listener, ScheduledExecutorService scheduler) {
        throw new UnsupportedOperationException("Kubernetes discovery is being built (issue 18)");
    }
}
