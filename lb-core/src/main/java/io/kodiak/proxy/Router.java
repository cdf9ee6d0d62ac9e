package io.kodiak.proxy;

import io.kodiak.config.RouteConfig;
import io.kodiak.upstream.PoolRuntime;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Maps a request's host and path to a pool. Routes are tried most specific first: a route with a
 * host before one without, then the longest path prefix, then file order; the first match wins.
 * The path is {@link io.kodiak.http.RequestHead#path()}, already normalised, so that dot segments
 * and encoded dots cannot step out of a prefix.
 */
final class Router {
    private record Route(String host, String prefix, PoolRuntime pool, int order) {
        boolean matches(String h, String path) {
            return (host == null || host.equals(h)) && (prefix == null || path.startsWith(prefix));
        }
    }

    private final Route[] routes;

    Router(List<RouteConfig> configs, Map<String, PoolRuntime> pools) {
        List<Route> list = new ArrayList<>();
        for (int i = 0; i < configs.size(); i++) {
            RouteConfig c = configs.get(i);
            list.add(new Route(c.host(), c.pathPrefix(), pools.get(c.pool()), i));
        }
        list.sort(Comparator.comparing((Route r) -> r.host == null)
                .thenComparing(r -> -(r.prefix == null ? 0 : r.prefix.length()))
                .thenComparingInt(r -> r.order));
        this.routes = list.toArray(new Route[0]);
    }

    /** @return the pool for this request, or {@code null} if no route matches */
    PoolRuntime route(String host, String path) {
        for (Route r : routes) {
            if (r.matches(host, path)) {
                return r.pool;
            }
        }
        return null;
    }
}
