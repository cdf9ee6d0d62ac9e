package io.kodiak.config;

import java.util.List;

/**
 * Where a listener learns its clients' real addresses when a load balancer or CDN stands in
 * front of it: the PROXY protocol on each connection ({@code proxy-protocol}, HAProxy
 * {@code accept-proxy}, nginx {@code listen ... proxy_protocol}), a header of trusted proxies on
 * each request ({@code real-ip}), or both (then the PROXY protocol's address is the peer that
 * {@code real-ip.from} is checked against, as in nginx).
 *
 * <p>Immutable; equal by value.
 *
 * @param proxyProtocol the connection's PROXY protocol header, or null when the listener does not read one
 * @param realIp        the per-request address from a trusted header, or null
 */
public record ClientAddressConfig(ProxyProtocol proxyProtocol, RealIpConfig realIp) {
    /**
     * Every connection starts with a PROXY protocol header (v1 or v2), without which it is closed.
     *
     * @param from the peers that may connect (and must send it); empty for any peer
     */
    public record ProxyProtocol(List<Cidr> from) {
        public ProxyProtocol {
            from = List.copyOf(from);
        }

        /** Whether a connection from {@code peer} (4 or 16 bytes) may send a header. */
        public boolean allows(byte[] peer) {
            if (from.isEmpty()) {
                return true;
            }
            if (peer == null) {
                return false;
            }
            for (Cidr c : from) {
                if (c.contains(peer)) {
                    return true;
                }
            }
            return false;
        }
    }
}
