package io.kodiak.health;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLException;

/**
 * A client TLS handshake over a non-blocking socket, driven one readiness event at a time by the
 * {@link ConnectProbeLoop}: the connect check of a TLS target (HAProxy checks over SSL the same
 * way when the server line says {@code ssl}). The engine does the verification it was set up
 * with; a certificate it refuses fails the handshake with its reason.
 *
 * <p>Not thread-safe: the loop thread owns it. The engine's delegated tasks (certificate checks)
 * run inline on that thread; they take microseconds to a millisecond, once per check.
 *
 * <p>Under TLS 1.3 a client's handshake ends before the server has judged the client's
 * certificate, so a refused client certificate shows in an HTTP check, not here.
 */
final class TlsHandshake implements Conversation {
    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

    private final SSLEngine engine;
    private final ByteBuffer netIn;
    private final ByteBuffer netOut;
    private ByteBuffer appIn;

    TlsHandshake(SSLEngine engine) throws SSLException {
        this.engine = engine;
        int packet = engine.getSession().getPacketBufferSize();
        this.netIn = ByteBuffer.allocate(packet);
        this.netOut = ByteBuffer.allocate(packet);
        this.netOut.flip(); // nothing to send yet
        this.appIn = ByteBuffer.allocate(engine.getSession().getApplicationBufferSize());
        engine.beginHandshake();
    }

    /**
     * Advances the handshake as far as the socket allows.
     *
     * @return 0 when it is done, else the interest ops it waits for ({@link SelectionKey#OP_READ}
     *         or {@link SelectionKey#OP_WRITE})
     * @throws IOException when it failed: refused by the engine (its message says why) or the peer closed
     */
    @Override
    public int advance(SocketChannel channel) throws IOException {
        while (true) {
            if (netOut.hasRemaining()) {
                channel.write(netOut);
                if (netOut.hasRemaining()) {
                    return SelectionKey.OP_WRITE;
                }
            }
            switch (engine.getHandshakeStatus()) {
                case NEED_WRAP -> {
                    netOut.clear();
                    SSLEngineResult r = engine.wrap(EMPTY, netOut);
                    netOut.flip();
                    if (r.getStatus() == SSLEngineResult.Status.CLOSED && !netOut.hasRemaining()) {
                        throw new SSLException("the engine closed during the handshake");
                    }
                }
                case NEED_UNWRAP, NEED_UNWRAP_AGAIN -> {
                    netIn.flip();
                    SSLEngineResult r = engine.unwrap(netIn, appIn);
                    netIn.compact();
                    switch (r.getStatus()) {
                        case BUFFER_UNDERFLOW -> {
                            int n = channel.read(netIn);
                            if (n < 0) {
                                throw new EOFException("the target closed the connection during the TLS handshake");
                            }
                            if (n == 0) {
                                return SelectionKey.OP_READ;
                            }
                        }
                        case BUFFER_OVERFLOW -> appIn = ByteBuffer.allocate(appIn.capacity() * 2);
                        case CLOSED -> throw new EOFException("the target ended TLS during the handshake");
                        default -> {
                            // progress: look at the status again
                        }
                    }
                }
                case NEED_TASK -> {
                    Runnable task;
                    while ((task = engine.getDelegatedTask()) != null) {
                        task.run();
                    }
                }
                default -> {
                    return 0; // FINISHED or NOT_HANDSHAKING: done
                }
            }
        }
    }

    /** Done: says goodbye and reports the protocol. */
    @Override
    public ProbeResult outcome(SocketChannel channel, String target) {
        String protocol = protocol();
        close(channel);
        return new ProbeResult(ProbeStatus.SUCCESS, "connected to " + target + " over " + protocol, 0);
    }

    /** The target's certificate or its TLS: what the target did, so the deepest cause's message, and no stack trace. */
    @Override
    public ProbeResult failure(Exception e, String target) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return new ProbeResult(ProbeStatus.UNEXPECTED_RESPONSE, "TLS handshake with " + target + " failed: "
                + (root.getMessage() != null ? root.getMessage() : root.toString()), 0);
    }

    /** Says goodbye (close_notify) as far as the socket takes it at once; the caller closes the socket. */
    void close(SocketChannel channel) {
        try {
            engine.closeOutbound();
            netOut.clear();
            engine.wrap(EMPTY, netOut);
            netOut.flip();
            channel.write(netOut);
        } catch (IOException e) {
            // the socket closes next anyway
        }
    }

    /** The negotiated protocol, for the check's message. */
    String protocol() {
        return engine.getSession().getProtocol();
    }

    /** What a timed-out check waited for: "no TLS handshake to ...". */
    @Override
    public String toString() {
        return "TLS handshake";
    }
}
