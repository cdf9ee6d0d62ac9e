package io.kodiak.proxy;

import io.kodiak.accesslog.AccessLog;
import io.kodiak.buffer.SpoolIo;
import io.kodiak.buffer.TempDir;
import io.kodiak.config.KodiakConfig;
import io.kodiak.config.ListenerConfig;
import io.kodiak.config.PoolConfig;
import io.kodiak.config.UpstreamConfig;
import io.kodiak.metrics.MetricsRegistry;
import io.kodiak.upstream.AdminState;
import io.kodiak.upstream.PoolRuntime;
import io.kodiak.upstream.Upstream;
import org.glassfish.grizzly.filterchain.FilterChain;
import org.glassfish.grizzly.filterchain.FilterChainBuilder;
import org.glassfish.grizzly.filterchain.TransportFilter;
import org.glassfish.grizzly.nio.transport.TCPNIOConnectorHandler;
import org.glassfish.grizzly.nio.transport.TCPNIOTransport;
import org.glassfish.grizzly.nio.transport.TCPNIOTransportBuilder;
import org.glassfish.grizzly.strategies.SameThreadIOStrategy;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * The data path's owner: one Grizzly NIO transport whose selector threads carry both the client
 * connections (chain: transport → {@link ClientFilter}) and the upstream connections (chain:
 * transport → {@link UpstreamFilter}), with {@link SameThreadIOStrategy} so a request is handled
 * on the selector thread that read it, with no hand-off to a worker pool.
 *
 * <p>This class starts and stops the parts; the changes to them while they run are separate
 * pieces: {@link Reloader} applies a new configuration, {@link RuntimeEdits} the admin API's
 * changes, both through the {@link ControlLoop}, and both under this object's lock, one at a time.
 * {@link Running} holds the configuration and pools in force, {@link Listeners} the bound listeners.
 */
public final class ProxyServer implements AutoCloseable {
    private final TCPNIOTransport transport;
    private final ProxyContext ctx;
    private final SpoolIo spoolIo;
    private final TimeoutSweeper sweeper;
    private final ControlLoop control;
    /** The configuration in force and the pools, replaced by reloads and runtime edits. */
    private final Running running;
    private final Listeners listeners;
    private final SplittableRandom seeds = new SplittableRandom();
    /** Admin states waiting for upstreams not made yet (state file entries, drains by address); every pool shares it. */
    private final io.kodiak.upstream.AdminPresets presets = new io.kodiak.upstream.AdminPresets();
    /** The MBeans of pools, upstreams and listeners, or {@code null} with {@code metrics: off}. */
    private final ProxyMetrics metrics;
    private final Reloader reloader;
    private final RuntimeEdits edits;
    /** The pools' DNS and Kubernetes sources; started once the listeners are bound, stopped first. */
    private final DiscoveryRuntime discovery;
    /** The listeners' access logs, opened at start and by reloads, closed at the end. */
    private final AccessLogs accessLogs = new AccessLogs();
    /** Whether timeouts and certificate polls run only when a test calls for them. */
    private final boolean manual;
    /** Re-reads certificates that change on disk; set once the listeners are bound. */
    private volatile CertificateWatch certificateWatch;
    /** Polls {@link #certificateWatch}; {@code null} when {@link #manual}. */
    private java.util.concurrent.ScheduledExecutorService watchTimer;

