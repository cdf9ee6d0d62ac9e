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

    /**
     * A port free on every address 127.0.0.{@code first} .. 127.0.0.{@code last} (checked by binding
     * each), so that instances on those addresses can share it, as the records of one DNS name or
     * the endpoints of one Service do. Linux routes all of 127/8 to the loopback interface.
     */
    public static int portFreeOn(int first, int last) throws java.io.IOException {
        for (int attempt = 0; attempt < 20; attempt++) {
            int port;
            try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, InetAddress.getByName("127.0.0." + first))) {
                port = s.getLocalPort();
            }
            boolean free = true;
            for (int i = first + 1; i <= last && free; i++) {
                try (java.net.ServerSocket s = new java.net.ServerSocket(port, 1, InetAddress.getByName("127.0.0." + i))) {
                    free = s.getLocalPort() == port;
                } catch (java.io.IOException e) {
                    free = false; // taken there: another
                }
            }
            if (free) {
                return port;
            }
        }
        throw new IllegalStateException("no port free on 127.0.0." + first + ".." + last + " after 20 tries");
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
