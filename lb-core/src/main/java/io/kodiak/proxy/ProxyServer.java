package io.kodiak.proxy;

import io.kodiak.buffer.SpoolIo;
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
import org.glassfish.grizzly.nio.transport.TCPNIOServerConnection;
import org.glassfish.grizzly.nio.transport.TCPNIOTransport;
import org.glassfish.grizzly.nio.transport.TCPNIOTransportBuilder;
import org.glassfish.grizzly.strategies.SameThreadIOStrategy;

import java.io.IOException;
import java.nio.file.Path;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.stream.Stream;

/**
 * The data path's owner: one Grizzly NIO transport whose selector threads carry both the client
 * connections (chain: transport → {@link ClientFilter}) and the upstream connections (chain:
 * transport → {@link UpstreamFilter}), with {@link SameThreadIOStrategy} so a request is handled
 * on the selector thread that read it, with no hand-off to a worker pool.
 */
public final class ProxyServer implements AutoCloseable {
    private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(ProxyServer.class.getName());
    private volatile KodiakConfig config;
    private final TCPNIOTransport transport;
    private final ProxyContext ctx;
    private final SpoolIo spoolIo;
    private final TimeoutSweeper sweeper;
    private final ControlLoop control;
    /** By name, in configuration order; replaced as a whole by a reload. */
    private volatile Map<String, PoolRuntime> pools;
    /** Listeners by name with their server connections; changed only under this object's lock. */
    private final Map<String, Bound> listeners = new java.util.concurrent.ConcurrentHashMap<>();
    private final SplittableRandom seeds = new SplittableRandom();
    /** The MBeans of pools, upstreams and listeners, or {@code null} with {@code metrics: off}. */
    private final ProxyMetrics metrics;

    /** A listener as bound: its runtime and its server connection. */
    private record Bound(ListenerRuntime runtime, TCPNIOServerConnection server) {
    }

