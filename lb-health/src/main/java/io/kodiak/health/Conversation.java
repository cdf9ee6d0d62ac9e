package io.kodiak.health;

import java.io.IOException;
import java.nio.channels.SocketChannel;

/**
 * What a probe does on a socket once the {@link ConnectProbeLoop} has connected it, driven one
 * readiness event at a time on the loop thread: a TLS handshake ({@link TlsHandshake}), or an
 * HTTP exchange over a Unix socket ({@link UnixHttpProbe}). The loop owns the socket, the deadline
 * and the single report; a conversation only reads, writes and judges.
 *
 * <p>Not thread-safe: the loop thread owns it. It must never block: {@link #advance} returns when
 * the socket would.
 */
interface Conversation {
    /** Makes a conversation for one check (on the loop thread, once connected). */
    @FunctionalInterface
    interface Opener {
        Conversation open() throws IOException;
    }

    /**
     * Goes on as far as the socket allows.
     *
     * @return 0 when it is over (then {@link #outcome}), else the interest ops it waits for
     *         ({@link java.nio.channels.SelectionKey#OP_READ} or {@code OP_WRITE})
     * @throws IOException when it failed (then {@link #failure}; so does a RuntimeException from an engine)
     */
    int advance(SocketChannel channel) throws IOException;

    /** What it found, once {@link #advance} returned 0; the duration is the loop's to fill in. */
    ProbeResult outcome(SocketChannel channel, String target);

    /** What {@code e}, thrown by {@link #advance}, means for the check; the duration is the loop's. */
    ProbeResult failure(Exception e, String target);
}
