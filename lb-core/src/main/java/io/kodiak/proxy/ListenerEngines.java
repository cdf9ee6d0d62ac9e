package io.kodiak.proxy;

import org.glassfish.grizzly.ssl.SSLEngineConfigurator;

import javax.net.ssl.SSLEngine;

/**
 * Grizzly's TLS filter asks this for each accepted connection's engine; it answers from the
 * listener's TLS as configured now, so a reload that re-reads the certificates takes effect for
 * the next handshake without rebinding the port. The engine (BoringSSL's or the JDK's) comes set
 * up from {@link io.kodiak.tls.ServerTls}; this configurator holds no SSLContext of its own.
 */
final class ListenerEngines extends SSLEngineConfigurator {
    private final ListenerRuntime listener;

    ListenerEngines(ListenerRuntime listener) {
        super(); // server mode, no context: createSSLEngine below is the only way engines are made
        this.listener = listener;
    }

    @Override
    public SSLEngine createSSLEngine() {
        return listener.config.tls().server().newEngine();
    }

    @Override
    public SSLEngine createSSLEngine(String peerHost, int peerPort) {
        return createSSLEngine();
    }

    /** The engine is configured when it is made; Grizzly's defaults must not undo that. */
    @Override
    public SSLEngine configure(SSLEngine engine) {
        return engine;
    }

    @Override
    public SSLEngineConfigurator copy() {
        return new ListenerEngines(listener);
    }
}
