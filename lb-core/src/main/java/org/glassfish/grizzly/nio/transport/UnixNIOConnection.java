/*
 * Kodiak's; touches Grizzly 4.0.2 internals; re-check on upgrade (GrizzlyUnixTest fails loudly when
 * they move).
 */
package org.glassfish.grizzly.nio.transport;

import org.glassfish.grizzly.utils.Holder;

import java.io.IOException;
import java.net.SocketAddress;
import java.nio.channels.SocketChannel;

/**
 * A {@link TCPNIOConnection} over a Unix-domain {@link SocketChannel}, so that Unix-socket upstreams
 * ride the same transport, selector threads and filter chain as TCP ones. Everything TCP-only in
 * the parent goes through {@code SocketChannel.socket()}, which a Unix channel refuses with
 * {@code UnsupportedOperationException}: the buffer sizes (fixed here at 64 KiB, the size Grizzly's
 * reads use for TCP on Linux too) and the lazy local/peer address holders that
 * {@link #resetProperties()} installs (read by every write completion's {@code WriteResult}).
 *
 * <p>Threading: as its parent; the addresses are read from the channel, which is thread-safe.
 */
public class UnixNIOConnection extends TCPNIOConnection {
    /** What a read asks for and a write hands the kernel at most at once. */
    static final int BUFFER_SIZE = 64 * 1024;

    private volatile int readBufferSize = BUFFER_SIZE;
    private volatile int writeBufferSize = BUFFER_SIZE;

    public UnixNIOConnection(TCPNIOTransport transport, SocketChannel channel) {
        super(transport, channel);
    }

    @Override
    public int getReadBufferSize() {
        return readBufferSize;
    }

    @Override
    public void setReadBufferSize(int size) {
        if (size > 0) {
            readBufferSize = size;
        }
    }

    @Override
    public int getWriteBufferSize() {
        return writeBufferSize;
    }

    @Override
    public void setWriteBufferSize(int size) {
        if (size > 0) {
            writeBufferSize = size;
        }
    }

    /** The socket's path ({@code UnixDomainSocketAddress}), or {@code null} once closed. */
    @Override
    public SocketAddress getPeerAddress() {
        try {
            return ((SocketChannel) channel).getRemoteAddress();
        } catch (IOException e) {
            return null; // closed: as the parent's holder answers for a closed TCP socket
        }
    }

    /** Unnamed (an empty path) for a client socket; {@code null} once closed. */
    @Override
    public SocketAddress getLocalAddress() {
        try {
            return ((SocketChannel) channel).getLocalAddress();
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * The parent's, then holders that read the channel instead of the parent's
     * {@code socket().getInetAddress()} ones, which would throw on the first write completion.
     */
    @Override
    protected void resetProperties() {
        super.resetProperties();
        localSocketAddressHolder = Holder.lazyHolder(this::getLocalAddress);
        peerSocketAddressHolder = Holder.lazyHolder(this::getPeerAddress);
    }

    @Override
    public String toString() {
        return "UnixNIOConnection[" + getPeerAddress() + (isOpen() ? "" : ", closed") + "]";
    }
}
