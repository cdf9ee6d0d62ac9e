package io.kodiak;

import io.kodiak.config.KodiakConfig;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * A running Kodiak: its listeners, pools and the NIO transport that carries both sides.
 * WORK IN PROGRESS: the data path lands in the next commits.
 */
public final class Kodiak implements AutoCloseable {

    /** Binds every listener of {@code config} and starts serving. */
    public static Kodiak start(KodiakConfig config) throws IOException {
        throw new UnsupportedOperationException("data path not yet built");
    }

    /** The address a listener is bound to (the real port when the config said port 0). */
    public InetSocketAddress boundAddress(String listenerName) {
        throw new UnsupportedOperationException();
    }

    /** Stops accepting, lets in-flight requests finish within {@code grace}, then closes everything. */
    public void shutdown(Duration grace) {
        throw new UnsupportedOperationException();
    }

    /** Stops at once. */
    @Override
    public void close() {
        shutdown(Duration.ZERO);
    }
}
