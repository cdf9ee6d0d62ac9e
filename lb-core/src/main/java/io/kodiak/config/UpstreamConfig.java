package io.kodiak.config;

/**
 * One upstream server.
 *
 * @param name   unique within its pool; defaults to {@code host:port}
 * @param host   host name or IP literal
 * @param port   TCP port
 * @param weight relative share of requests, 1..1000 (default 1)
 * @param maxConnections most requests in flight at once (HAProxy {@code maxconn}); 0 for no limit.
 *               For a sync Gunicorn instance, its worker count
 */
public record UpstreamConfig(String name, String host, int port, int weight, int maxConnections) {
    /** An upstream without a concurrency limit. */
    public UpstreamConfig(String name, String host, int port, int weight) {
        this(name, host, port, weight, 0);
    }

    public String address() {
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    }

    /**
     * Resolves the host now (a DNS lookup for a name; blocks, so never on a selector thread).
     *
     * @return why it does not resolve, e.g. {@code cannot resolve host "api-3.internal"}, or null if it does
     */
    public String unresolvable() {
        return new java.net.InetSocketAddress(host, port).isUnresolved() ? "cannot resolve host \"" + host + "\"" : null;
    }
}
