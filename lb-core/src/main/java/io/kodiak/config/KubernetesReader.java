package io.kodiak.config;

import io.kodiak.discovery.KubernetesSettings;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Reads the top-level {@code kubernetes:} section: how to reach the API server for pools'
 * {@code kubernetes:} entries and the shared admin state. Without it, Kodiak does as kubectl and
 * Traefik's Kubernetes provider do: the pod's service account in a cluster, else
 * {@code $KUBECONFIG} or {@code ~/.kube/config}. A {@code kubeconfig} given here resolves against
 * the config file's directory and must be a readable file now, so a typo fails at load rather
 * than as a pool that never fills.
 *
 * <p>Stateless; called on the loading thread.
 */
final class KubernetesReader {
    private static final List<String> KEYS = List.of("kubeconfig", "context", "namespace");

    private KubernetesReader() {
    }

    /** @param node the {@code kubernetes:} value, or {@code null} for {@link KubernetesSettings#DEFAULTS} */
    static KubernetesSettings read(ConfigNode node, Path baseDir) throws ConfigException {
        if (node == null) {
            return KubernetesSettings.DEFAULTS;
        }
        ConfigMapping m = node.mapping(KEYS);
        Path kubeconfig = null;
        ConfigNode file = m.get("kubeconfig");
        if (file != null) {
            kubeconfig = baseDir.resolve(file.string()).normalize();
            if (!Files.exists(kubeconfig)) {
                throw file.error(kubeconfig + " does not exist");
            }
            if (!Files.isRegularFile(kubeconfig)) {
                throw file.error(kubeconfig + " is not a file");
            }
            if (!Files.isReadable(kubeconfig)) {
                throw file.error(kubeconfig + " is not readable by the user Kodiak runs as");
            }
        }
        // A context's name is whatever the kubeconfig calls it; only control characters are refused.
        String context = m.get("context") == null ? null : m.get("context").parse("a context name", Values::fieldValue);
        String namespace = m.get("namespace") == null ? null
                : m.get("namespace").parse("a namespace", DiscoveryValues::kubernetesNamespace);
        return new KubernetesSettings(kubeconfig, context, namespace);
    }
}
