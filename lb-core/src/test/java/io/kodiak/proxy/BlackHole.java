package io.kodiak.proxy;

import io.kodiak.testing.Loopback;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A listening socket whose accept queue is full and never drained: Linux drops further SYNs,
 * so a connect to it hangs (no refusal) until the connector gives up.
 */
final class BlackHole implements AutoCloseable {
    private final ServerSocket listener;
    private final List<Socket> fillers = new ArrayList<>();

    private BlackHole(ServerSocket listener) {
        this.listener = listener;
    }

    static BlackHole open() throws IOException {
        BlackHole h = new BlackHole(new ServerSocket(0, 1, Loopback.ADDRESS));
        for (int i = 0; i < 16; i++) {
            Socket s = new Socket();
            try {
                s.connect(Loopback.at(h.port()), 200);
                h.fillers.add(s);
            } catch (SocketTimeoutException e) {
                s.close();
                return h; // this connect hung: the queue is full
            }
        }
        h.close();
        assumeTrue(false, "could not fill an accept queue; connect hangs cannot be staged here");
        return h;
    }

    int port() {
        return listener.getLocalPort();
    }

    @Override
    public void close() throws IOException {
        for (Socket s : fillers) {
            s.close();
        }
        listener.close();
    }
}
