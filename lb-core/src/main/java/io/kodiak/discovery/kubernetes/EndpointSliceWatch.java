package io.kodiak.discovery.kubernetes;

import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.kodiak.discovery.DiscoveryListener;
import io.kodiak.discovery.EndpointSet;
import io.kodiak.discovery.SourceStatus;
import io.kodiak.discovery.Watch;

import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Follows a Service's {@code discovery.k8s.io/v1} EndpointSlices (what Envoy's EDS, Traefik's
 * kubernetes providers and the ingress controllers of HAProxy and nginx follow): a fabric8
 * informer on the slices labelled {@code kubernetes.io/service-name=SERVICE}, whose union is one
 * {@link EndpointSet} (see {@link EndpointSlices} for the conditions).
 *
 * <ul>
 *   <li>Events are debounced ({@value #DEBOUNCE_MILLIS} ms): a rollout changes several slices in a
 *       burst and the pool should be rebuilt once.</li>
 *   <li>A dropped watch is re-established by fabric8 (a relist after {@code 410 Gone}); while it
 *       is down (found so by {@value #DROP_CHECKS} checks in a row, one a second, after a list:
 *       whether or not a check saw it up before, since fabric8 has no callback for a drop it
 *       repairs itself) the last set is kept and reported {@code stale}, and each drop counts as
 *       {@code reconnect}. Nothing is removed because the API server went away.</li>
 *   <li>The set is fresh again only once a check sees the watch up, not at the next successful
 *       list: a list allowed with the watch forbidden (a Role granting {@code list} only) would
 *       otherwise turn stale and fresh at every retry.</li>
 *   <li>A failed list (403, 5xx, no route) is retried by fabric8 with exponential backoff (1 s
 *       doubling to 32 s), forever: the Role may be applied later. A 403 is logged SEVERE at most
 *       once a minute naming the missing permission and the manifest that grants it, counted as
 *       {@code forbidden}, and is the status' {@code lastError}.</li>
 *   <li>At most {@value EndpointSlices#MAX_ADDRESSES} addresses (logged when cut). The informer's
 *       cache mirrors the slices the API server holds, as every Kubernetes controller's does; it
 *       is bounded by the API server's own object quotas, not by Kodiak.</li>
 * </ul>
 *
 * <p>Threading: fabric8's informer threads only note that something changed; the set is computed
 * and the listener called on the {@code scheduler} (the one discovery thread), so all mutable state
 * here is that thread's. {@link #status()} and {@link #close()} are for any thread.
 */
public final class EndpointSliceWatch implements Watch {
    private static final Logger LOG = Logger.getLogger(EndpointSliceWatch.class.getName());
    static final long DEBOUNCE_MILLIS = 100;
    static final long CHECK_MILLIS = 1000;
    /**
     * Checks in a row that must find the watch down before it counts as dropped: fabric8 ends each
     * watch request itself every 5 to 10 minutes and opens the next at once, and that is no drop.
     */
    static final int DROP_CHECKS = 3;
    static final String SERVICE_LABEL = "kubernetes.io/service-name";
    static final String RESOURCE = "endpointslices.discovery.k8s.io";
    static final String RBAC = "deploy/kubernetes/rbac.yaml";

    private final String namespace;
    private final String service;
    private final String port;
    private final String host;
    private final DiscoveryListener listener;
    private final ScheduledExecutorService scheduler;
    private final LongSupplier wallClock;
    private final ApiErrors.Throttled severe;
    private final AtomicBoolean emitPending = new AtomicBoolean();
    private final Map<String, AtomicLong> results = new ConcurrentHashMap<>();
    private volatile SharedIndexInformer<EndpointSlice> informer;
    private volatile ScheduledFuture<?> checks;
    private volatile boolean closed;
    private volatile SourceStatus status = new SourceStatus(0, false, 0, null, 0, Map.of());
    /** The discovery thread's view, for tests: a check saw the watch up, with no failure or drop since. */
    private volatile boolean following;

    // The discovery thread's.
    private boolean listed;
    private boolean sawWatching;
    private boolean sawListSinceFailure;
    private int downChecks;
    private boolean dropped;
    private String failure;
    private String lastProblem;
    private long lastSuccessMillis;
    private EndpointSet last;

    private EndpointSliceWatch(String namespace, String service, String port, DiscoveryListener listener,
                               ScheduledExecutorService scheduler, LongSupplier ticker, LongSupplier wallClock) {
        this.namespace = namespace;
        this.service = service;
        this.port = port;
        this.host = service + "." + namespace + ".svc";
        this.listener = listener;
        this.scheduler = scheduler;
        this.wallClock = wallClock;
        this.severe = new ApiErrors.Throttled(LOG, ticker);
    }

    /**
     * Starts following {@code namespace/service} (namespace {@code null}: the client's default).
     * Returns at once; the first set arrives on {@code listener} after the first list.
     */
    public static Watch start(KubernetesClient client, String namespace, String service, String port,
                              DiscoveryListener listener, ScheduledExecutorService scheduler) {
        return start(client, namespace, service, port, listener, scheduler, System::nanoTime, System::currentTimeMillis, CHECK_MILLIS);
    }

    /** As above, with the clocks and the watch check's period given (tests). */
    static EndpointSliceWatch start(KubernetesClient client, String namespace, String service, String port,
                                    DiscoveryListener listener, ScheduledExecutorService scheduler,
                                    LongSupplier ticker, LongSupplier wallClock, long checkMillis) {
        String ns = KubernetesClients.namespace(client, namespace);
        EndpointSliceWatch watch = new EndpointSliceWatch(ns, service, port, listener, scheduler, ticker, wallClock);
        SharedIndexInformer<EndpointSlice> informer = client.discovery().v1().endpointSlices().inNamespace(ns)
                .withLabel(SERVICE_LABEL, service).runnableInformer(0);
        informer.addEventHandler(watch.new Events());
        informer.exceptionHandler((started, t) -> {
            watch.onThread(() -> watch.failed(t));
            return true; // keep trying, with fabric8's backoff: RBAC or the API server may come back
        });
        watch.informer = informer;
        watch.checks = scheduler.scheduleWithFixedDelay(watch::check, checkMillis, checkMillis, TimeUnit.MILLISECONDS);
        informer.start();
        LOG.info(() -> "watching the EndpointSlices of " + watch);
        return watch;
    }

    /** The informer's callbacks, on fabric8's threads: they only note that the set may have changed. */
    private final class Events implements ResourceEventHandler<EndpointSlice> {
        @Override
        public void onList(String resourceVersion, boolean remainedEmpty) {
            onThread(EndpointSliceWatch.this::listed);
        }

        @Override
        public void onAdd(EndpointSlice slice) {
            changed();
        }

        @Override
        public void onUpdate(EndpointSlice before, EndpointSlice after) {
            changed(); // (fabric8's store calls this only when the resourceVersion changed)
        }

        @Override
        public void onDelete(EndpointSlice slice, boolean finalStateUnknown) {
            changed();
        }
    }

    private void onThread(Runnable r) {
        if (!closed) {
            try {
                scheduler.execute(r);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // the discovery is closing: nothing is listening any more
            }
        }
    }

    /** One emit per burst of events. */
    private void changed() {
        if (!closed && emitPending.compareAndSet(false, true)) {
            try {
                scheduler.schedule(this::emit, DEBOUNCE_MILLIS, TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                emitPending.set(false);
            }
        }
    }

    /** A list succeeded: the set is news, but stays stale after a failure or a drop until a check sees the watch up. */
    private void listed() {
        listed = true;
        sawListSinceFailure = true;
        sawWatching = false;
        following = false;
        downChecks = 0;
        count("ok");
        lastSuccessMillis = wallClock.getAsLong();
        if (failure != null || dropped) {
            LOG.fine(() -> "EndpointSlices of " + this + " listed again; fresh once the watch is up");
        }
        emit();
    }

    /** Periodically: whether the watch is up. fabric8 has no callback for a drop it repairs itself. */
    private void check() {
        SharedIndexInformer<EndpointSlice> i = informer;
        if (closed || i == null || !listed) {
            return;
        }
        boolean watching = i.isWatching();
        downChecks = watching ? 0 : downChecks + 1;
        if (watching && !sawWatching) {
            sawWatching = true;
            if (dropped || failure != null) {
                dropped = false;
                failure = null;
                lastSuccessMillis = wallClock.getAsLong();
                LOG.info(() -> "EndpointSlice watch of " + this + " is back");
            }
            emit();
        } else if (!watching && downChecks >= DROP_CHECKS && !dropped && failure == null) {
            // Not "sawWatching" as a condition: a drop before any check saw the watch up is a drop too.
            sawWatching = false;
            dropped = true;
            count("reconnect");
            LOG.warning(() -> "EndpointSlice watch of " + this + " is down; fabric8 reconnects; keeping the last "
                    + (last == null ? 0 : last.endpoints().size()) + " addresses");
            emit();
        }
        following = sawWatching && !dropped && failure == null;
    }

    private void failed(Throwable t) {
        // fabric8 does not say which failed: after a successful list with no failure since, the watch
        String verb = sawListSinceFailure ? "watch" : "list";
        sawListSinceFailure = false;
        sawWatching = false;
        following = false;
        if (ApiErrors.forbidden(t)) {
            count("forbidden");
            failure = ApiErrors.describe(t, verb, RESOURCE, namespace, RBAC);
            severe.log(Level.SEVERE, "Kubernetes discovery of " + this + ": " + failure);
        } else {
            count("error");
            failure = "EndpointSlices of " + this + ": " + ApiErrors.describe(t, verb, RESOURCE, namespace, RBAC);
            severe.log(Level.WARNING, failure + "; retrying");
        }
        emit();
    }

    private void emit() {
        emitPending.set(false);
        SharedIndexInformer<EndpointSlice> i = informer;
        if (closed || i == null || !listed) {
            publishStatus();
            return;
        }
        EndpointSlices.Mapped mapped = EndpointSlices.map(i.getStore().list(), host, port, EndpointSlices.MAX_ADDRESSES);
        if (!Objects.equals(mapped.problem(), lastProblem)) {
            lastProblem = mapped.problem();
            if (lastProblem != null) {
                LOG.warning(() -> "EndpointSlices of " + this + ": " + lastProblem);
            }
        }
        boolean stale = failure != null || dropped;
        String error = stale ? (failure != null ? failure : "the watch dropped; reconnecting") : null;
        EndpointSet set = new EndpointSet(mapped.endpoints(), stale, error);
        boolean changed = !set.equals(last);
        last = set;
        publishStatus();
        if (changed && !closed) {
            try {
                listener.onChange(set);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "the listener of " + this + " failed", e);
            }
        }
    }

    private void publishStatus() {
        EndpointSet s = last;
        String error = failure != null ? failure : dropped ? "the watch dropped; reconnecting" : lastProblem;
        Map<String, Long> counts = new java.util.TreeMap<>();
        results.forEach((k, v) -> counts.put(k, v.get()));
        status = new SourceStatus(s == null ? 0 : s.endpoints().size(), failure != null || dropped, lastSuccessMillis,
                error, 0, counts);
    }

    private void count(String result) {
        results.computeIfAbsent(result, k -> new AtomicLong()).incrementAndGet();
    }

    @Override
    public SourceStatus status() {
        return status;
    }

    @Override
    public void close() {
        closed = true;
        ScheduledFuture<?> c = checks;
        if (c != null) {
            c.cancel(false);
        }
        SharedIndexInformer<EndpointSlice> i = informer;
        if (i != null) {
            i.close();
        }
    }

    @Override
    public String toString() {
        return "kubernetes " + namespace + "/" + service + (port == null ? "" : ":" + port);
    }

    /** Whether the informer's watch is up now (tests). */
    boolean watching() {
        SharedIndexInformer<EndpointSlice> i = informer;
        return i != null && i.isWatching();
    }

    /** Whether the watch's own checks saw the watch up, with no failure or drop since (tests). */
    boolean following() {
        return following;
    }
}
