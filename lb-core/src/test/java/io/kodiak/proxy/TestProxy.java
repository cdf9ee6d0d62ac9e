package io.kodiak.proxy;

import io.kodiak.Kodiak;
import io.kodiak.config.KodiakConfig;
import io.kodiak.testing.Loopback;
import io.kodiak.testing.RawClient;

import java.io.IOException;
import java.time.Duration;

/** A running Kodiak for one test, with the ports of its listeners and clients to talk to it. */
final class TestProxy implements AutoCloseable {
    private final Kodiak kodiak;

    private TestProxy(Kodiak kodiak) {
        this.kodiak = kodiak;
    }

    static TestProxy start(KodiakConfig config) throws IOException {
        return new TestProxy(Kodiak.start(config));
    }

    Kodiak kodiak() {
        return kodiak;
    }

    /** Port of the main listener. */
    int port() {
        return port(ProxyConfig.LISTENER);
    }

    int port(String listener) {
        return kodiak.boundAddress(listener).getPort();
    }

    /** A new client connection to the main listener (10 s read timeout). */
    RawClient client() throws IOException {
        return RawClient.connect(port());
    }

    /** A new client connection to the main listener with the given read timeout. */
    RawClient client(Duration readTimeout) throws IOException {
        return RawClient.connect(Loopback.at(port()), readTimeout);
    }

    @Override
    public void close() {
        kodiak.close();
    }

    @Override
    public String toString() {
        return "TestProxy[" + port() + "]";
    }
}
