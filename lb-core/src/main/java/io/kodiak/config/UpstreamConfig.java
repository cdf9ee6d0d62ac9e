package io.kodiak.config;

import java.net.InetAddress;

/**
 * One upstream server.
 *
 * @param name   unique within its pool; defaults to {@code host:port}; a discovered upstream's is
 *               {@code ENTRY[ADDRESS]}, e.g. {@code app:8000[10.0.0.5:8000]}
 * @param host   host name or IP literal; for a discovered upstream, the name it was found by (TLS to
 *               the upstream and {@code host: upstream} use it, as nginx's {@code proxy_ssl_name} does)
 * @param port   TCP port (0 for a Unix socket)
 * @param weight relative share of requests, 1..1000 (default 1)
 * @param maxConnections most requests in flight at once (HAProxy {@code maxconn}); 0 for no limit.
 *               For a sync Gunicorn instance, its worker count
 * @param resolved the address to connect to, already resolved (discovery), or {@code null} to
 *               resolve {@code host} when the upstream is made
 * @param source the discovery source that found it ({@link UpstreamSource#id()}), or {@code null}
 *               for an upstream listed in the file or added through the admin API
 * @param unixPath the Unix-domain socket to connect to ({@code unix:/run/gunicorn.sock}), or
 *               {@code null} for TCP
 * @param priority an SRV record's priority: a pool uses its lowest priority that has an available
 *               upstream, so higher ones are backups (RFC 2782); 0 for everything else
 */
public record UpstreamConfig(String name, String host, int port, int weight, int maxConnections,
                             InetAddress resolved, String source, String unixPath, int priority) {
    /** An upstream listed by host and port. */
    public UpstreamConfig(String name, String host, int port, int weight, int maxConnections) {
        this(name, host, port, weight, maxConnections, null, null, null, 0);
    }

    /** An upstream without a concurrency limit. */
    public UpstreamConfig(String name, String host, int port, int weight) {
        this(name, host, port, weight, 0);
    }

    /**
     * Where it is, as configured: {@code host:port}, {@code [::1]:8000}, or {@code unix:/path}; a
     * discovered upstream's resolved address ({@code 10.0.0.5:8000}), which its name also holds, so
     * that (name, address) identifies it across reloads and re-resolutions.
     */
    public String address() {
        if (unixPath != null) {
            return "unix:" + unixPath;
        }
        if (resolved != null) {
            return io.kodiak.discovery.IpText.withPort(resolved, port);
        }
        String h = host;
        return h.indexOf(':') >= 0 ? "[" + h + "]:" + port : h + ":" + port;
    }

    /** Whether it is reached over a Unix-domain socket. */
    public boolean unix() {
        return unixPath != null;
    }

    /** Whether a discovery source found it (then it is not part of the file's list). */
    public boolean discovered() {
        return source != null;
    }

    /**
     * Resolves the host now (a DNS lookup for a name; blocks, so never on a selector thread).
     * Nothing to resolve for a Unix socket or an upstream discovery already resolved.
     *
     * @return why it does not resolve, e.g. {@code cannot resolve host "api-3.internal"}, or null if it does
     */
    public String unresolvable() {
        if (unixPath != null || resolved != null) {
            return null;
        }
        return new java.net.InetSocketAddress(host, port).isUnresolved() ? "cannot resolve host \"" + host + "\"" : null;
    }
}
