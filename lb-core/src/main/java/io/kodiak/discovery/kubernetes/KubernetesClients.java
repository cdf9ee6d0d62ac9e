package io.kodiak.discovery.kubernetes;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.kodiak.discovery.KubernetesSettings;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;

/**
 * One fabric8 client per kubeconfig and context, shared by every watch that uses it (one
 * connection pool, one token refresh), and closed with the discovery. The namespace is not part
 * of the key: it is applied per watch ({@link #namespaceFor}), so a reload that changes
 * {@code kubernetes.namespace} reuses the client instead of leaving one more open. (One that
 * changes the kubeconfig or the context leaves the old client open until the discovery closes:
 * one per cluster and credentials ever configured, a handful.)
 *
 * <p>How it finds the API server is fabric8's {@link Config#autoConfigure}, which is kubectl's: the
 * in-cluster service account (token and CA under {@code /var/run/secrets/kubernetes.io}), else
 * {@code $KUBECONFIG} or {@code ~/.kube/config}; with {@code kubeconfig:} that file, at the
 * {@code context:} given or its current one. The default namespace is then the pod's own
 * (in-cluster) or the context's, unless {@code namespace:} names one.
 *
 * <p>Threading: any thread. Building a client reads files but does not talk to the server.
 */
public final class KubernetesClients implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(KubernetesClients.class.getName());
    /** Kubernetes' own default, when neither the settings, the pod nor the context say one. */
    static final String DEFAULT_NAMESPACE = "default";
    /**
     * fabric8's informer logs every failed list at WARNING with a stack trace, each retry (every 1 to
     * 32 s, forever while a Role is missing); the watches log the same failure once a minute in
     * words, so its line is kept for SEVERE (an informer that stops). Held here: JUL keeps loggers weakly.
     */
    private static final Logger INFORMER_RETRIES = quiet("io.fabric8.kubernetes.client.informers.impl.cache.Reflector");

    /** What a client depends on: the cluster and the credentials, not the default namespace. */
    private record Key(Path kubeconfig, String context) {
    }

    private final Map<Key, KubernetesClient> clients = new ConcurrentHashMap<>();
    private volatile boolean closed;

    /**
     * The client for {@code settings}' kubeconfig and context, made on first use. Its default
     * namespace is the pod's or the context's: a source gets {@code settings.namespace()} through
     * {@link #namespaceFor}.
     */
    public KubernetesClient client(KubernetesSettings settings) {
        if (closed) {
            throw new IllegalStateException("closed");
        }
        return clients.computeIfAbsent(new Key(settings.kubeconfig(), settings.context()),
                k -> build(new KubernetesSettings(k.kubeconfig(), k.context(), null)));
    }

    /**
     * The namespace to hand a watch: the source's own, else {@code kubernetes.namespace}, else
     * {@code null} (the client's default, the pod's or the context's).
     */
    public static String namespaceFor(KubernetesSettings settings, String given) {
        return given != null && !given.isEmpty() ? given : settings.namespace();
    }

    /**
     * A client for {@code settings} that the caller owns (and closes).
     *
     * @throws IllegalArgumentException when the kubeconfig cannot be read or has no such context
     */
    public static KubernetesClient build(KubernetesSettings settings) {
        Config config;
        try {
            config = settings.kubeconfig() != null
                    ? Config.fromKubeconfig(settings.context(), settings.kubeconfig().toFile())
                    : Config.autoConfigure(settings.context());
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(cannotUse(settings) + e.getMessage(), e);
        }
        // fabric8 falls back to the current context when the one named is missing: a typo would
        // then watch another cluster
        if (settings.context() != null && (config.getCurrentContext() == null
                || !settings.context().equals(config.getCurrentContext().getName()))) {
            throw new IllegalArgumentException(cannotUse(settings) + "it has no such context");
        }
        if (settings.namespace() != null) {
            config.setNamespace(settings.namespace());
        }
        LOG.info(() -> "Kubernetes API " + config.getMasterUrl() + " (namespace " + namespaceOf(config.getNamespace(), null)
                + (settings.kubeconfig() != null ? ", kubeconfig " + settings.kubeconfig() : "") + ")");
        return new KubernetesClientBuilder().withConfig(config).build();
    }

    private static String cannotUse(KubernetesSettings settings) {
        return "kubernetes: cannot use " + (settings.kubeconfig() != null ? "kubeconfig " + settings.kubeconfig() : "the default kubeconfig")
                + (settings.context() != null ? " (context " + settings.context() + ")" : "") + ": ";
    }

    /** {@code namespace} if given, else the client's default (the pod's or the context's), else {@code default}. */
    static String namespace(KubernetesClient client, String namespace) {
        return namespaceOf(namespace, client.getNamespace());
    }

    private static String namespaceOf(String given, String clients) {
        if (given != null && !given.isEmpty()) {
            return given;
        }
        return clients != null && !clients.isEmpty() ? clients : DEFAULT_NAMESPACE;
    }

    private static Logger quiet(String name) {
        Logger logger = Logger.getLogger(name);
        logger.setLevel(java.util.logging.Level.SEVERE);
        return logger;
    }

    @Override
    public void close() {
        closed = true;
        clients.values().forEach(KubernetesClient::close);
        clients.clear();
    }
}