    private ProxyServer(KodiakConfig config, LongSupplier nanoTime, Consumer<Map<String, PoolRuntime>> restore,
                        boolean manualSweeps, java.util.function.Supplier<io.kodiak.discovery.Discovery> discovery) throws IOException {
        Reloader.requireResolvable(config, Map.of());
        this.manual = manualSweeps;
        int selectors = Math.max(1, Integer.getInteger("kodiak.selectors", Runtime.getRuntime().availableProcessors()));
        this.transport = TCPNIOTransportBuilder.newInstance()
                .setIOStrategy(SameThreadIOStrategy.getInstance())
                .setSelectorRunnersCount(selectors)
                .setTcpNoDelay(true)
                .setReuseAddress(true)
                .setServerConnectionBackLog(4096)
                .setName("kodiak")
                .build();
        FilterChain upstreamChain = FilterChainBuilder.stateless()
                .add(new TransportFilter()).add(new UpstreamFilter()).build();
        TCPNIOConnectorHandler connector = TCPNIOConnectorHandler.builder(transport).processor(upstreamChain).build();
        // Unix-socket upstreams: the same transport and chain (and so the same selector affinity).
        TCPNIOConnectorHandler unixConnector = UnixChannels.install(transport, upstreamChain);
        // TLS pools' connections: the same upstream filter behind a client-side TLS filter.
        org.glassfish.grizzly.ssl.SSLFilter tlsFilter = UpstreamHandshake.filter();
        FilterChain tlsChain = FilterChainBuilder.stateless()
                .add(new TransportFilter()).add(tlsFilter).add(new UpstreamFilter()).build();
        TCPNIOConnectorHandler tlsConnector = TCPNIOConnectorHandler.builder(transport).processor(tlsChain).build();
        transport.setNIOChannelDistributor(new AffinityDistributor(transport, java.util.Set.of(upstreamChain, tlsChain)));

        // Concurrent: a reload adds and removes entries while selector threads read them.
        Map<Upstream, ConnectionPool> connectionPools = new java.util.concurrent.ConcurrentHashMap<>();
        Map<PoolRuntime, WaitQueue> queues = new java.util.concurrent.ConcurrentHashMap<>();
        Map<String, PoolRuntime> byName = new LinkedHashMap<>();
        for (PoolConfig pc : config.pools().values()) {
            PoolRuntime p = new PoolRuntime(pc, seeds.split());
            p.presets(presets);
            byName.put(pc.name(), p);
            Reloader.addPoolParts(p, queues, connectionPools);
        }
        this.running = new Running(config, byName);
        // Admin states from the state file are in force before the first check and the first request.
        restore.accept(running.pools());
        // First of the parts with threads, so that nothing else needs stopping if it fails.
        this.control = new ControlLoop(running.pools().values(), queues, connectionPools, nanoTime, System::currentTimeMillis,
                seeds.split());
        this.spoolIo = new SpoolIo(2, TempDir.prepare(config.temp().dir()), config.temp().maxTotal());
        this.ctx = new ProxyContext(transport, connector, unixConnector, tlsConnector, tlsFilter, spoolIo, nanoTime, connectionPools, queues, config.metrics().enabled());
        this.sweeper = manualSweeps ? TimeoutSweeper.manual(ctx) : new TimeoutSweeper(ctx, TimeoutSweeper.periodFor(config));
        this.metrics = config.metrics().enabled()
                ? new ProxyMetrics(new MetricsRegistry("io.kodiak", PoolRuntime.METRICS_INTERVAL), ctx) : null;
        this.listeners = new Listeners(ctx);
        this.reloader = new Reloader(running, listeners, ctx, control, spoolIo, sweeper, seeds, this::syncMetrics, accessLogs, presets);
        this.edits = new RuntimeEdits(running, control, reloader, this::syncMetrics);
        this.discovery = new DiscoveryRuntime(discovery, this::applyDiscovered, running::config);
    }

    /** Binds every listener and starts serving. */
    public static ProxyServer start(KodiakConfig config) throws IOException {
        return start(config, System::nanoTime, pools -> { });
    }

    /**
     * Binds every listener and starts serving, after {@code restore} has seen the pools: it may set
     * upstreams' admin states and weights (from a state file) before any check or request runs.
     */
    public static ProxyServer start(KodiakConfig config, Consumer<Map<String, PoolRuntime>> restore) throws IOException {
        return start(config, System::nanoTime, restore);
    }

    /**
     * For tests: starts on the clock {@code nanoTime} with no periodic sweep, so that a timeout
     * fires only when the test calls {@link #sweep()}, as of the time its clock says then, and
     * certificate files are checked only when it calls {@link #pollCertificates()}. With
     * a fake clock the test steps time exactly (to just before a timeout, then past it) instead of
     * waiting for it.
     */
    static ProxyServer startWithManualSweeps(KodiakConfig config, LongSupplier nanoTime) throws IOException {
        return start(config, nanoTime, pools -> { }, true);
    }

    /** For tests: the ACME manager has no thread and reads {@code clock}; the test calls {@code acme().runDue()}. */
    static ProxyServer startWithManualAcme(KodiakConfig config, java.time.Clock clock) throws IOException {
        return start(config, System::nanoTime, pools -> { }, false, clock);
    }

    private static ProxyServer start(KodiakConfig config, LongSupplier nanoTime, Consumer<Map<String, PoolRuntime>> restore)
            throws IOException {
        return start(config, nanoTime, restore, false);
    }

