package io.kodiak.proxy;

import org.glassfish.grizzly.Connection;
import org.glassfish.grizzly.ssl.SSLBaseFilter;

/**
 * Tells a connection's {@link ClientSession} that Grizzly's TLS filter finished or gave up its
 * handshake, so that it frees its handshake slot and starts waiting for a request head. Runs on
 * the connection's selector thread, inside the filter's read.
 */
final class HandshakeEvents implements SSLBaseFilter.HandshakeListener {
    static final HandshakeEvents INSTANCE = new HandshakeEvents();

    private HandshakeEvents() {
    }

    @Override
    public void onStart(Connection<?> connection) {
        // The slot was taken at the accept: the bound covers a client that never sends a byte.
    }

    @Override
    public void onComplete(Connection<?> connection) {
        if (TlsGuardFilter.acmeValidation(connection)) {
            connection.closeSilently(); // the CA has what it came for; nothing is served over acme-tls/1
        }
        ClientSession s = ClientFilter.SESSION.get(connection);
        if (s != null) {
            s.handshakeFinished(true);
        }
    }

    @Override
    public void onFailure(Connection<?> connection, Throwable t) {
        ClientSession s = ClientFilter.SESSION.get(connection);
        if (s != null) {
            s.handshakeFinished(false);
        }
    }
}
