package io.kodiak.proxy;

import io.kodiak.http.HeadReader;
import io.kodiak.upstream.Upstream;
import org.glassfish.grizzly.Connection;

/**
 * One TCP connection to an upstream. While an exchange uses it, {@link #owner} is that exchange
 * and every event on the connection goes to it; while it is idle in its {@link ConnectionPool},
 * the owner is {@code null} and any event (bytes or a close) retires it.
 */
final class UpstreamConnection {
    /**
     * Who receives the connection's events while it carries a request. Called on the upstream
     * connection's selector thread; the owner takes its own lock.
     */
    interface Owner {
        /** Bytes from the upstream. */
        void onUpstreamRead(UpstreamConnection c, org.glassfish.grizzly.Buffer in);

        /** The connection closed (by the upstream, the transport, or a failed write). */
        void onUpstreamClosed(UpstreamConnection c);
    }

    final Upstream upstream;
    final Connection<?> connection;
    final ConnectionPool pool;
    /**
     * The pool's TLS settings it was opened with, or {@code null} for plain: it is pooled only while
     * they are the pool's (a reload that changes them must not hand out a connection made under the
     * old ones), and writes go through its TLS filter.
     */
    final io.kodiak.config.UpstreamTlsConfig tls;
    /**
     * Collects response heads. One per connection: a connection is only reused after a complete
     * response, when the reader has reset itself, so it never carries bytes into the next exchange.
     */
    final HeadReader responseHeads = new HeadReader(8190, 64 * 1024, 502, 502);
    volatile Owner owner;
    /** When it went idle, for the pool's idle timeout. */
    long idleSince;
    /** Requests it has carried, for logs. */
    int uses;
    /** Set once it is known dead, so the close is handled once. */
    boolean dead;

    UpstreamConnection(Upstream upstream, Connection<?> connection, ConnectionPool pool,
                       io.kodiak.config.UpstreamTlsConfig tls) {
        this.upstream = upstream;
        this.connection = connection;
        this.pool = pool;
        this.tls = tls;
        pool.open.incrementAndGet();
        // Fires once, whoever closes it (us, the upstream, or the transport at shutdown).
        connection.addCloseListener((org.glassfish.grizzly.GenericCloseListener) (closeable, type) -> pool.open.decrementAndGet());
    }

    /** Queues {@code b}: through the TLS filter, which encrypts it, or straight to the transport's writer. */
    void write(ProxyContext ctx, org.glassfish.grizzly.Buffer b,
               org.glassfish.grizzly.CompletionHandler<org.glassfish.grizzly.WriteResult> done) {
        if (tls != null) {
            ProxyContext.writeThroughChain(connection, b, done);
        } else {
            ctx.write(connection, b, done);
        }
    }

    /**
     * Why a TLS connection closed, when TLS closed it (an alert from the upstream, such as its
     * refusal of our certificate, which TLS 1.3 sends after our side of the handshake is done):
     * {@code " (TLS: Received fatal alert: certificate_required)"}, else empty.
     */
    String tlsCloseReason() {
        org.glassfish.grizzly.CloseReason r = tls == null ? null : connection.getCloseReason();
        for (Throwable t = r == null ? null : r.getCause(); t != null && t.getCause() != t; t = t.getCause()) {
            if (t instanceof javax.net.ssl.SSLException) {
                return " (TLS: " + t.getMessage() + ")";
            }
        }
        return "";
    }

    void close() {
        dead = true;
        owner = null;
        connection.closeSilently();
    }

    @Override
    public String toString() {
        return "UpstreamConnection[" + upstream.name() + (tls == null ? " " : " tls ") + connection.getLocalAddress() + ", uses " + uses + "]";
    }
}
