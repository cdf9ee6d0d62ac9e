package io.kodiak.discovery.kubernetes;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.kodiak.discovery.SharedState;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.UnaryOperator;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The admin state shared by several Kodiak instances in one cluster: the data key
 * {@value #KEY} of one ConfigMap, which every instance watches and any may change. Kubernetes is
 * the coordinator the user already runs, so Kodiak needs no cluster of its own (Traefik and the
 * ingress controllers read their state from the API server the same way).
 *
 * <ul>
 *   <li>Read: an informer on that one ConfigMap ({@code withName}, i.e. a {@code metadata.name}
 *       field selector, which is what lets the Role grant it by {@code resourceNames}). Watchers get
 *       the text once it is known ({@code null} while the ConfigMap does not exist) and after every
 *       change by anyone; a text that did not change is not delivered again.</li>
 *   <li>Write: get, apply the change, and {@code update} with the resourceVersion read
 *       (compare-and-set); a {@code 409 Conflict} (another instance wrote in between) runs the change
 *       again on the new text, up to {@value #ATTEMPTS} times. A missing ConfigMap is created (a
 *       {@code 409 AlreadyExists} from a racing instance is retried the same way).</li>
 *   <li>A 403 fails the update with the permission and the manifest that grants it
 *       ({@value #RBAC}); on the informer it is logged SEVERE at most once a minute.</li>
 * </ul>
 *
 * <p>Threading: watchers are called on the {@code scheduler} (the discovery thread), one call at a
 * time. The API calls of {@link #update} block for their round trips (fabric8's request timeout
 * bounds each, 5 attempts at most), so they run on a thread of their own,
 * {@code kodiak-shared-state}, one update at a time and at most {@value #MAX_PENDING} waiting:
 * never on the caller's thread, and never holding up the DNS and EndpointSlice work of the
 * discovery thread.
 */
public final class ConfigMapState implements SharedState {
    private static final Logger LOG = Logger.getLogger(ConfigMapState.class.getName());
    /** The data key; the format is the state file's (see the admin docs). */
    public static final String KEY = "state.json";
    static final int ATTEMPTS = 5;
    static final String RBAC = "deploy/kubernetes/rbac-shared-state.yaml";
    /** Updates come from operators; more than this waiting means the API server is not answering. */
    static final int MAX_PENDING = 64;

    private final KubernetesClient client;
    private final String namespace;
    private final String name;
    private final ScheduledExecutorService scheduler;
    private final ApiErrors.Throttled severe;
    private final List<Consumer<String>> watchers = new CopyOnWriteArrayList<>();
    private final ExecutorService writer = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS,
            new ArrayBlockingQueue<>(MAX_PENDING), r -> {
                Thread t = new Thread(r, "kodiak-shared-state");
                t.setDaemon(true);
                return t;
            });
    private volatile SharedIndexInformer<ConfigMap> informer;
    private volatile boolean closed;

    // The discovery thread's.
    private boolean known;
    private String text;

    private ConfigMapState(KubernetesClient client, String namespace, String name, ScheduledExecutorService scheduler,
                           LongSupplier ticker) {
        this.client = client;
        this.namespace = namespace;
        this.name = name;
        this.scheduler = scheduler;
        this.severe = new ApiErrors.Throttled(LOG, ticker);
    }

    /** Starts watching {@code namespace/name} (namespace {@code null}: the client's default). Returns at once. */
    public static SharedState start(KubernetesClient client, String namespace, String name, ScheduledExecutorService scheduler) {
        return start(client, namespace, name, scheduler, System::nanoTime);
    }

    static ConfigMapState start(KubernetesClient client, String namespace, String name, ScheduledExecutorService scheduler,
                                LongSupplier ticker) {
        ConfigMapState state = new ConfigMapState(client, KubernetesClients.namespace(client, namespace), name, scheduler, ticker);
        SharedIndexInformer<ConfigMap> informer = client.configMaps().inNamespace(state.namespace).withName(name).runnableInformer(0);
        informer.addEventHandler(state.new Events());
        informer.exceptionHandler((started, t) -> {
            state.onThread(() -> state.severe.log(ApiErrors.forbidden(t) ? Level.SEVERE : Level.WARNING,
                    "shared admin state " + state + ": " + ApiErrors.describe(t, "watch", "configmaps", state.namespace, RBAC)));
            return true; // keep trying with fabric8's backoff
        });
        state.informer = informer;
        informer.start();
        return state;
    }

    /** The informer's callbacks, on fabric8's threads: hand the text to the discovery thread. */
    private final class Events implements ResourceEventHandler<ConfigMap> {
        @Override
        public void onList(String resourceVersion, boolean remainedEmpty) {
            if (remainedEmpty) {
                onThread(() -> deliver(null)); // no such ConfigMap (yet): say so once
            }
        }

        @Override
        public void onAdd(ConfigMap cm) {
            String t = textOf(cm);
            onThread(() -> deliver(t));
        }

        @Override
        public void onUpdate(ConfigMap before, ConfigMap after) {
            String t = textOf(after);
            onThread(() -> deliver(t));
        }

        @Override
        public void onDelete(ConfigMap cm, boolean finalStateUnknown) {
            onThread(() -> deliver(null));
        }
    }

    private void deliver(String newText) {
        if (closed || (known && Objects.equals(text, newText))) {
            return;
        }
        known = true;
        text = newText;
        for (Consumer<String> w : watchers) {
            call(w, newText);
        }
    }

    private void call(Consumer<String> watcher, String t) {
        try {
            watcher.accept(t);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "a watcher of the shared admin state " + this + " failed", e);
        }
    }

    @Override
    public void watch(Consumer<String> onChange) {
        watchers.add(onChange);
        onThread(() -> {
            if (known && !closed) {
                call(onChange, text);
            }
        });
    }

    @Override
    public CompletableFuture<Void> update(UnaryOperator<String> change) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        if (closed) {
            done.completeExceptionally(new IllegalStateException("the shared admin state " + this + " is closed"));
            return done;
        }
        try {
            writer.execute(new Write(change, done));
        } catch (RejectedExecutionException e) {
            done.completeExceptionally(new IllegalStateException(closed ? "the shared admin state " + this + " is closed"
                    : "the shared admin state " + this + " has " + MAX_PENDING + " updates waiting: the API server is not answering", e));
        }
        return done;
    }

    /** One update waiting or under way: a class of its own so that {@link #close()} can fail those still waiting. */
    private final class Write implements Runnable {
        private final UnaryOperator<String> change;
        private final CompletableFuture<Void> done;

        Write(UnaryOperator<String> change, CompletableFuture<Void> done) {
            this.change = change;
            this.done = done;
        }

        @Override
        public void run() {
            try {
                write(change);
                done.complete(null);
            } catch (RuntimeException e) {
                done.completeExceptionally(e);
            }
        }
    }

    /** Compare-and-set, retried on a conflict. */
    private void write(UnaryOperator<String> change) {
        for (int attempt = 1; ; attempt++) {
            try {
                ConfigMap current = client.configMaps().inNamespace(namespace).withName(name).get();
                String before = current == null ? null : textOf(current);
                String after = change.apply(before);
                if (after == null || after.equals(before)) {
                    return;
                }
                if (current == null) {
                    client.configMaps().inNamespace(namespace).resource(new ConfigMapBuilder()
                            .withNewMetadata().withName(name).withNamespace(namespace)
                            .addToLabels("app.kubernetes.io/name", "kodiak").endMetadata()
                            .addToData(KEY, after).build()).create();
                } else {
                    // the resourceVersion read above stays in the object: the API server refuses
                    // the update with 409 if anyone wrote since
                    ConfigMap next = new ConfigMapBuilder(current).addToData(KEY, after).build();
                    client.configMaps().inNamespace(namespace).resource(next).update();
                }
                return;
            } catch (RuntimeException e) {
                int code = ApiErrors.code(e);
                if (code == 409 && attempt < ATTEMPTS) {
                    int tried = attempt;
                    LOG.fine(() -> "shared admin state " + this + ": conflict, attempt " + tried + " of " + ATTEMPTS);
                    continue;
                }
                String why = code == 409
                        ? "shared admin state " + this + ": still conflicting after " + ATTEMPTS + " attempts (other instances writing)"
                        : "shared admin state " + this + ": " + ApiErrors.describe(e, "update", "configmaps", namespace, RBAC);
                LOG.log(code == 403 ? Level.SEVERE : Level.WARNING, why);
                throw new IllegalStateException(why, e);
            }
        }
    }

    private static String textOf(ConfigMap cm) {
        Map<String, String> data = cm.getData();
        return data == null ? null : data.get(KEY);
    }

    private void onThread(Runnable r) {
        if (!closed) {
            try {
                scheduler.execute(r);
            } catch (RejectedExecutionException e) {
                // the discovery is closing
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        // Updates still waiting never run: their callers (an admin request waiting for the write)
        // are told so instead of waiting for ever. The one under way is interrupted and ends.
        IllegalStateException gone = new IllegalStateException("the shared admin state " + this + " closed before the update ran");
        for (Runnable r : writer.shutdownNow()) {
            if (r instanceof Write w) {
                w.done.completeExceptionally(gone);
            }
        }
        SharedIndexInformer<ConfigMap> i = informer;
        if (i != null) {
            i.close();
        }
    }

    @Override
    public String toString() {
        return "configmap " + namespace + "/" + name;
    }
}
