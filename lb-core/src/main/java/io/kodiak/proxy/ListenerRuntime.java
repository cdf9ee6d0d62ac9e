package io.kodiak.proxy;

import io.kodiak.config.ListenerConfig;
import io.kodiak.upstream.PoolRuntime;

import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * A listener as it runs: its configuration, its routes, and its open connection count. A reload
 * that keeps the listener's address replaces the configuration and routes in place: requests
 * route by the new routes at once, and new connections take the new timeouts and limits (open
 * ones keep theirs).
 */
final class ListenerRuntime {
    volatile ListenerConfig config;
    volatile Router router;
    /** The listener's filters, run before its routes' (the access log is beside them, below). */
    volatile io.kodiak.filter.Filters filters = io.kodiak.filter.Filters.NONE;
    /**
     * Where the listener logs each finished exchange, or {@code null} when it logs nothing. The
     * data path reads it once at the end of an exchange and calls {@code log(entry)}, which never
     * blocks. Opened before the listener accepts; a reload that changes the listener's
     * {@code access-log} puts the new log here, then closes the old one (an entry offered to the
     * old one after that is only counted as dropped), and a reload that does not keeps this one.
     */
    volatile io.kodiak.accesslog.AccessLog accessLog;
    final AtomicInteger connections = new AtomicInteger();
    // For the metrics: connections accepted and refused (over max-connections), requests read,
    // requests rejected as malformed or too large (4xx, connection closed), and request fields
    // dropped for an underscore in their name.
    final LongAdder accepted = new LongAdder();
    final LongAdder refused = new LongAdder();
    final LongAdder requests = new LongAdder();
    final LongAdder rejected = new LongAdder();
    final LongAdder droppedFields = new LongAdder();
    /** TLS handshakes in progress and waiting, bounded by {@code tls.max-handshakes}; idle on plain HTTP. */
    final HandshakeSlots handshakes = new HandshakeSlots();
    /** PROXY protocol headers read and refused; zero on a listener without {@code proxy-protocol}. */
    final ProxyProtocolCounts proxyProtocol = new ProxyProtocolCounts();

    /**
     * Open connections per client address while {@code limits.max-connections-per-address} is on,
     * else null (nothing allocated). Kept across reloads that keep the cap on, so the counts stay
     * true; a session gives its place back to the table it took it from, whatever came since.
     */
    volatile AddressConnections addressConnections;

    /** What the feature filters share (the suspension timer, zones). */
    private final FeatureRuntime features;

    ListenerRuntime(ListenerConfig config, Map<String, PoolRuntime> pools) {
        this(config, pools, null, new FeatureRuntime());
    }

    /** @param acme the ACME validations a plain listener answers, or {@code null} when no listener has {@code tls.domains} */
    ListenerRuntime(ListenerConfig config, Map<String, PoolRuntime> pools, io.kodiak.acme.Challenges acme,
                    FeatureRuntime features) {
        this.config = config;
        this.addressConnections = addressTable(config, null);
        this.features = features;
        this.filters = configuredFilters(config, acme, features, pools);
        this.router = new Router(config.routes(), pools, filters, features);
    }

    /**
     * A reload: the router is always built again, with the new listener filters, since each route
     * runs the listener's filters combined with its own ({@link Router.Route#combined}).
     */
    void update(ListenerConfig next, Map<String, PoolRuntime> pools, io.kodiak.acme.Challenges acme) {
        io.kodiak.filter.Filters f = configuredFilters(next, acme, features, pools);
        this.router = new Router(next.routes(), pools, f, features);
        this.filters = f;
        this.addressConnections = addressTable(next, addressConnections);
        this.config = next;
    }

    /** The per-address table {@code c} needs: {@code current} if there is one, null when the cap is off. */
    private static AddressConnections addressTable(ListenerConfig c, AddressConnections current) {
        if (c.limits().maxConnectionsPerAddress() == 0) {
            return null;
        }
        return current != null ? current : new AddressConnections();
    }

    /** The filters a listener's configuration asks for: ACME's HTTP-01 answers, the HTTPS redirect, HSTS. */
    static io.kodiak.filter.Filters configuredFilters(ListenerConfig c, io.kodiak.acme.Challenges acme,
                                                      FeatureRuntime features, Map<String, PoolRuntime> pools) {
        java.util.List<io.kodiak.filter.RequestFilter> list = new java.util.ArrayList<>();
        if (acme != null && c.tls() == null) {
            list.add(new AcmeHttpChallenge(acme)); // first: a redirect must not send the CA away
        }
        if (c.redirectHttps() != 0) {
            list.add(new HttpsRedirect(c.redirectHttps()));
        }
        io.kodiak.filter.RequestFilter[] request = list.toArray(new io.kodiak.filter.RequestFilter[0]);
        io.kodiak.filter.ResponseFilter[] response = c.tls() == null || c.tls().hsts() == null
                ? new io.kodiak.filter.ResponseFilter[0] : new io.kodiak.filter.ResponseFilter[] {new Hsts(c.tls().hsts())};
        io.kodiak.filter.Filters own = request.length == 0 && response.length == 0 ? io.kodiak.filter.Filters.NONE
                : new io.kodiak.filter.Filters(request, response, new io.kodiak.filter.LogFilter[0]);
        return own.then(FeatureFilters.of(c.features(), features, pools)); // after ACME and the HTTPS redirect
    }

    @Override
    public String toString() {
        return "Listener[" + config.name() + " " + config.address() + ", " + connections + " connections]";
    }
}
