package io.kodiak.config;

import java.net.InetSocketAddress;
import java.util.List;

/**
 * One client-facing listener.
 *
 * @param name      unique name, used in logs (defaults to the address)
 * @param address   where to listen; port 0 binds an ephemeral port (tests)
 * @param routes    routes to pools; matched by {@link RouteConfig} specificity rules
 * @param timeouts  client-side timeouts
 * @param limits    client-side size and count limits
 * @param forwarded which forwarding headers Kodiak adds
 * @param serverHeader what the client sees in {@code Server}
 */
public record ListenerConfig(String name, InetSocketAddress address, List<RouteConfig> routes,
                             ClientTimeouts timeouts, ClientLimits limits, ForwardedHeaders forwarded,
                             ServerHeaderPolicy serverHeader) {
    public ListenerConfig {
        routes = List.copyOf(routes);
    }
}
