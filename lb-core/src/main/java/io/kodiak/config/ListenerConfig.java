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
 * @param underscoresInHeaders whether request fields whose name holds '_' are kept (nginx
 *                  {@code underscores_in_headers on}); by default they are dropped, because CGI
 *                  and WSGI read {@code X_Forwarded_For} as {@code X-Forwarded-For}
 * @param tracing   the request ID and {@code X-Request-Start} the app gets
 * @param accessLog where and how the listener logs each request, or {@code null} for no access log
 * @param tls       its TLS (certificates and server side), or {@code null} for plain HTTP
 * @param redirectHttps the HTTPS port every request is redirected to (308), or 0 to serve them
 * @param features  its feature sections (header rules, compression, error pages...), run before its routes'
 * @param clientAddress where the real client address comes from (PROXY protocol, {@code real-ip}), or
 *                  {@code null} for the TCP peer's
 */
public record ListenerConfig(String name, InetSocketAddress address, List<RouteConfig> routes,
                             ClientTimeouts timeouts, ClientLimits limits, ForwardedHeaders forwarded,
                             ServerHeaderPolicy serverHeader, boolean underscoresInHeaders, RequestTracing tracing,
                             AccessLogConfig accessLog, TlsConfig tls, int redirectHttps,
                             List<FeatureConfig> features, ClientAddressConfig clientAddress) {
    public ListenerConfig {
        routes = List.copyOf(routes);
        features = List.copyOf(features);
        java.util.Objects.requireNonNull(tracing, "tracing");
        if (clientAddress != null && clientAddress.proxyProtocol() == null && clientAddress.realIp() == null) {
            clientAddress = null; // the TCP peer, however it was said
        }
    }

    /** The TCP peer is the client. */
    public ListenerConfig(String name, InetSocketAddress address, List<RouteConfig> routes,
                          ClientTimeouts timeouts, ClientLimits limits, ForwardedHeaders forwarded,
                          ServerHeaderPolicy serverHeader, boolean underscoresInHeaders, RequestTracing tracing,
                          AccessLogConfig accessLog, TlsConfig tls, int redirectHttps, List<FeatureConfig> features) {
        this(name, address, routes, timeouts, limits, forwarded, serverHeader, underscoresInHeaders, tracing, accessLog,
                tls, redirectHttps, features, null);
    }

    /** The listener's PROXY protocol, or null when it reads none. */
    public ClientAddressConfig.ProxyProtocol proxyProtocol() {
        return clientAddress == null ? null : clientAddress.proxyProtocol();
    }

    /** The listener's {@code real-ip}, or null. */
    public RealIpConfig realIp() {
        return clientAddress == null ? null : clientAddress.realIp();
    }

    /** The same listener with {@code c} as where client addresses come from ({@code null}: the TCP peer). */
    public ListenerConfig withClientAddress(ClientAddressConfig c) {
        return new ListenerConfig(name, address, routes, timeouts, limits, forwarded, serverHeader, underscoresInHeaders,
                tracing, accessLog, tls, redirectHttps, features, c);
    }

    /** Plain HTTP. */
    public ListenerConfig(String name, InetSocketAddress address, List<RouteConfig> routes,
                          ClientTimeouts timeouts, ClientLimits limits, ForwardedHeaders forwarded,
                          ServerHeaderPolicy serverHeader, boolean underscoresInHeaders, RequestTracing tracing,
                          AccessLogConfig accessLog) {
        this(name, address, routes, timeouts, limits, forwarded, serverHeader, underscoresInHeaders, tracing, accessLog, null, 0, List.of());
    }

    /** Serving every request (no HTTPS redirect). */
    public ListenerConfig(String name, InetSocketAddress address, List<RouteConfig> routes,
                          ClientTimeouts timeouts, ClientLimits limits, ForwardedHeaders forwarded,
                          ServerHeaderPolicy serverHeader, boolean underscoresInHeaders, RequestTracing tracing,
                          AccessLogConfig accessLog, TlsConfig tls) {
        this(name, address, routes, timeouts, limits, forwarded, serverHeader, underscoresInHeaders, tracing, accessLog, tls, 0, List.of());
    }

    /** "https" on a TLS listener, else "http": what X-Forwarded-Proto and Forwarded say. */
    public String scheme() {
        return tls == null ? "http" : "https";
    }

    /** Without an access log. */
    public ListenerConfig(String name, InetSocketAddress address, List<RouteConfig> routes,
                          ClientTimeouts timeouts, ClientLimits limits, ForwardedHeaders forwarded,
                          ServerHeaderPolicy serverHeader, boolean underscoresInHeaders, RequestTracing tracing) {
        this(name, address, routes, timeouts, limits, forwarded, serverHeader, underscoresInHeaders, tracing, null);
    }

    /** With the default request ID and {@code X-Request-Start}. */
    public ListenerConfig(String name, InetSocketAddress address, List<RouteConfig> routes,
                          ClientTimeouts timeouts, ClientLimits limits, ForwardedHeaders forwarded,
                          ServerHeaderPolicy serverHeader, boolean underscoresInHeaders) {
        this(name, address, routes, timeouts, limits, forwarded, serverHeader, underscoresInHeaders,
                RequestTracing.DEFAULTS);
    }

    /** A listener that drops request fields whose name holds '_' (the default). */
    public ListenerConfig(String name, InetSocketAddress address, List<RouteConfig> routes,
                          ClientTimeouts timeouts, ClientLimits limits, ForwardedHeaders forwarded,
                          ServerHeaderPolicy serverHeader) {
        this(name, address, routes, timeouts, limits, forwarded, serverHeader, false);
    }

    /** The same listener with {@code log} as its access log ({@code null}: none). */
    public ListenerConfig withAccessLog(AccessLogConfig log) {
        return new ListenerConfig(name, address, routes, timeouts, limits, forwarded, serverHeader, underscoresInHeaders,
                tracing, log, tls, redirectHttps, features, clientAddress);
    }

    /** The same listener with {@code t} as its TLS ({@code null}: plain HTTP). */
    public ListenerConfig withTls(TlsConfig t) {
        return new ListenerConfig(name, address, routes, timeouts, limits, forwarded, serverHeader, underscoresInHeaders,
                tracing, accessLog, t, redirectHttps, features, clientAddress);
    }

    /** The same listener with {@code f} as its feature sections. */
    public ListenerConfig withFeatures(List<FeatureConfig> f) {
        return new ListenerConfig(name, address, routes, timeouts, limits, forwarded, serverHeader, underscoresInHeaders,
                tracing, accessLog, tls, redirectHttps, f, clientAddress);
    }

    /** The same listener redirecting every request to HTTPS on {@code port} (0: serving them). */
    public ListenerConfig withRedirectHttps(int port) {
        return new ListenerConfig(name, address, routes, timeouts, limits, forwarded, serverHeader, underscoresInHeaders,
                tracing, accessLog, tls, port, features, clientAddress);
    }
}
