package io.kodiak.testing;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/**
 * The IPv4 loopback address every test binds to and connects to. Spelled out rather than taken from
 * {@link InetAddress#getLoopbackAddress()}, which answers {@code ::1} when IPv6 is preferred.
 */
public final class Loopback {

    /** {@code 127.0.0.1}. */
    public static final InetAddress ADDRESS = ipv4();

    private Loopback() {
    }

    /** {@code 127.0.0.1:port}. */
    public static InetSocketAddress at(int port) {
        return new InetSocketAddress(ADDRESS, port);
    }

    private static InetAddress ipv4() {
        try {
            return InetAddress.getByAddress("127.0.0.1", new byte[] {127, 0, 0, 1});
        } catch (UnknownHostException e) {
            // Only thrown for an address of illegal length, and four bytes is legal.
            throw new ExceptionInInitializerError(e);
        }
    }
}
