package io.kodiak.config;

/**
 * One upstream server.
 *
 * @param name   unique within its pool; defaults to {@code host:port}
 * @param host   host name or IP literal
 * @param port   TCP port
 * @param weight relative share of requests, 1..1000 (default 1)
 */
public record UpstreamConfig(String name, String host, int port, int weight) {
    public String address() {
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    }
}