    private ProxyServer(KodiakConfig config, LongSupplier nanoTime, Consumer<Map<String, PoolRuntime>> restore) throws IOException {
        requireResolvable(config, Map.of());
        this.config = config;
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
        transport.setNIOChannelDistributor(new AffinityDistributor(transport, upstreamChain));

        // Concurrent: a reload adds and removes entries while selector threads read them.
        Map<Upstream, ConnectionPool> connectionPools = new java.util.concurrent.ConcurrentHashMap<>();
        Map<PoolRuntime, WaitQueue> queues = new java.util.concurrent.ConcurrentHashMap<>();
        Map<String, PoolRuntime> byName = new LinkedHashMap<>();
        for (PoolConfig pc : config.pools().values()) {
            PoolRuntime p = new PoolRuntime(pc, seeds.split());
            byName.put(pc.name(), p);
            addPoolParts(p, queues, connectionPools);
        }
        this.pools = java.util.Collections.unmodifiableMap(byName);
        // Admin states from the state file are in force before the first check and the first request.
        restore.accept(pools);
        // First of the parts with threads, so that nothing else needs stopping if it fails.
        this.control = new ControlLoop(pools.values(), queues, connectionPools, nanoTime, System::currentTimeMillis, seeds.split());
        this.spoolIo = new SpoolIo(2, io.kodiak.buffer.TempDir.prepare(config.temp().dir()), config.temp().maxTotal());
        this.ctx = new ProxyContext(transport, connector, spoolIo, nanoTime, connectionPools, queues, config.metrics().enabled());
        this.sweeper = new TimeoutSweeper(ctx, TimeoutSweeper.periodFor(shortestTimeout(config)));
        this.metrics = config.metrics().enabled()
                ? new ProxyMetrics(new MetricsRegistry("io.kodiak", PoolRuntime.METRICS_INTERVAL), ctx) : null;
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

    static ProxyServer start(KodiakConfig config, LongSupplier nanoTime) throws IOException {
        return start(config, nanoTime, pools -> { });
    }

    private static ProxyServer start(KodiakConfig config, LongSupplier nanoTime, Consumer<Map<String, PoolRuntime>> restore)
            throws IOException {
        ProxyServer server = new ProxyServer(config, nanoTime, restore);
        try {
            server.bindAndStart();
        } catch (IOException | RuntimeException e) {
            server.close();
            throw e;
        }
        return server;
    }

    private static void addPoolParts(PoolRuntime p, Map<PoolRuntime, WaitQueue> queues, Map<Upstream, ConnectionPool> connectionPools) {
        queues.put(p, new WaitQueue(p.config().queue().maxLength(), p));
        for (Upstream u : p.upstreams()) {
            connectionPools.put(u, newConnectionPool(p.config()));
        }
    }

    private static ConnectionPool newConnectionPool(PoolConfig pc) {
        return new ConnectionPool(pc.connections().maxIdle(), pc.connections().idleTimeout().toNanos());
    }

    private void bindAndStart() throws IOException {
        transport.start();
        for (ListenerConfig lc : config.listeners()) {
            listeners.put(lc.name(), bind(new ListenerRuntime(lc, pools)));
        }
        syncMetrics();
    }

    /** Brings the MBeans in step with the pools, upstreams and listeners now running. */
    private void syncMetrics() {
        if (metrics != null) {
            metrics.sync(pools.values(), listeners.values().stream().map(Bound::runtime).toList());
        }
    }

    /** Where the MBeans go, for the process-wide ones, or {@code null} with {@code metrics: off}. */
    public MetricsRegistry metricsRegistry() {
        return metrics == null ? null : metrics.registry();
    }

    /** Binds {@code lr}'s address with its filter chain in place before the first accept. */
    private Bound bind(ListenerRuntime lr) throws IOException {
        ListenerConfig lc = lr.config;
        FilterChain chain = FilterChainBuilder.stateless()
                .add(new TransportFilter()).add(new ClientFilter(ctx, lr)).build();
        try {
            TCPNIOServerConnection sc = org.glassfish.grizzly.nio.transport.TCPNIOBindingHandler.builder(transport)
                    .processor(chain).build().bind(lc.address(), 4096);
            return new Bound(lr, sc);
        } catch (IOException e) {
            throw new IOException("listener " + lc.name() + ": cannot listen on "
                    + new io.kodiak.config.Values.HostPort(lc.address().getHostString(), lc.address().getPort())
                    + ": " + e.getMessage(), e);
        }
    }

    /** The process's temp-file budget and what spill files hold of it now. */
    public io.kodiak.buffer.TempSpace tempSpace() {
        return spoolIo.space();
    }

    public Map<String, PoolRuntime> pools() {
        return pools;
    }

    /** The configuration in force (the last one a reload applied). */
    public KodiakConfig config() {
        return config;
    }

    /**
     * Applies {@code next} without closing a client connection or failing a request in flight:
     * pools are changed in place ({@link PoolRuntime#reconfigure}: kept upstreams keep their load
     * state, admin state and health), added or removed; a listener whose address is unchanged
     * takes its new routes, timeouts and limits; a listener on a new address is bound first, and
     * one whose address is gone stops accepting and closes its connections as they go idle. If a
     * new address cannot be bound, nothing changes.
     *
     * @return one line per change, for the log and the admin API
     * @throws IOException if a new listener address cannot be bound (the old configuration stays)
     */
    public synchronized List<String> reload(KodiakConfig next) throws IOException {
        List<String> changes = new ArrayList<>();
        Map<String, PoolRuntime> before = pools;
        requireResolvable(next, before); // before anything changes: a half-applied reload is worse than none
        Path tempDir = io.kodiak.buffer.TempDir.prepare(next.temp().dir());
        Map<String, PoolRuntime> after = new LinkedHashMap<>();
        List<PoolRuntime> added = new ArrayList<>();
        for (PoolConfig pc : next.pools().values()) {
            PoolRuntime p = before.get(pc.name());
            if (p == null) {
                p = new PoolRuntime(pc, seeds.split());
                added.add(p);
            }
            after.put(pc.name(), p);
        }
        // Parts of new pools first: a new listener may route a request to one at once.
        for (PoolRuntime p : added) {
            addPoolParts(p, ctx.queues, ctx.connectionPools);
        }
        // A listener is its address: one whose address stays is updated, a new address is bound.
        Map<InetSocketAddress, Bound> byAddress = new java.util.HashMap<>();
        for (Bound b : listeners.values()) {
            byAddress.put(b.runtime().config.address(), b);
        }
        Map<String, Bound> nextListeners = new LinkedHashMap<>();
        List<Bound> newlyBound = new ArrayList<>();
        try {
            for (ListenerConfig lc : next.listeners()) {
                Bound b = byAddress.remove(lc.address());
                if (b == null) {
                    b = bind(new ListenerRuntime(lc, after));
                    newlyBound.add(b);
                    changes.add("listener " + lc.name() + ": now on " + lc.address().getHostString() + ":" + lc.address().getPort());
                }
                nextListeners.put(lc.name(), b);
            }
        } catch (IOException | RuntimeException e) {
            for (Bound b : newlyBound) {
                transport.unbind(b.server());
            }
            for (PoolRuntime p : added) {
                removePoolParts(p);
            }
            throw e;
        }
        // Pools, on the control loop's thread, so that no health transition interleaves.
        control.runAndWait(() -> {
            for (PoolRuntime p : added) {
                control.addPool(p);
                changes.add("pool " + p.name() + ": added with " + p.upstreams().size() + " upstream(s)");
            }
            for (PoolConfig pc : next.pools().values()) {
                PoolRuntime p = before.get(pc.name());
                if (p != null) {
                    reconfigure(p, pc, changes);
                }
            }
        });
        for (ListenerConfig lc : next.listeners()) {
            Bound b = nextListeners.get(lc.name());
            if (!newlyBound.contains(b)) {
                if (!b.runtime().config.equals(lc)) {
                    changes.add("listener " + lc.name() + ": routes and settings updated");
                }
                b.runtime().update(lc, after);
            }
        }
        pools = java.util.Collections.unmodifiableMap(after);
        // Removed pools last, once no listener routes a new request to them.
        control.runAndWait(() -> {
            for (PoolRuntime p : before.values()) {
                if (!after.containsKey(p.name())) {
                    for (Upstream u : p.upstreams()) {
                        retireWhenIdle(u);
                    }
                    int answered = control.removePool(p);
                    changes.add("pool " + p.name() + ": removed (requests in flight finish"
                            + (answered == 0 ? ")" : "; the " + answered + " waiting in its queue got 503 or the error page)"));
                }
            }
        });
        for (Bound gone : byAddress.values()) {
            transport.unbind(gone.server());
            for (ClientSession s : ctx.sessions()) {
                if (s.listener == gone.runtime()) {
                    s.closeWhenIdle();
                }
            }
            changes.add("listener " + gone.runtime().config.name() + ": stopped listening on "
                    + gone.runtime().config.address().getHostString() + ":" + gone.runtime().config.address().getPort()
                    + " (open connections close when idle)");
        }
        listeners.clear();
        listeners.putAll(nextListeners);
        if (!next.temp().equals(config.temp())) {
            spoolIo.configure(tempDir, next.temp().maxTotal());
            changes.add("temp: " + tempDir + ", at most " + next.temp().maxTotal() + " bytes (new temp files)");
        }
        config = next;
        sweeper.period(TimeoutSweeper.periodFor(shortestTimeout(next)));
        syncMetrics();
        return changes;
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
        PoolRuntime p = pools.get(pool);
        if (p == null) {
            throw new IllegalArgumentException("no pool named \"" + pool + "\"");
        }
        for (UpstreamConfig o : p.config().upstreams()) {
            if (o.name().equals(uc.name()) || o.address().equals(uc.address())) {
                throw new IllegalArgumentException("pool " + pool + " already has " + (o.name().equals(uc.name())
                        ? "an upstream named \"" + uc.name() + "\"" : "an upstream at " + uc.address() + " (" + o.name() + ")"));
            }
        }
        String unresolved = uc.unresolvable();
        if (unresolved != null) {
            throw new IllegalArgumentException("pool " + pool + ": upstream " + uc.name() + ": " + unresolved);
        }
        List<UpstreamConfig> ups = new ArrayList<>(p.config().upstreams());
        ups.add(uc);
        applyRuntimeChange(p, withUpstreams(p.config(), ups));
        return p.upstreams().stream().filter(u -> u.name().equals(uc.name())).findFirst().orElseThrow();
    }

    /**
     * Removes an upstream from its pool at runtime (HAProxy's {@code del server}): no new
     * request goes to it; those in flight finish (wait with {@link Upstream#whenIdle()}).
     */
    public synchronized void removeUpstream(Upstream u) {
        PoolRuntime p = poolOf(u);
        List<UpstreamConfig> ups = new ArrayList<>(p.config().upstreams());
        ups.removeIf(o -> o.name().equals(u.name()));
        applyRuntimeChange(p, withUpstreams(p.config(), ups));
    }

    private void applyRuntimeChange(PoolRuntime p, PoolConfig next) {
        List<String> changes = new ArrayList<>();
        control.runAndWait(() -> reconfigure(p, next, changes));
        Map<String, PoolConfig> byName = new LinkedHashMap<>(config.pools());
        byName.put(next.name(), next);
        KodiakConfig c = config;
        config = new KodiakConfig(c.source(), c.listeners(), byName, c.admin(), c.metrics(), c.version(), c.shutdownGrace(),
                c.temp());
        syncMetrics();
        changes.forEach(line -> LOG.info(() -> "admin API: " + line));
    }

    /**
     * Every upstream that {@code next} adds to {@code running} must resolve now: an
     * {@link Upstream} resolves its host once, and neither a connect nor a health check can use an
     * unresolved address. The file is checked for syntax only, so that {@code kodiak check} works
     * away from the upstreams' network (a compose file's service names, say).
     */
    private static void requireResolvable(KodiakConfig next, Map<String, PoolRuntime> running) throws IOException {
        for (PoolConfig pc : next.pools().values()) {
            PoolRuntime p = running.get(pc.name());
            java.util.Set<String> kept = new java.util.HashSet<>();
            if (p != null) {
                p.upstreams().forEach(u -> kept.add(u.name() + " " + u.hostPort()));
            }
            for (UpstreamConfig uc : pc.upstreams()) {
                String unresolved = kept.contains(uc.name() + " " + uc.address()) ? null : uc.unresolvable();
                if (unresolved != null) {
                    throw new IOException((next.source() == null ? "pool " + pc.name() + ": upstream "
                            : next.source() + ": pools." + pc.name() + ".upstreams: ") + uc.name() + ": " + unresolved);
                }
            }
        }
    }

    private static PoolConfig withUpstreams(PoolConfig c, List<UpstreamConfig> ups) {
        return new PoolConfig(c.name(), c.strategy(), ups, c.timeouts(), c.connections(), c.buffering(), c.errorPage(),
                c.latencyDecay(), c.hash(), c.queue(), c.choiceCount(), c.healthCheck(), c.retries(), c.outlierDetection(),
                c.slowStart(), c.panicThreshold());
    }

    /** The control loop's thread: {@code p} takes {@code pc}; its connection pools and queue follow. */
    private void reconfigure(PoolRuntime p, PoolConfig pc, List<String> changes) {
        PoolConfig was = p.config();
        // With the new config's limits: p.config() is still the old one until reconfigure publishes.
        PoolRuntime.Change ch = p.reconfigure(pc, u -> ctx.connectionPools.put(u, newConnectionPool(pc)));
        for (Upstream u : ch.added()) {
            changes.add("pool " + p.name() + ": upstream " + u.name() + " (" + u.hostPort() + ") added");
        }
        for (Upstream u : ch.kept()) {
            ConnectionPool cp = ctx.connectionPools.get(u);
            if (cp != null) {
                cp.reconfigure(pc.connections().maxIdle(), pc.connections().idleTimeout().toNanos());
            }
        }
        for (Upstream u : ch.removed()) {
            retireWhenIdle(u);
            changes.add("pool " + p.name() + ": upstream " + u.name() + " (" + u.hostPort() + ") removed"
                    + (u.inFlight() == 0 ? "" : "; its " + u.inFlight() + " request(s) in flight finish"));
        }
        for (UpstreamConfig uc : pc.upstreams()) {
            UpstreamConfig old = was.upstreams().stream().filter(o -> o.name().equals(uc.name()) && o.address().equals(uc.address()))
                    .findFirst().orElse(null);
            if (old != null && (old.weight() != uc.weight() || old.maxConnections() != uc.maxConnections())) {
                changes.add("pool " + p.name() + ": upstream " + uc.name() + " now weight " + uc.weight()
                        + (uc.maxConnections() == 0 ? "" : ", max-connections " + uc.maxConnections()));
            }
        }
        WaitQueue q = ctx.queues.get(p);
        q.maxLength(pc.queue().maxLength());
        control.reconfigured(p, was.healthCheck(), ch);
        if (!withoutUpstreams(was).equals(withoutUpstreams(pc))) {
            changes.add("pool " + p.name() + ": settings changed");
        }
    }

    private static PoolConfig withoutUpstreams(PoolConfig c) {
        return withUpstreams(c, List.of());
    }

    /** A removed upstream's idle connections close now; its connection pool goes once nothing is in flight. */
    private void retireWhenIdle(Upstream u) {
        u.markRemoved();
        ConnectionPool cp = ctx.connectionPools.get(u);
        if (cp != null) {
            cp.retire();
        }
        u.whenIdle().thenRun(() -> ctx.connectionPools.remove(u));
    }

    /** Undoes {@link #addPoolParts} for a pool that a failed reload never made visible. */
    private void removePoolParts(PoolRuntime p) {
        ctx.queues.remove(p);
        for (Upstream u : p.upstreams()) {
            ctx.connectionPools.remove(u);
        }
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
        control.setAdminState(poolOf(u), u, state);
    }

    /** Sets an upstream's weight ({@code -1}: the configured one) and waits until it is in force. */
    public synchronized void setWeight(Upstream u, int weight) {
        control.setWeight(poolOf(u), u, weight);
    }

    /** How many idle keep-alive connections to {@code u} wait for reuse. */
    public int idleConnections(Upstream u) {
        ConnectionPool cp = ctx.connectionPools.get(u);
        return cp == null ? 0 : cp.idleCount();
    }

    private PoolRuntime poolOf(Upstream u) {
        PoolRuntime p = pools.get(u.pool());
        if (p == null || !p.upstreams().contains(u)) {
            throw new IllegalArgumentException("not an upstream of this server: " + u);
        }
        return p;
    }

    /** How many requests wait in a pool's queue for an upstream under its max-connections. */
    public int queued(String pool) {
        PoolRuntime p = pools.get(pool);
        if (p == null) {
            throw new IllegalArgumentException("no pool named \"" + pool + "\"");
        }
        return ctx.queues.get(p).length();
    }

    /** The address a listener is bound to (the real port when the config said port 0). */
    public InetSocketAddress boundAddress(String listener) {
        Bound b = listeners.get(listener);
        if (b == null) {
            throw new IllegalArgumentException("no listener named " + listener);
        }
        return (InetSocketAddress) b.server().getLocalAddress();
    }

    /**
     * Stops accepting, closes idle client connections, lets requests in flight finish within
     * {@code grace}, then closes everything.
     *
     * @return whether every request in flight finished within the grace period
     */
    public boolean shutdown(Duration grace) {
        ctx.stopAccepting();
        for (Bound b : listeners.values()) {
            transport.unbind(b.server());
        }
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
        if (metrics != null) {
            metrics.close();
        }
        control.close();
        sweeper.close();
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
    }

    private static long shortestTimeout(KodiakConfig c) {
        Stream<Duration> client = c.listeners().stream().flatMap(l -> Stream.of(
                l.timeouts().requestHeader(), l.timeouts().keepAlive(), l.timeouts().body(), l.timeouts().send()));
        Stream<Duration> upstream = c.pools().values().stream().flatMap(p -> Stream.of(
                p.timeouts().connect(), p.timeouts().response(), p.timeouts().read(), p.timeouts().send(),
                p.connections().idleTimeout()));
        return Stream.concat(client, upstream).mapToLong(Duration::toNanos).min().orElse(TimeUnit.SECONDS.toNanos(1));
    }

    @Override
    public String toString() {
        return "ProxyServer" + listeners.keySet();
    }
}
