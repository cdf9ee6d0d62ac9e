package io.kodiak.discovery.kubernetes;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.kodiak.discovery.KubernetesSettings;

/** Step 0 placeholder of issue 18: builder B writes the real one (one client per settings, closed at the end). */
public final class KubernetesClients implements AutoCloseable {
    public KubernetesClient client(KubernetesSettings settings) {
        throw new UnsupportedOperationException("Kubernetes discovery is being built (issue 18)");
    }

    @Override
    public void close() {
    }
}
