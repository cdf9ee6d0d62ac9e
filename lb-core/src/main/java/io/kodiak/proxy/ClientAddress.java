package io.kodiak.proxy;

import java.net.InetSocketAddress;

/**
 * A client's address as the data path uses it: the text written to logs and
 * {@code X-Forwarded-For} and hashed, the bytes matched against CIDR ranges ({@code source},
 * {@code real-ip.from}), and the port for {@code $remote_port}. A connection has one (the TCP
 * peer, or what its PROXY protocol header said); a request has one too, the same object unless
 * {@code real-ip} found another in a trusted header.
 *
 * <p>Immutable (the bytes are never changed after construction); any thread.
 *
 * @param ip         as text, as {@link java.net.InetAddress#getHostAddress} writes it
 * @param bytes      4 or 16 bytes, or null when the peer is not an IP socket
 * @param port       the port, or -1 when unknown (a header gave no port)
 * @param distrusted {@code real-ip} is configured and the connection is not from a trusted proxy:
 *                   forwarding headers the client sent are not passed on
 */
record ClientAddress(String ip, byte[] bytes, int port, boolean distrusted) {
    /** The TCP peer of a connection. */
    static ClientAddress of(Object peer) {
        if (peer instanceof InetSocketAddress a && a.getAddress() != null) {
            return new ClientAddress(a.getAddress().getHostAddress(), a.getAddress().getAddress(), a.getPort(), false);
        }
        return new ClientAddress(String.valueOf(peer), null, peer instanceof InetSocketAddress a ? a.getPort() : 0, false);
    }

    /**
     * An address read from a PROXY protocol header or a header. An IPv4-mapped IPv6 address
     * ({@code ::ffff:192.0.2.1}) becomes its 4 IPv4 bytes, as Java reports a dual-stack socket's
     * IPv4 peer: one client is one key, whichever way its address came (the place it takes under
     * {@code max-connections-per-address}, hashing, the log), and {@link io.kodiak.config.Cidr}
     * and {@link io.kodiak.config.AccessAddress} already read a mapped address as IPv4.
     */
    static ClientAddress of(byte[] bytes, int port) {
        byte[] b = isMappedV4(bytes) ? java.util.Arrays.copyOfRange(bytes, 12, 16) : bytes;
        return new ClientAddress(IpLiteral.text(b), b, port, false);
    }

    private static boolean isMappedV4(byte[] a) {
        if (a.length != 16 || a[10] != (byte) 0xff || a[11] != (byte) 0xff) {
            return false;
        }
        for (int i = 0; i < 10; i++) {
            if (a[i] != 0) {
                return false;
            }
        }
        return true;
    }

    /** The same address, its forwarding claims not to be believed. */
    ClientAddress distrust() {
        return new ClientAddress(ip, bytes, port, true);
    }

    @Override
    public String toString() {
        return port < 0 ? ip : ip + " port " + port;
    }
}