    private static ProxyServer start(KodiakConfig config, LongSupplier nanoTime, Consumer<Map<String, PoolRuntime>> restore,
                                     boolean manualSweeps) throws IOException {
        return start(config, nanoTime, restore, manualSweeps, null, io.kodiak.discovery.standard.StandardDiscovery::new);
    }

    /** For tests: the pools' sources come from {@code discovery} (a fake one) instead of DNS and Kubernetes. */
    static ProxyServer startWithDiscovery(KodiakConfig config, java.util.function.Supplier<io.kodiak.discovery.Discovery> discovery)
            throws IOException {
        return start(config, System::nanoTime, pools -> { }, false, null, discovery);
    }

    private static ProxyServer start(KodiakConfig config, LongSupplier nanoTime, Consumer<Map<String, PoolRuntime>> restore,
                                     boolean manualSweeps, java.time.Clock manualAcme) throws IOException {
        return start(config, nanoTime, restore, manualSweeps, manualAcme, io.kodiak.discovery.standard.StandardDiscovery::new);
    }

    /**
     * @param manualAcme a test's clock for an ACME manager without a thread, or {@code null}
     * @param discovery  makes what the pools' sources run on, when the first one starts
     */
    private static ProxyServer start(KodiakConfig config, LongSupplier nanoTime, Consumer<Map<String, PoolRuntime>> restore,
                                     boolean manualSweeps, java.time.Clock manualAcme,
                                     java.util.function.Supplier<io.kodiak.discovery.Discovery> discovery) throws IOException {
        ProxyServer server = new ProxyServer(config, nanoTime, restore, manualSweeps, discovery);
        if (manualAcme != null) {
            server.ctx.acme.manual(manualAcme);
        }
        try {
            server.bindAndStart();
        } catch (IOException | RuntimeException e) {
            server.close();
            throw e;
        }
        // Once the listeners serve: a pool whose sources have not answered yet answers 503 (HAProxy's
        // init-addr none), and a DNS server that is down does not hold up the start.
        server.discovery.start();
        server.syncMetrics();
        return server;
    }

