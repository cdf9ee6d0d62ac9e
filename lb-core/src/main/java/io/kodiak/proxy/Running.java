package io.kodiak.proxy;

import io.kodiak.config.KodiakConfig;
import io.kodiak.upstream.PoolRuntime;

import java.util.Collections;
import java.util.Map;

/**
 * What a {@link ProxyServer} runs now: the configuration in force and the pools by name, in
 * configuration order. Each is replaced as a whole, by the start, a reload or a runtime edit
 * (under the server's lock), and read from any thread.
 */
final class Running {
    private volatile KodiakConfig config;
    private volatile Map<String, PoolRuntime> pools;

    Running(KodiakConfig config, Map<String, PoolRuntime> pools) {
        this.config = config;
        pools(pools);
    }

    KodiakConfig config() {
        return config;
    }

    void config(KodiakConfig next) {
        config = next;
    }

    /** The pools by name; unmodifiable. */
    Map<String, PoolRuntime> pools() {
        return pools;
    }

    void pools(Map<String, PoolRuntime> next) {
        pools = Collections.unmodifiableMap(next);
    }

    @Override
    public String toString() {
        return "Running[version " + config.version() + ", pools " + pools.keySet() + "]";
    }
}
