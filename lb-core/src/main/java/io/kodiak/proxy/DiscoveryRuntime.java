package io.kodiak.proxy;

import io.kodiak.config.DnsSource;
import io.kodiak.config.KodiakConfig;
import io.kodiak.config.KubernetesSource;
import io.kodiak.config.PoolConfig;
import io.kodiak.config.UpstreamConfig;
import io.kodiak.config.UpstreamSource;
import io.kodiak.discovery.Discovery;
import io.kodiak.discovery.DnsSettings;
import io.kodiak.discovery.EndpointSet;
import io.kodiak.discovery.KubernetesSettings;
import io.kodiak.discovery.SourceStatus;
import io.kodiak.discovery.Watch;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The pools' discovery sources as they run: one {@link Watch} per source of every running pool
 * (HAProxy's {@code server-template} with {@code resolvers}, nginx's {@code server ... resolve},
 * Envoy's STRICT_DNS and EDS clusters), each set it reports turned into upstreams
 * ({@link DiscoveredSet#of}) and handed to the {@link Sink} (the server, which applies it through
 * its control loop as a reload applies a pool).
 *
 * <p>A reload ({@link #reconfigure}) keeps the watch of a source whose id and settings stay, so
 * that a SIGHUP neither re-queries every name nor drops a set; a source whose resolver or
 * Kubernetes settings changed gets a new watch; a source that is gone loses its watch (the pool
 * already dropped its upstreams). The newest set of each source is kept: if applying it fails (the
 * control loop did not run it within its bound, say) it is retried a second later, and a newer set
 * simply replaces it, so that no answer is lost and none is applied out of order.
 *
 * <p><b>Threading.</b> {@link #start}, {@link #reconfigure}, {@link #status} and {@link #close}
 * from any thread, serialised on this object; they never wait for the server's lock, so a reload
 * may call them after it let go of that lock. The watches' listeners run on the discovery thread
 * (dnsjava's answers and fabric8's events are handed to it) and block while the server applies a
 * set: that is the listener's contract. Retries run on a daemon thread of their own. The
 * {@link Discovery} (and its thread) is made when the first source starts, so a configuration
 * without sources starts no thread.
 */
final class DiscoveryRuntime implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(DiscoveryRuntime.class.getName());
    /** How long after a failed apply or start the source is tried again. */
    static final long RETRY_MILLIS = 1000;

    /** Where sets go: {@code ProxyServer.applyDiscovered}. */
    @FunctionalInterface
    interface Sink {
        /**
         * Applies {@code set} as the upstreams {@code source} found for {@code pool}; blocks until
         * it is in force.
         *
         * @param initial whether it is the source's first set since its watch started: its upstreams
         *                join as a file's upstreams do at start, the later ones through their first check
         * @param current whether the watch that found it still runs: the sink checks it under the
         *                lock that orders sets (a reload may stop the watch and start another, whose
         *                newer set must not be overwritten by this one waiting for that lock)
         * @throws RuntimeException if it could not be applied now (it is retried)
         */
        void apply(String pool, String source, DiscoveredSet set, boolean initial, java.util.function.BooleanSupplier current);
    }

    private final Supplier<Discovery> discoveryFactory;
    private final Sink sink;
    private final Supplier<KodiakConfig> config;
    private final ScheduledExecutorService retries;
    /** The running sources in configuration order; replaced as a whole under {@code this}, read without a lock. */
    private volatile List<Source> sources = List.of();
    /** Made when the first source starts; guarded by {@code this}. */
    private Discovery discovery;
    private boolean closed;

    /**
     * @param discovery makes the {@link Discovery} when the first source starts (tests give a fake)
     * @param config    the configuration in force, read at each {@link #reconfigure}
     */
    DiscoveryRuntime(Supplier<Discovery> discovery, Sink sink, Supplier<KodiakConfig> config) {
        this.discoveryFactory = discovery;
        this.sink = sink;
        this.config = config;
        this.retries = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "kodiak-discovery-retry");
            t.setDaemon(true);
            return t;
        });
    }

    /** Starts the watches of the configuration in force. */
    void start() {
        reconfigure();
    }

    /**
     * Brings the watches in step with the configuration in force: new sources start, sources gone
     * stop, sources whose settings changed restart, and unchanged ones stay. A kept source whose
     * entry changed (its weight, max-connections or name) has its last set applied again with them.
     * Watches start and sets apply after this object's lock is released: a fake discovery may
     * answer at once, and an apply takes the server's lock.
     */
    void reconfigure() {
        List<Source> stop = new ArrayList<>();
        List<Source> start = new ArrayList<>();
        Map<Source, Spec> respec = new LinkedHashMap<>();
        synchronized (this) {
            if (closed) {
                return;
            }
            KodiakConfig c = config.get();
            Map<Key, Spec> wanted = new LinkedHashMap<>();
            for (PoolConfig pc : c.pools().values()) {
                for (UpstreamSource s : pc.sources()) {
                    wanted.put(new Key(pc.name(), s.id()), Spec.of(s, c));
                }
            }
            Map<Key, Source> next = new LinkedHashMap<>();
            for (Source s : sources) {
                Spec spec = wanted.get(s.key);
                if (spec == null || !spec.watchSettings().equals(s.spec.watchSettings())) {
                    LOG.info(() -> "pool " + s.key.pool() + ": " + s.key.source()
                            + (spec == null ? ": no longer a source; its watch stops" : ": its settings changed; its watch restarts"));
                    stop.add(s);
                } else {
                    next.put(s.key, s);
                    if (!spec.equals(s.spec)) {
                        respec.put(s, spec);
                    }
                }
            }
            wanted.forEach((key, spec) -> next.computeIfAbsent(key, k -> {
                Source s = new Source(k, spec);
                start.add(s);
                return s;
            }));
            sources = List.copyOf(next.values());
        }
        stop.forEach(Source::stop);
        start.forEach(Source::startWatch);
        respec.forEach(Source::respec);
    }

    /**
     * The ConfigMap {@code namespace/name} as the admin state several instances share, through the
     * same {@link Discovery} as the sources (one thread, one Kubernetes client per settings); it
     * stops when this closes.
     *
     * @throws IllegalStateException once closed
     */
    io.kodiak.discovery.SharedState sharedState(KubernetesSettings settings, String namespace, String name) {
        return discovery().sharedState(settings, namespace, name);
    }

    /** The pool's sources as the admin API and the metrics show them, by source id, in configuration order. */
    Map<String, SourceStatus> status(String pool) {
        Map<String, SourceStatus> m = new LinkedHashMap<>();
        for (Source s : sources) {
            if (s.key.pool().equals(pool)) {
                m.put(s.key.source(), s.status());
            }
        }
        return m;
    }

    /** Every running source, for the metrics (one MBean each); lock-free. */
    List<Source> sources() {
        return sources;
    }

    /** Stops every watch and the discovery thread; no set is applied afterwards. */
    @Override
    public void close() {
        List<Source> stop;
        Discovery d;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            stop = sources;
            sources = List.of();
            d = discovery;
        }
        stop.forEach(Source::stop);
        retries.shutdownNow();
        if (d != null) {
            try {
                d.close();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "discovery did not close cleanly", e);
            }
        }
    }

    private synchronized Discovery discovery() {
        if (closed) {
            throw new IllegalStateException("discovery is closed");
        }
        if (discovery == null) {
            discovery = discoveryFactory.get();
        }
        return discovery;
    }

    private void retryLater(Runnable task) {
        try {
            retries.schedule(task, RETRY_MILLIS, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            LOG.fine(() -> "closed: a retry was not scheduled");
        }
    }

    /** A source within its pool. */
    record Key(String pool, String source) {
    }

    /**
     * A source's entry and what its watch depends on.
     *
     * @param watchSettings what the watch was started with (name, port, resolver or cluster
     *                      settings); equal ones keep the watch
     */
    record Spec(UpstreamSource source, Object watchSettings) {
        static Spec of(UpstreamSource s, KodiakConfig c) {
            if (s instanceof DnsSource d) {
                DnsSettings r = c.resolvers().getOrDefault(d.resolver(), c.resolvers().get("default"));
                return new Spec(s, List.of(d.host(), d.port(), d.srv(), Objects.requireNonNull(r, "resolver " + d.resolver())));
            }
            KubernetesSource k = (KubernetesSource) s;
            KubernetesSettings ks = c.kubernetes();
            String ns = k.namespace() != null ? k.namespace() : ks.namespace();
            return new Spec(s, java.util.Arrays.asList(ks, ns, k.service(), k.port()));
        }
    }

    /**
     * One running source: its watch, the newest set it reported and whether that set is in force.
     * Its state is guarded by itself and held only briefly; {@link #applying} makes the listener,
     * a retry and a reload apply one set at a time, each the newest there is when it starts.
     */
    final class Source {
        final Key key;
        private volatile Spec spec;
        private volatile Watch watch;
        /** Serialises applies; never taken while holding {@code this}. */
        private final Object applying = new Object();
        /** The newest set reported, or {@code null} before the first; guarded by {@code this}. */
        private EndpointSet latest;
        /** Bumped by every new set and entry change; the version in force is {@link #appliedVersion}. */
        private long version;
        private long appliedVersion;
        /** Whether a set of this watch was ever applied: the first one is the initial set. */
        private boolean appliedOnce;
        private boolean retrying;
        private volatile boolean stopped;
        /** Why the watch could not start, or {@code null}. */
        private volatile String startError;

        Source(Key key, Spec spec) {
            this.key = key;
            this.spec = spec;
        }

        /** The discovery thread: a new set. */
        private void onChange(EndpointSet set) {
            synchronized (this) {
                if (stopped) {
                    return;
                }
                latest = set;
                version++;
            }
            applyLatest();
        }

        /** Applies the newest set unless it is in force already; on failure, tries again later. */
        private void applyLatest() {
            synchronized (applying) {
                EndpointSet set;
                long v;
                Spec sp;
                boolean initial;
                synchronized (this) {
                    if (stopped || latest == null || appliedVersion == version) {
                        return;
                    }
                    set = latest;
                    v = version;
                    sp = spec;
                    initial = !appliedOnce;
                }
                DiscoveredSet found = DiscoveredSet.of(sp.source(), set);
                try {
                    sink.apply(key.pool(), key.source(), found, initial, () -> !stopped);
                    synchronized (this) {
                        appliedVersion = Math.max(appliedVersion, v);
                        appliedOnce = true;
                    }
                } catch (RuntimeException e) {
                    if (stopped) {
                        return; // closing: the server is going away with its pools
                    }
                    LOG.warning(() -> "pool " + key.pool() + ": " + key.source() + ": the set of " + found.upstreams().size()
                            + " address(es) was not applied (" + e.getMessage() + "); trying again in " + RETRY_MILLIS + " ms");
                    scheduleRetry(this::applyLatest);
                }
            }
        }

        private void scheduleRetry(Runnable task) {
            synchronized (this) {
                if (retrying || stopped) {
                    return;
                }
                retrying = true;
            }
            retryLater(() -> {
                synchronized (this) {
                    retrying = false;
                }
                task.run();
            });
        }

        /** A reload changed the entry but not the watch: the last set again, with the new weights and names. */
        private void respec(Spec next) {
            synchronized (this) {
                spec = next;
                version++;
            }
            applyLatest();
        }

        private void startWatch() {
            synchronized (this) {
                if (stopped || watch != null) {
                    return;
                }
            }
            Watch w;
            try {
                w = open(spec, this::onChange);
                startError = null;
            } catch (RuntimeException e) {
                if (stopped) {
                    return; // closed or reloaded away while it started: nothing to retry
                }
                // A source that cannot start (no cluster credentials, say) leaves its pool's other
                // upstreams serving; it is tried again.
                startError = e.getMessage() == null ? e.toString() : e.getMessage();
                LOG.log(Level.SEVERE, "pool " + key.pool() + ": " + key.source() + " cannot start: " + startError
                        + "; trying again in " + RETRY_MILLIS + " ms", e);
                scheduleRetry(this::startWatch);
                return;
            }
            boolean late;
            synchronized (this) {
                late = stopped;
                if (!late) {
                    watch = w;
                }
            }
            if (late) {
                w.close(); // stopped while it started
            }
        }

        private Watch open(Spec sp, io.kodiak.discovery.DiscoveryListener listener) {
            List<?> w = (List<?>) sp.watchSettings();
            if (sp.source() instanceof DnsSource d) {
                return discovery().dns((DnsSettings) w.get(3), d.host(), d.port(), d.srv(), listener);
            }
            KubernetesSource k = (KubernetesSource) sp.source();
            return discovery().kubernetes((KubernetesSettings) w.get(0), (String) w.get(1), k.service(), k.port(), listener);
        }

        private void stop() {
            Watch w;
            synchronized (this) {
                stopped = true;
                w = watch;
                watch = null;
            }
            if (w != null) {
                try {
                    w.close();
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "pool " + key.pool() + ": " + key.source() + ": its watch did not close cleanly", e);
                }
            }
        }

        /** As of now; before the watch started, why it did not. Lock-free. */
        SourceStatus status() {
            Watch w = watch;
            if (w == null) {
                return new SourceStatus(0, false, 0, startError, 0, Map.of());
            }
            return w.status();
        }

        String pool() {
            return key.pool();
        }

        String id() {
            return key.source();
        }

        @Override
        public String toString() {
            return "Source[" + key.pool() + ", " + key.source() + (watch == null ? ", not started" : "") + "]";
        }
    }

    @Override
    public String toString() {
        return "DiscoveryRuntime[" + sources.size() + " source(s)]";
    }
}