    private void bindAndStart() throws IOException {
        transport.start();
        io.kodiak.acme.Challenges acme = ctx.acme.challengesFor(running.config());
        // Before the first accept: stored certificates of tls.domains serve the first handshake.
        syncAcme(running.config().listeners());
        for (ListenerConfig lc : running.config().listeners()) {
            ListenerRuntime lr = new ListenerRuntime(lc, running.pools(), acme, ctx.features);
            lr.accessLog = accessLogs.open(lc); // before the first accept: every request is logged
            listeners.put(lc.name(), listeners.bind(lr));
        }
        syncMetrics();
        certificateWatch = new CertificateWatch(this::certificateFiles, this::rereadCertificates);
        if (!manual) {
            watchTimer = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "kodiak-certificate-watch");
                t.setDaemon(true);
                return t;
            });
            long period = CertificateWatch.PERIOD.toMillis();
            watchTimer.scheduleWithFixedDelay(this::pollCertificatesSafely, period, period, java.util.concurrent.TimeUnit.MILLISECONDS);
        }
    }

    /** The certificate, key and client-CA files of the TLS listeners now bound. */
    private List<java.nio.file.Path> certificateFiles() {
        return listeners.runtimes().stream().filter(l -> l.config.tls() != null)
                .flatMap(l -> l.config.tls().sourceFiles().stream()).distinct().toList();
    }

    /** Reads every TLS listener's certificate files again and puts in those that changed ({@link CertificateReload}). */
    synchronized CertificateReload.Outcome rereadCertificates() {
        return CertificateReload.apply(running, listeners, java.time.Instant.now());
    }

    /**
     * Checks the certificate files for changes now, as the watch timer does every
     * {@link CertificateWatch#PERIOD}: for tests started with {@link #startWithManualSweeps}.
     */
    void pollCertificates() {
        certificateWatch.poll();
    }

    private void pollCertificatesSafely() {
        try {
            certificateWatch.poll();
        } catch (RuntimeException e) {
            // The next poll tries again; the watch must not die with one bad read.
            java.util.logging.Logger.getLogger(ProxyServer.class.getName()).log(java.util.logging.Level.SEVERE,
                    "certificate watch failed", e);
        }
    }

    /** Hands the {@code tls.domains} of {@code serving} (the listeners as they run) to the ACME manager. */
    private void syncAcme(List<ListenerConfig> serving) {
        List<io.kodiak.tls.ManagedKeys> managed = new java.util.ArrayList<>();
        boolean plain = false;
        for (ListenerConfig lc : serving) {
            if (lc.tls() == null) {
                plain = true;
            } else if (lc.tls().server().managed() != null) {
                managed.add(lc.tls().server().managed());
            }
        }
        ctx.acme.sync(running.config(), managed, plain);
    }

    /** The ACME manager, or {@code null} when no listener has {@code tls.domains}. */
    public io.kodiak.acme.AcmeManager acme() {
        return ctx.acme.manager();
    }

    /** Brings the MBeans in step with the pools, upstreams and listeners now running. */
    private void syncMetrics() {
        // rate-limit: zones no listener or route names any more go (their state and their series)
        ctx.features.limitZones().retainNamedBy(listeners.runtimes().stream().map(lr -> lr.config).toList());
        if (metrics != null) {
            metrics.sync(running.pools().values(), listeners.runtimes(), discovery.sources());
        }
    }

    /** Where the MBeans go, for the process-wide ones, or {@code null} with {@code metrics: off}. */
    public MetricsRegistry metricsRegistry() {
        return metrics == null ? null : metrics.registry();
    }

    /** Admin states waiting for upstreams not made yet: the state file's and drains by address (every pool reads it). */
    public io.kodiak.upstream.AdminPresets presets() {
        return presets;
    }

    /** The process's temp-file budget and what spill files hold of it now. */
    public io.kodiak.buffer.TempSpace tempSpace() {
        return spoolIo.space();
    }

    public Map<String, PoolRuntime> pools() {
        return running.pools();
    }

    /** The configuration in force (the last one a reload applied). */
    public KodiakConfig config() {
        return running.config();
    }

    /**
     * Applies {@code next} without closing a client connection or failing a request in flight
     * ({@link Reloader}): pools are changed in place ({@link PoolRuntime#reconfigure}: kept
     * upstreams keep their load state, admin state and health), added or removed; a listener whose
     * address is unchanged takes its new routes, timeouts and limits; a listener on a new address
     * is bound first, and one whose address is gone stops accepting and closes its connections as
     * they go idle. If a new address cannot be bound, nothing changes.
     *
     * @return one line per change, for the log and the admin API
     * @throws IOException if a new listener address cannot be bound (the old configuration stays)
     */
    public List<String> reload(KodiakConfig next) throws IOException {
        List<String> changes = reloadUnderLock(next);
        // After the lock: a source's set applies under it, so its watch is never stopped or
        // started while holding it. Unchanged sources keep their watches (no re-query storm).
        discovery.reconfigure();
        syncMetrics();
        return changes;
    }

    private synchronized List<String> reloadUnderLock(KodiakConfig next) throws IOException {
        // The new configuration's holders get the certificates in hand before any listener serves
        // from them; a reload then never meets a handshake with an empty one.
        ctx.acme.prefill(next);
        List<String> changes = reloader.reload(next);
        syncAcme(listeners.runtimes().stream().map(lr -> lr.config).toList());
        return changes;
    }

    /**
     * The discovery thread: {@code set} is what {@code source} now finds for {@code pool}
     * ({@link RuntimeEdits#discovered}); in force when this returns. Under the lock, as a runtime
     * edit, so that it never interleaves with a reload; ignored if its watch stopped while it waited
     * for the lock ({@code current}), since the watch a reload started instead may have applied a
     * newer set meanwhile.
     */
    synchronized void applyDiscovered(String pool, String source, DiscoveredSet set, boolean initial,
                                      java.util.function.BooleanSupplier current) {
        if (!current.getAsBoolean()) {
            return;
        }
        edits.discovered(pool, source, set, initial);
    }

    /**
     * The admin state several instances share through a Kubernetes ConfigMap ({@code admin.shared-state}),
     * on the discovery thread and client the pools' sources use; closed with the server.
     */
    public io.kodiak.discovery.SharedState sharedState(io.kodiak.discovery.KubernetesSettings settings, String namespace,
                                                      String name) {
        return discovery.sharedState(settings, namespace, name);
    }

    /** A pool's DNS and Kubernetes sources as of now, by source id, for the admin API. */
    public Map<String, io.kodiak.discovery.SourceStatus> sources(String pool) {
        return discovery.status(pool);
    }

    /**
     * Adds an upstream to a pool at runtime (HAProxy's {@code add server}): in rotation at once
     * (after its first check if the pool has them, as at start). Not written to the file, so a
     * reload or restart goes back to what the file says.
     *
     * @return the new upstream
     * @throws IllegalArgumentException if the pool does not exist or already has that name or address
     */
    public synchronized Upstream addUpstream(String pool, UpstreamConfig uc) {
        return edits.addUpstream(pool, uc);
    }

    /**
     * Removes an upstream from its pool at runtime (HAProxy's {@code del server}): no new
     * request goes to it; those in flight finish (wait with {@link Upstream#whenIdle()}).
     */
    public synchronized void removeUpstream(Upstream u) {
        edits.removeUpstream(u);
    }

    /**
     * Runs {@code edit} under the lock that reloads, discovered sets and runtime edits hold, so that
     * it sees the pools with none of those half done: a drain by address sets its preset and the
     * upstreams already at the address as one step, and an upstream a source or a reload is making
     * (its preset read, not yet in its pool) is either made before (and found) or after (and takes
     * the preset). {@code edit} may call this server's synchronized methods (the lock is re-entrant).
     * Never from the control loop's thread: those holding this lock wait for that thread.
     */
    public synchronized <T> T underLock(java.util.function.Supplier<T> edit) {
        return edit.get();
    }

    /**
     * Sets an upstream's admin state and waits until it is in force ({@link ControlLoop#setAdminState}).
     *
     * Synchronized with reloads and runtime adds and removes, so that {@code u} is still in its
     * pool when the change applies (else leaving MAINT would restart the checks of a removed upstream).
     *
     * @throws IllegalArgumentException if {@code u} is not an upstream of this server
     */
    public synchronized void setAdminState(Upstream u, AdminState state) {
        edits.setAdminState(u, state);
    }

    /** Sets an upstream's weight ({@code -1}: the configured one) and waits until it is in force. */
    public synchronized void setWeight(Upstream u, int weight) {
        edits.setWeight(u, weight);
    }

    /** How many idle keep-alive connections to {@code u} wait for reuse. */
    public int idleConnections(Upstream u) {
        ConnectionPool cp = ctx.connectionPools.get(u);
        return cp == null ? 0 : cp.idleCount();
    }

    /** How many requests wait in a pool's queue for an upstream under its max-connections. */
    public int queued(String pool) {
        PoolRuntime p = running.pools().get(pool);
        if (p == null) {
            throw new IllegalArgumentException("no pool named \"" + pool + "\"");
        }
        return ctx.queues.get(p).length();
    }

    /**
     * Enforces every timeout that is due as of the clock's now, on the calling thread: what the
     * sweeper's thread does periodically, for tests started with {@link #startWithManualSweeps}.
     */
    void sweep() {
        sweeper.sweep(ctx.now());
    }

    /** The client connections open now (and those closing with output still queued), for tests to observe. */
    java.util.Set<ClientSession> sessions() {
        return ctx.sessions();
    }

    /** The address a listener is bound to (the real port when the config said port 0). */
    public InetSocketAddress boundAddress(String listener) {
        return listeners.boundAddress(listener);
    }

    /**
     * One listener's counters now, for the admin API's status; see {@link #listenerCounts()}.
     *
     * @param address  where it is bound (the real port when the config said 0)
     * @param refused  connections refused: over max-connections, over max-connections-per-address, and while stopping
     * @param identity the listener's runtime, compared by identity: a reload keeps it for a listener it
     *                 leaves bound (renamed or not) and makes a new one, with counters at 0, for one it binds
     */
    public record ListenerCounts(String name, InetSocketAddress address, boolean tls, int connections, long accepted,
                                 long requests, long refused, long rejected, Object identity) {
    }

    /**
     * Every bound listener's counters, in configuration order. A listener a reload is rebinding
     * just now is left out of this one answer rather than waited for.
     */
    public List<ListenerCounts> listenerCounts() {
        List<ListenerCounts> out = new java.util.ArrayList<>();
        for (ListenerConfig lc : running.config().listeners()) {
            Listeners.Bound b = listeners.byName(lc.name());
            if (b == null) {
                continue;
            }
            ListenerRuntime lr = b.runtime();
            out.add(new ListenerCounts(lc.name(), (InetSocketAddress) b.server().getLocalAddress(), lr.config.tls() != null,
                    lr.connections.get(), lr.accepted.sum(), lr.requests.sum(), lr.refused.sum(), lr.rejected.sum(), lr));
        }
        return out;
    }

    /** A listener's TLS handshakes in progress and waiting, for tests to observe. */
    HandshakeSlots handshakes(String listener) {
        return listeners.runtime(listener).handshakes;
    }

    /** A listener's PROXY protocol outcomes, for tests to observe. */
    ProxyProtocolCounts proxyProtocol(String listener) {
        return listeners.runtime(listener).proxyProtocol;
    }

    /** What the feature filters share (tests look at the suspension timer). */
    FeatureRuntime featureRuntime() {
        return ctx.features;
    }

    /** What every basic-auth section shares: its counters, for the metrics. */
    public io.kodiak.auth.BasicAuthRuntime basicAuth() {
        return ctx.features.basicAuth();
    }

    /** Replaces a listener's filters (tests, until filters are configured). */
    void filters(String listener, io.kodiak.filter.Filters filters) {
        ListenerRuntime lr = listeners.runtime(listener);
        lr.filters = filters;
        lr.router = lr.router.withListenerFilters(filters);
    }

    /** Replaces a listener's access log (tests: a target of their own); the old one stays open. */
    void accessLog(String listener, io.kodiak.accesslog.AccessLog log) {
        listeners.runtime(listener).accessLog = log;
    }

    /** Replaces the filters of a listener's route {@code order} (tests, until routes configure them). */
    void routeFilters(String listener, int order, io.kodiak.filter.Filters filters) {
        ListenerRuntime lr = listeners.runtime(listener);
        lr.router = lr.router.withRouteFilters(order, filters);
    }

    /**
     * The access logs in force, in listener order, each once (listeners without one have none):
     * what a reopen for logrotate goes through.
     */
    public List<AccessLog> accessLogs() {
        List<AccessLog> logs = new java.util.ArrayList<>(); // few listeners: contains() is cheap
        for (ListenerConfig lc : running.config().listeners()) {
            Listeners.Bound b = listeners.byName(lc.name());
            AccessLog log = b == null ? null : b.runtime().accessLog;
            if (log != null && !logs.contains(log)) {
                logs.add(log);
            }
        }
        return logs;
    }

    /**
     * Stops accepting, closes idle client connections, lets requests in flight finish within
     * {@code grace}, then closes everything.
     *
     * @return whether every request in flight finished within the grace period
     */
    public boolean shutdown(Duration grace) {
        discovery.close(); // no set changes the pools while they drain
        ctx.stopAccepting();
        listeners.unbindAll();
        long deadline = System.nanoTime() + grace.toNanos();
        boolean clean = true;
        while (true) {
            for (ClientSession s : ctx.sessions()) {
                s.closeWhenIdle();
            }
            if (ctx.sessions().isEmpty()) {
                break;
            }
            if (System.nanoTime() - deadline >= 0) {
                // Connections only flushing their last bytes had their answers: not cut-off requests.
                clean = ctx.sessions().stream().allMatch(ClientSession::flushingOnClose);
                break;
            }
            try {
                Thread.sleep(20); // shutdown only; never on the data path
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                clean = false;
                break;
            }
        }
        close();
        return clean;
    }

    @Override
    public void close() {
        discovery.close(); // first: no set changes the pools while they close
        ctx.acme.close();
        ctx.features.close();
        if (metrics != null) {
            metrics.close();
        }
        control.close();
        sweeper.close();
        if (watchTimer != null) {
            watchTimer.shutdownNow();
        }
        ctx.stopAccepting();
        // Clients first: their exchanges end as aborted, dropping upstream connections without
        // blame. Left to the transport, an upstream connection could close first and its exchange
        // would answer 502 and count a failure against an upstream that did nothing wrong.
        for (ClientSession s : ctx.sessions()) {
            s.terminate();
        }
        for (ConnectionPool p : ctx.connectionPools.values()) {
            p.closeAll();
        }
        try {
            transport.shutdownNow();
        } catch (IOException ignored) {
            // Closing the selectors of a transport that is going away: nothing left to recover.
        }
        spoolIo.close();
        // Last, once no exchange can end any more: the aborted ones above have logged their lines.
        accessLogs.closeAll(AccessLogs.CLOSE_DRAIN);
    }

    @Override
    public String toString() {
        return "ProxyServer" + listeners;
    }
}
