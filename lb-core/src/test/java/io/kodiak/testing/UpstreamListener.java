package io.kodiak.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.function.Consumer;

/**
 * The listening socket of a {@link ScriptedUpstream} and its accept thread. It can be closed (the
 * port then refuses connections) and opened again on the same port, like a server restarting.
 * Open and close are synchronized; each opening has its own accept thread, which ends with it.
 */
final class UpstreamListener {

    private final String threadName;
    private final Consumer<Socket> onAccept;
    private final Consumer<IOException> onFailure;
    private ServerSocket socket; // guarded by this
    private Thread acceptThread; // guarded by this

    UpstreamListener(String threadName, Consumer<Socket> onAccept, Consumer<IOException> onFailure) {
        this.threadName = threadName;
        this.onAccept = onAccept;
        this.onFailure = onFailure;
    }

    /** Binds {@code 127.0.0.1:wantedPort} (0 for any) unless already open; returns the bound port. */
    synchronized int open(int wantedPort) throws IOException {
        if (socket != null) {
            return socket.getLocalPort();
        }
        ServerSocket s = new ServerSocket();
        s.setReuseAddress(true); // re-opening right after close() must not trip over TIME_WAIT
        s.bind(Loopback.at(wantedPort), 128);
        socket = s;
        Thread t = new Thread(() -> acceptLoop(s), threadName);
        t.setDaemon(true);
        t.start();
        acceptThread = t;
        return s.getLocalPort();
    }

    /** Closes the listening socket; connection attempts are refused from now on. */
    synchronized void close() throws IOException {
        if (socket != null) {
            socket.close();
            socket = null;
            // A thread blocked in accept() holds the socket open in the kernel until it leaves the
            // call, so the port still completes handshakes for a moment after close() returns
            // (seen in over half of tries). "Refused from now on" needs that thread gone.
            try {
                acceptThread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while the accept thread stopped", e);
            }
            if (acceptThread.isAlive()) {
                throw new IOException(threadName + " still accepting 10 s after close");
            }
            acceptThread = null;
        }
    }

    private void acceptLoop(ServerSocket s) {
        while (true) {
            Socket accepted;
            try {
                accepted = s.accept();
            } catch (IOException e) {
                if (!s.isClosed()) {
                    onFailure.accept(e);
                }
                return; // close() closed this socket
            }
            onAccept.accept(accepted);
        }
    }

    @Override
    public synchronized String toString() {
        return "UpstreamListener[" + (socket == null ? "closed" : socket.getLocalSocketAddress()) + "]";
    }
}
