package io.kodiak.proxy;

import io.kodiak.buffer.SpoolIo;
import io.kodiak.config.KodiakConfig;
import io.kodiak.config.ListenerConfig;
import io.kodiak.config.PoolConfig;
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
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.IdentityHashMap;
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
    private final KodiakConfig config;
    private final TCPNIOTransport transport;
    private final ProxyContext ctx;
    private final SpoolIo spoolIo;
    private final TimeoutSweeper sweeper;
    private final HealthChecks healthChecks;
    private final Map<String, PoolRuntime> pools = new LinkedHashMap<>();
    private final Map<String, TCPNIOServerConnection> servers = new LinkedHashMap<>();

    private ProxyServer(KodiakConfig config, LongSupplier nanoTime, Consumer<Map<String, PoolRuntime>> restore) throws IOException {
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

        SplittableRandom seeds = new SplittableRandom();
        Map<Upstream, ConnectionPool> connectionPools = new IdentityHashMap<>();
        Map<PoolRuntime, WaitQueue> queues = new IdentityHashMap<>();
        for (PoolConfig pc : config.pools().values()) {
            PoolRuntime p = new PoolRuntime(pc, seeds.split());
            pools.put(pc.name(), p);
            queues.put(p, new WaitQueue(pc.queue().maxLength(), p));
            for (Upstream u : p.upstreams()) {
                connectionPools.put(u, new ConnectionPool(pc.connections().maxIdle(),
                        pc.connections().idleTimeout().toNanos()));
            }
        }
        // Admin states from the state file are in force before the first check and the first request.
        restore.accept(java.util.Collections.unmodifiableMap(pools));
        // First of the parts with threads, so that nothing else needs stopping if it fails.
        this.healthChecks = new HealthChecks(pools.values(), queues, connectionPools);
        this.spoolIo = new SpoolIo(2);
        this.ctx = new ProxyContext(transport, connector, spoolIo, nanoTime, connectionPools, queues);
        this.sweeper = new TimeoutSweeper(ctx, TimeoutSweeper.periodFor(shortestTimeout(config)));
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

    private void bindAndStart() throws IOException {
        for (ListenerConfig lc : config.listeners()) {
            ListenerRuntime lr = new ListenerRuntime(lc, pools);
            FilterChain chain = FilterChainBuilder.stateless()
                    .add(new TransportFilter()).add(new ClientFilter(ctx, lr)).build();
            TCPNIOServerConnection sc;
            try {
                sc = transport.bind(lc.address(), 4096);
            } catch (IOException e) {
                throw new IOException("listener " + lc.name() + ": cannot listen on " + lc.address() + ": " + e.getMessage(), e);
            }
            sc.setProcessor(chain);
            servers.put(lc.name(), sc);
        }
        transport.start();
    }

    public Map<String, PoolRuntime> pools() {
        return pools;
    }

    /**
     * Sets an upstream's admin state and waits until it is in force ({@link HealthChecks#setAdminState}).
     *
     * @throws IllegalArgumentException if {@code u} is not an upstream of this server
     */
    public void setAdminState(Upstream u, AdminState state) {
        healthChecks.setAdminState(poolOf(u), u, state);
    }

    /** Sets an upstream's weight ({@code -1}: the configured one) and waits until it is in force. */
    public void setWeight(Upstream u, int weight) {
        healthChecks.setWeight(poolOf(u), u, weight);
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
        return ctx.queues.get(pools.get(pool)).length();
    }

    /** The address a listener is bound to (the real port when the config said port 0). */
    public InetSocketAddress boundAddress(String listener) {
        TCPNIOServerConnection sc = servers.get(listener);
        if (sc == null) {
            throw new IllegalArgumentException("no listener named " + listener);
        }
        return (InetSocketAddress) sc.getLocalAddress();
    }

    /**
     * Stops accepting, closes idle client connections, lets requests in flight finish within
     * {@code grace}, then closes everything.
     *
     * @return whether every request in flight finished within the grace period
     */
    public boolean shutdown(Duration grace) {
        ctx.stopAccepting();
        for (TCPNIOServerConnection sc : servers.values()) {
            transport.unbind(sc);
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
                clean = false;
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
        healthChecks.close();
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
        return "ProxyServer" + servers.keySet();
    }
}
