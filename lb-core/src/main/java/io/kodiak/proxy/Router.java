package io.kodiak.proxy;

import io.kodiak.config.RequestRegex;
import io.kodiak.config.RouteConfig;
import io.kodiak.filter.Filters;
import io.kodiak.http.RequestHead;
import io.kodiak.upstream.PoolRuntime;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Maps a request to a route, with the precedence {@link RouteConfig} states (nginx's
 * {@code server_name} then {@code location} rules): routes on the request's exact host, then on
 * wildcard hosts (longest suffix first), then on any host; within each, those with a TLS server
 * name first. Within such a group: an exact path wins; otherwise the longest matching prefix is
 * noted and wins at once if it is {@code prefix-over-regex}; otherwise the first matching regular
 * expression in file order; otherwise that longest prefix. At the same path rank, routes with
 * more conditions go first, then file order. A route whose conditions fail is passed over.
 *
 * <p>The path is {@link RequestHead#path()}, already normalised, so that dot segments and encoded
 * dots cannot step out of a prefix.
 *
 * <p>Immutable, built once per configuration and published through a volatile field; read by
 * selector threads concurrently. A listener with one catch-all route walks one group of one
 * route and allocates nothing; only regular expressions (a {@code Matcher}) and conditions on
 * cookies or query parameters allocate.
 */
final class Router {
    /** One route: what it matches, its pool (null when it answers by itself) and its filters (run after the listener's). */
    static final class Route {
        private final RouteConfig config;
        private final PoolRuntime pool;
        private final int order;
        private final Filters filters;
        /** The listener's filters, then this route's: combined here, once, not per request. */
        private final Filters combined;
        private final RequestMatcher when;
        private final Pattern regex;
        /** {@code $route}: its name, or {@code routes[N]}. */
        private final String name;

        Route(RouteConfig config, PoolRuntime pool, int order, Filters filters, Filters listenerFilters) {
            this.config = config;
            this.pool = pool;
            this.order = order;
            this.filters = filters;
            this.combined = ErrorPageFilter.then(listenerFilters, filters);
            this.when = RequestMatcher.of(config.conditions());
            this.regex = config.pathRegex() == null ? null : config.pathRegex().pattern();
            this.name = config.name() != null ? config.name() : "routes[" + order + "]";
        }

        /** Its name, as {@code $route} gives it. */
        String name() {
            return name;
        }

        PoolRuntime pool() {
            return pool;
        }

        /** Its place in the configuration. */
        int order() {
            return order;
        }

        /** The route's own filters, where its error pages are found. */
        Filters filters() {
            return filters;
        }

        /** The listener's filters then the route's, as a request on this route runs them. */
        Filters combined() {
            return combined;
        }

        /** Its {@code path-regex}, compiled, or null: {@link io.kodiak.filter.RequestContext#pathMatch} finds it again. */
        Pattern pathRegex() {
            return regex;
        }

        RouteConfig config() {
            return config;
        }

        Route withFilters(Filters f, Filters listenerFilters) {
            return new Route(config, pool, order, f, listenerFilters);
        }

        /** The prefix rank: its length; no path counts as "/". */
        int prefixLength() {
            return config.pathPrefix() == null ? 1 : config.pathPrefix().length();
        }

        boolean prefixMatches(String path) {
            return config.pathPrefix() == null || path.startsWith(config.pathPrefix());
        }

        @Override
        public String toString() {
            return "Route[" + order + " " + config.describe() + " -> " + (pool == null ? "-" : pool.name()) + "]";
        }
    }

    /** The routes of one host key and server name, arranged for the path rules. */
    private static final class Group {
        private final String sni;
        private final Route[] exact;
        private final Route[] prefixes;
        private final Route[] regexes;

        Group(String sni, List<Route> routes) {
            this.sni = sni;
            Comparator<Route> specific = Comparator.comparingInt((Route r) -> -r.when.count).thenComparingInt(Route::order);
            this.exact = routes.stream().filter(r -> r.config.path() != null).sorted(specific).toArray(Route[]::new);
            this.prefixes = routes.stream().filter(r -> r.config.path() == null && r.regex == null)
                    .sorted(Comparator.comparingInt((Route r) -> -r.prefixLength()).thenComparing(specific))
                    .toArray(Route[]::new);
            // Expressions in file order; routes with the same expression share the first one's place.
            Map<String, Integer> rank = new HashMap<>();
            routes.forEach(r -> {
                if (r.regex != null) {
                    rank.merge(r.regex.pattern(), r.order, Math::min);
                }
            });
            this.regexes = routes.stream().filter(r -> r.regex != null)
                    .sorted(Comparator.comparingInt((Route r) -> rank.get(r.regex.pattern())).thenComparing(specific))
                    .toArray(Route[]::new);
        }

        Route match(String path, RequestHead req, byte[] client) {
            for (Route r : exact) {
                if (r.config.path().equals(path) && r.when.matches(req, client)) {
                    return r;
                }
            }
            Route longest = null;
            for (Route r : prefixes) {
                if (r.prefixMatches(path) && r.when.matches(req, client)) {
                    longest = r;
                    break;
                }
            }
            if (longest != null && longest.config.prefixOverRegex()) {
                return longest;
            }
            for (Route r : regexes) {
                if (RequestRegex.find(r.regex, path) && r.when.matches(req, client)) {
                    return r;
                }
            }
            return longest;
        }
    }

    private static final Group[] NONE = new Group[0];

    private final List<Route> routes;
    private final Map<String, PoolRuntime> pools;
    /** The listener's filters the routes' {@link Route#combined} were built with. */
    private final Filters listenerFilters;
    /** Exact host to its groups; empty when no route names one. */
    private final Map<String, Group[]> exactHosts;
    /** Wildcard suffixes (".example.com"), longest first, and their groups. */
    private final String[] wildcards;
    private final Group[][] wildcardGroups;
    private final Group[] anyHost;
    /** Read per request on a TLS listener: decided once, here. */
    private final boolean usesSni;
    private final boolean usesSource;

    Router(List<RouteConfig> configs, Map<String, PoolRuntime> pools) {
        this(configs, pools, Filters.NONE, new FeatureRuntime());
    }

    /**
     * @param listenerFilters the listener's filters, run before each route's: a router is built
     *                        again whenever they change (a reload), so that the combination stays right
     */
    Router(List<RouteConfig> configs, Map<String, PoolRuntime> pools, Filters listenerFilters, FeatureRuntime features) {
        this(routes(configs, pools, listenerFilters, features).toArray(new Route[0]), Map.copyOf(pools), listenerFilters);
    }

    private static List<Route> routes(List<RouteConfig> configs, Map<String, PoolRuntime> pools, Filters listener,
                                      FeatureRuntime features) {
        List<Route> list = new ArrayList<>();
        for (int i = 0; i < configs.size(); i++) {
            RouteConfig c = configs.get(i);
            list.add(new Route(c, c.pool() == null ? null : pools.get(c.pool()), i, FeatureFilters.of(c.features(), features, pools),
                    listener));
        }
        return list;
    }

    private Router(Route[] routeArray, Map<String, PoolRuntime> pools, Filters listenerFilters) {
        List<Route> routes = List.of(routeArray);
        this.routes = routes;
        this.pools = pools;
        this.listenerFilters = listenerFilters;
        // Host key ("" for any host) -> server name ("" for any) -> routes.
        Map<String, Map<String, List<Route>>> byHost = new LinkedHashMap<>();
        for (Route r : routes) {
            List<String> hosts = r.config.hosts().isEmpty() ? List.of("") : r.config.hosts();
            for (String h : hosts) {
                byHost.computeIfAbsent(h, k -> new LinkedHashMap<>())
                        .computeIfAbsent(r.config.sni() == null ? "" : r.config.sni(), k -> new ArrayList<>()).add(r);
            }
        }
        Map<String, Group[]> exact = new HashMap<>();
        List<String> wild = new ArrayList<>();
        Group[] any = NONE;
        for (Map.Entry<String, Map<String, List<Route>>> e : byHost.entrySet()) {
            Group[] groups = groups(e.getValue());
            if (e.getKey().isEmpty()) {
                any = groups;
            } else if (e.getKey().startsWith("*.")) {
                wild.add(e.getKey().substring(1));
                exact.put(e.getKey(), groups); // kept here until sorted below
            } else {
                exact.put(e.getKey(), groups);
            }
        }
        wild.sort(Comparator.comparingInt(String::length).reversed());
        this.wildcards = wild.toArray(new String[0]);
        this.wildcardGroups = new Group[wildcards.length][];
        for (int i = 0; i < wildcards.length; i++) {
            wildcardGroups[i] = exact.remove("*" + wildcards[i]);
        }
        this.exactHosts = Map.copyOf(exact);
        this.anyHost = any;
        this.usesSni = routes.stream().anyMatch(r -> r.config.sni() != null);
        this.usesSource = routes.stream().anyMatch(r -> r.when.usesSource());
    }

    /** Groups with a server name first, then the one without. */
    private static Group[] groups(Map<String, List<Route>> bySni) {
        List<Group> out = new ArrayList<>();
        bySni.forEach((sni, list) -> {
            if (!sni.isEmpty()) {
                out.add(new Group(sni, list));
            }
        });
        if (bySni.containsKey("")) {
            out.add(new Group(null, bySni.get("")));
        }
        return out.toArray(NONE);
    }

    /** Whether a route matches on the TLS server name (the connection's SNI is only looked up then). */
    boolean usesSni() {
        return usesSni;
    }

    /** Whether a route matches on the client's address (the session only keeps its bytes then). */
    boolean usesSource() {
        return usesSource;
    }

    /** @return the route for a host and path, conditions unmet; or {@code null} if none matches */
    Route route(String host, String path) {
        return route(host, null, path, null, null);
    }

    /** @param serverName the connection's TLS server name (SNI), or {@code null} */
    Route route(String host, String serverName, String path) {
        return route(host, serverName, path, null, null);
    }

    /**
     * @param serverName the connection's TLS server name (SNI), or {@code null}
     * @param client     the client's address bytes, or {@code null} when no route asks for it
     * @return the route for this request, or {@code null} if none matches
     * @throws RequestRegex.TooDeep if a route's regular expression overflowed the stack on the
     *                              request (the session answers 400)
     */
    Route route(RequestHead req, String serverName, byte[] client) {
        return route(req.host(), serverName, req.path(), req, client);
    }

    private Route route(String host, String serverName, String path, RequestHead req, byte[] client) {
        if (!exactHosts.isEmpty()) {
            Group[] g = exactHosts.get(host);
            if (g != null) {
                Route r = match(g, serverName, path, req, client);
                if (r != null) {
                    return r;
                }
            }
        }
        for (int i = 0; i < wildcards.length; i++) {
            String suffix = wildcards[i];
            if (host.length() > suffix.length() && host.endsWith(suffix)) {
                Route r = match(wildcardGroups[i], serverName, path, req, client);
                if (r != null) {
                    return r;
                }
            }
        }
        return match(anyHost, serverName, path, req, client);
    }

    private static Route match(Group[] groups, String serverName, String path, RequestHead req, byte[] client) {
        for (Group g : groups) {
            if (g.sni == null || g.sni.equals(serverName)) {
                Route r = g.match(path, req, client);
                if (r != null) {
                    return r;
                }
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
        List<Route> next = new ArrayList<>(routes);
        next.replaceAll(r -> r.order == order ? r.withFilters(f, listenerFilters) : r);
        return new Router(next.toArray(new Route[0]), pools, listenerFilters);
    }

    /** This router with every route combined with {@code listener}'s filters instead (tests). */
    Router withListenerFilters(Filters listener) {
        List<Route> next = new ArrayList<>(routes);
        next.replaceAll(r -> r.withFilters(r.filters, listener));
        return new Router(next.toArray(new Route[0]), pools, listener);
    }

    @Override
    public String toString() {
        return "Router" + routes;
    }
}
