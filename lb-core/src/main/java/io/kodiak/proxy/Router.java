package io.kodiak.proxy;

import io.kodiak.config.RouteConfig;
import io.kodiak.filter.Filters;
import io.kodiak.upstream.PoolRuntime;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Maps a request's host, its connection's TLS server name and its path to a pool. Routes are tried
 * most specific first: a route with a host before one without, then one with a server name, then
 * the longest path prefix, then file order; the first match wins.
 * The path is {@link io.kodiak.http.RequestHead#path()}, already normalised, so that dot segments
 * and encoded dots cannot step out of a prefix.
 */
final class Router {
    /**
     * One route: what it matches, its pool, and its filters (run after the listener's).
     *
     * @param order its place in the configuration
     */
    record Route(String host, String prefix, PoolRuntime pool, int order, Filters filters, String sni) {
        boolean matches(String h, String serverName, String path) {
            return (host == null || host.equals(h)) && (sni == null || sni.equals(serverName))
                    && (prefix == null || path.startsWith(prefix));
        }
    }

    private final Route[] routes;
    private final Map<String, PoolRuntime> pools;
    /** Read per request on a TLS listener: decided once, here. */
    private final boolean usesSni;

    Router(List<RouteConfig> configs, Map<String, PoolRuntime> pools) {
        this.pools = Map.copyOf(pools);
        List<Route> list = new ArrayList<>();
        for (int i = 0; i < configs.size(); i++) {
            RouteConfig c = configs.get(i);
            list.add(new Route(c.host(), c.pathPrefix(), pools.get(c.pool()), i, FeatureFilters.of(c.features()), c.sni()));
        }
        list.sort(Comparator.comparing((Route r) -> r.host == null)
                .thenComparing(r -> r.sni == null)
                .thenComparing(r -> -(r.prefix == null ? 0 : r.prefix.length()))
                .thenComparingInt(r -> r.order));
        this.routes = list.toArray(new Route[0]);
        this.usesSni = list.stream().anyMatch(r -> r.sni != null);
    }

    /** Whether a route matches on the TLS server name (the connection's SNI is only looked up then). */
    boolean usesSni() {
        return usesSni;
    }

    /** @return the route for this request, or {@code null} if none matches */
    Route route(String host, String path) {
        return route(host, null, path);
    }

    /** @param serverName the connection's TLS server name (SNI), or {@code null} */
    Route route(String host, String serverName, String path) {
        for (Route r : routes) {
            if (r.matches(host, serverName, path)) {
                return r;
            }
        }
        return null;
    }

    /** The pool named {@code name} (a filter may send a request to another pool), or null. */
    PoolRuntime pool(String name) {
        return pools.get(name);
    }

    /** This router with route {@code order}'s filters replaced (tests, until routes configure filters). */
    Router withRouteFilters(int order, Filters f) {
        Route[] next = routes.clone();
        for (int i = 0; i < next.length; i++) {
            Route r = next[i];
            if (r.order == order) {
                next[i] = new Route(r.host, r.prefix, r.pool, r.order, f, r.sni);
            }
        }
        return new Router(next, pools);
    }

    private Router(Route[] routes, Map<String, PoolRuntime> pools) {
        this.routes = routes;
        this.pools = pools;
        this.usesSni = java.util.Arrays.stream(routes).anyMatch(r -> r.sni != null);
    }
}
