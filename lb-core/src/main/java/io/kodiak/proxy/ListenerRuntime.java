package io.kodiak.proxy;

import io.kodiak.config.ListenerConfig;
import io.kodiak.upstream.PoolRuntime;

import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/** A listener as it runs: its configuration, its routes, and its open connection count. */
final class ListenerRuntime {
    final ListenerConfig config;
    final Router router;
    final AtomicInteger connections = new AtomicInteger();

    ListenerRuntime(ListenerConfig config, Map<String, PoolRuntime> pools) {
        this.config = config;
        this.router = new Router(config.routes(), pools);
    }

    @Override
    public String toString() {
        return "Listener[" + config.name() + " " + config.address() + ", " + connections + " connections]";
    }
}
