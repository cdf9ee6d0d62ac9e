package io.kodiak.proxy;

import io.kodiak.buffer.SpoolIo;
import io.kodiak.upstream.PoolRuntime;
import io.kodiak.upstream.Upstream;
import org.glassfish.grizzly.Buffer;
import org.glassfish.grizzly.CompletionHandler;
import org.glassfish.grizzly.Connection;
import org.glassfish.grizzly.WriteResult;
import org.glassfish.grizzly.asyncqueue.AsyncQueueWriter;
import org.glassfish.grizzly.nio.transport.TCPNIOConnectorHandler;
import org.glassfish.grizzly.nio.transport.TCPNIOTransport;

import java.net.SocketAddress;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * What every session and exchange of one Kodiak process shares: the transport, the upstream
 * connectors (TCP, Unix, TLS), the keep-alive pools, temp-file I/O, the clock, and the set of
 * live sessions that the {@link TimeoutSweeper} walks.
 */
final class ProxyContext {
    final TCPNIOTransport transport;
    final TCPNIOConnectorHandler connector;
    /** Connects to Unix-socket upstreams on the same chain as {@link #connector} ({@link UnixChannels}). */
    final TCPNIOConnectorHandler unixConnector;
    /** Connects on the TLS chain (transport → {@link #tlsFilter} → {@link UpstreamFilter}), for pools with {@code tls}. */
    final TCPNIOConnectorHandler tlsConnector;
    /** The TLS chain's filter, which runs each TLS connection's handshake ({@link UpstreamHandshake}). */
    final org.glassfish.grizzly.ssl.SSLFilter tlsFilter;
    final SpoolIo spoolIo;
    final LongSupplier nanoTime;
    final Map<Upstream, ConnectionPool> connectionPools;
    final Map<PoolRuntime, WaitQueue> queues;
    private final AsyncQueueWriter<SocketAddress> writer;
    private final Set<ClientSession> sessions = ConcurrentHashMap.newKeySet();
    private volatile boolean stopping;
    /** Whether exchanges time and count themselves ({@code metrics} on); fixed for the process. */
    final boolean metrics;
    /** The ACME validations the listeners answer and the manager behind them. */
    final AcmeRuntime acme = new AcmeRuntime(java.time.Clock.systemUTC());
    /** What feature filters share across reloads (the suspension timer, rate-limit zones...). */
    final FeatureRuntime features = new FeatureRuntime();

    ProxyContext(TCPNIOTransport transport, TCPNIOConnectorHandler connector, TCPNIOConnectorHandler unixConnector,
                 TCPNIOConnectorHandler tlsConnector,
                 org.glassfish.grizzly.ssl.SSLFilter tlsFilter, SpoolIo spoolIo, LongSupplier nanoTime,
                 Map<Upstream, ConnectionPool> connectionPools, Map<PoolRuntime, WaitQueue> queues, boolean metrics) {
        this.metrics = metrics;
        this.transport = transport;
        this.connector = connector;
        this.unixConnector = unixConnector;
        this.tlsConnector = tlsConnector;
        this.tlsFilter = tlsFilter;
        this.spoolIo = spoolIo;
        this.nanoTime = nanoTime;
        this.connectionPools = connectionPools;
        this.queues = queues;
        this.writer = transport.getAsyncQueueIO().getWriter();
        features.subrequests(new SubrequestClient(this, features)); // forward-auth's subrequests
    }

    /**
     * Queues {@code b} on {@code c} straight to the transport's writer (our filters never transform
     * writes): a buffer, or on a plain connection a file's bytes sent by the kernel (sendfile).
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    void write(Connection<?> c, org.glassfish.grizzly.asyncqueue.WritableMessage b, CompletionHandler<WriteResult> done) {
        writer.write((Connection) c, b, (CompletionHandler) done);
    }

    /**
     * Queues {@code b} on {@code c} through its filter chain, for connections whose filters do
     * transform writes (the TLS filter of a TLS listener encrypts them).
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    static void writeThroughChain(Connection<?> c, Buffer b, CompletionHandler<WriteResult> done) {
        ((Connection) c).write(b, (CompletionHandler) done);
    }

    /**
     * {@code t} as a deadline: 0 means "none" in every deadline field, so a deadline that falls
     * exactly on 0 of the nano clock is moved by a nanosecond.
     */
    static long nonZero(long t) {
        return t == 0 ? 1 : t;
    }

    long now() {
        return nanoTime.getAsLong();
    }

    void register(ClientSession s) {
        sessions.add(s);
    }

    void unregister(ClientSession s) {
        sessions.remove(s);
    }

    Set<ClientSession> sessions() {
        return sessions;
    }

    boolean stopping() {
        return stopping;
    }

    void stopAccepting() {
        stopping = true;
    }
}
