package io.kodiak;

import io.kodiak.config.KodiakConfig;
import io.kodiak.proxy.ProxyServer;
import io.kodiak.upstream.PoolRuntime;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * A running Kodiak: its listeners, pools and the NIO transport that carries both sides. This is
 * the embedding API that the launcher, the demo and the tests use.
 */
public final class Kodiak implements AutoCloseable {
    private final KodiakConfig config;
    private final ProxyServer server;

    private Kodiak(KodiakConfig config, ProxyServer server) {
        this.config = config;
        this.server = server;
    }

    /** Binds every listener of {@code config} and starts serving. */
    public static Kodiak start(KodiakConfig config) throws IOException {
        return new Kodiak(config, ProxyServer.start(config));
    }

    public KodiakConfig config() {
        return config;
    }

    /** The address a listener is bound to (the real port when the config said port 0). */
    public InetSocketAddress boundAddress(String listenerName) {
        return server.boundAddress(listenerName);
    }

    /**
     * A pool as it runs: its upstreams with their load and health, and the selection requests are
     * picked from now.
     *
     * @throws IllegalArgumentException if there is no such pool
     */
    public PoolRuntime pool(String name) {
        PoolRuntime p = server.pools().get(name);
        if (p == null) {
            throw new IllegalArgumentException("no pool named " + name);
        }
        return p;
    }

    /** How many requests wait in a pool's queue (every upstream at its max-connections). */
    public int queued(String pool) {
        return server.queued(pool);
    }

    /**
     * Stops accepting, lets in-flight requests finish within {@code grace}, then closes everything.
     *
     * @return whether every request in flight finished in time
     */
    public boolean shutdown(Duration grace) {
        return server.shutdown(grace);
    }

    /** Stops at once. */
    @Override
    public void close() {
        server.close();
    }
}
