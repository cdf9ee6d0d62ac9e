/*
 * Kodiak's; touches Grizzly 4.0.2 internals; re-check on upgrade (GrizzlyUnixTest fails loudly when
 * they move).
 */
package org.glassfish.grizzly.nio;

/**
 * Reaches {@link NIOTransport#configureNIOConnection}, which is protected: a connection made outside
 * the transport (a Unix-domain one, {@code UnixConnectorHandler}) gets the same blocking mode,
 * processor, write-queue limit and probes as {@code TCPNIOTransport.obtainNIOConnection} gives a TCP one.
 * It lives in Grizzly's package for that access alone (Kodiak has no module-info, so the split
 * package is allowed).
 */
public final class NioAccess {
    private NioAccess() {
    }

    /** Configures {@code connection} as {@code transport} configures the connections it makes itself. */
    public static void configure(NIOTransport transport, NIOConnection connection) {
        transport.configureNIOConnection(connection);
    }
}
