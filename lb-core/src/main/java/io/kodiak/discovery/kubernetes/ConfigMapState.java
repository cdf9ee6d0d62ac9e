package io.kodiak.discovery.kubernetes;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.kodiak.discovery.SharedState;

import java.util.concurrent.ScheduledExecutorService;

/** Step 0 placeholder of issue 18: builder B writes the real one (a ConfigMap, compare-and-set). */
public final class ConfigMapState {
    private ConfigMapState() {
    }

    public static SharedState start(KubernetesClient client, String namespace, String name, ScheduledExecutorService scheduler) {
        throw new UnsupportedOperationException("shared admin state is being built (issue 18)");
    }
}
