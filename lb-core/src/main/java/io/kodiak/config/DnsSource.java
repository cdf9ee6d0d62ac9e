package io.kodiak.config;

/**
 * Upstreams from DNS ({@code resolve: true}): every A/AAAA address of {@code host} at {@code port}
 * (nginx's {@code server NAME resolve}, HAProxy's {@code server-template}), or with {@code srv}
 * the targets, ports, weights and priorities of the SRV record {@code host} (nginx's
 * {@code service=}, HAProxy's {@code _SERVICE._proto.NAME}).
 *
 * @param name     the entry's name (prefix of its upstreams' names)
 * @param host     the name to resolve; for SRV, {@code _http._tcp.app.internal}
 * @param port     the port of every address (A/AAAA); 0 for SRV, whose records give it
 * @param srv      whether {@code host} is an SRV record
 * @param resolver the {@code resolvers:} entry that resolves it ({@code default} unless named)
 * @param weight   the weight of each address (A/AAAA); SRV gives its own
 * @param maxConnections {@code max-connections} of each address; 0 for no limit
 */
public record DnsSource(String name, String host, int port, boolean srv, String resolver, int weight, int maxConnections)
        implements UpstreamSource {
    @Override
    public String id() {
        return srv ? "dns srv " + host : "dns " + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
}
