package io.kodiak.discovery;

import java.nio.file.Path;

/**
 * The top-level {@code kubernetes:} section: how to reach the API server.
 *
 * @param kubeconfig a kubeconfig file, or {@code null} for the in-cluster service account (and,
 *                   outside a cluster, {@code $KUBECONFIG} or {@code ~/.kube/config}, as kubectl does)
 * @param context    the kubeconfig context, or {@code null} for its current one
 * @param namespace  the default namespace of sources that name none, or {@code null} for the pod's
 *                   own (in-cluster) or the context's
 */
public record KubernetesSettings(Path kubeconfig, String context, String namespace) {
    public static final KubernetesSettings DEFAULTS = new KubernetesSettings(null, null, null);
}
