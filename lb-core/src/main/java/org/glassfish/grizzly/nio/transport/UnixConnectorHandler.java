/*
 * Kodiak's; touches Grizzly 4.0.2 internals; re-check on upgrade (GrizzlyUnixTest fails loudly when
 * they move).
 */
package org.glassfish.grizzly.nio.transport;

import org.glassfish.grizzly.CompletionHandler;
import org.glassfish.grizzly.Connection;
import org.glassfish.grizzly.EmptyCompletionHandler;
import org.glassfish.grizzly.Processor;
import org.glassfish.grizzly.impl.FutureImpl;
import org.glassfish.grizzly.impl.ReadyFutureImpl;
import org.glassfish.grizzly.nio.NIOChannelDistributor;
import org.glassfish.grizzly.nio.NioAccess;
import org.glassfish.grizzly.nio.RegisterChannelResult;
import org.glassfish.grizzly.utils.Futures;

import java.io.IOException;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Connects to a Unix-domain socket ({@code UnixDomainSocketAddress}) on a {@link TCPNIOTransport}:
 * Grizzly's own {@code TCPNIOConnectorHandler.connectAsync} opens an INET channel and configures it
 * through {@code socket()}, which a Unix channel refuses. This is that method with a
 * {@code StandardProtocolFamily.UNIX} channel, a {@link UnixNIOConnection}, and no TCP options
 * (no SO_REUSEADDR, no local bind); the rest (connect result handler, registration on a selector
 * through the transport's {@link NIOChannelDistributor}, the CONNECTED event that enables reads) is
 * Grizzly's own path, so the connection then behaves as any TCP one on the same filter chain.
 *
 * <p>The transport's {@code ChannelConfigurator} must leave Unix channels alone
 * ({@code postConfigure} runs on connect); Kodiak's {@code UnixChannels} wraps it so.
 *
 * <p>A listener whose backlog is full does not leave the connect pending as TCP's SYN backlog
 * does: Linux fails a non-blocking Unix connect at once with {@code EAGAIN}, which arrives here as a
 * {@code SocketException} ("Resource temporarily unavailable"; {@code io.kodiak.health.UnixBacklog}
 * tells it apart) and fails the returned future like any other failure. Trying again later is the
 * caller's choice (Kodiak's {@code Attempt} does, within the pool's connect timeout). The
 * {@code OP_CONNECT} path below is kept for a platform that answers {@code EINPROGRESS}.
 *
 * <p>Threading: {@link #connect} may be called from any thread and does not block (on Linux a Unix
 * connect completes or fails at once); the outcome is reported on a selector thread, or on the
 * caller's for an instant failure.
 */
public class UnixConnectorHandler extends TCPNIOConnectorHandler {
    private static final Logger LOG = Logger.getLogger(UnixConnectorHandler.class.getName());

    public UnixConnectorHandler(TCPNIOTransport transport, Processor<?> processor) {
        super(transport);
        setProcessor(processor);
    }

    @Override
    protected FutureImpl<Connection> connectAsync(SocketAddress remote, SocketAddress local,
                                                  CompletionHandler<Connection> handler, boolean needFuture) {
        TCPNIOTransport t = (TCPNIOTransport) transport;
        TCPNIOConnection connection = null;
        try {
            if (!(remote instanceof UnixDomainSocketAddress)) {
                throw new IllegalArgumentException("not a Unix-domain socket address: " + remote);
            }
            SocketChannel channel = t.getSelectorProvider().openSocketChannel(StandardProtocolFamily.UNIX);
            connection = new UnixNIOConnection(t, channel);
            NioAccess.configure(t, connection);
            channel.configureBlocking(false);
            preConfigure(connection);
            connection.setProcessor(getProcessor());
            connection.setProcessorSelector(getProcessorSelector());
            boolean connected = channel.connect(remote);

            FutureImpl<Connection> future = needFuture ? makeCancellableFuture(connection) : null;
            CompletionHandler<Connection> pass = needFuture ? Futures.toCompletionHandler(future, handler) : handler;
            TCPNIOConnection c = connection;
            connection.setConnectResultHandler(new TCPNIOConnection.ConnectResultHandler() {
                @Override
                public void connected() throws IOException {
                    onConnectedAsync(c, pass);
                }

                @Override
                public void failed(Throwable cause) {
                    c.closeSilently();
                    if (pass != null) {
                        pass.failed(cause);
                    }
                }
            });
            NIOChannelDistributor distributor = t.getNIOChannelDistributor();
            if (distributor == null) {
                throw new IllegalStateException("NIOChannelDistributor is null. Is the transport running?");
            }
            distributor.registerChannelAsync(channel, connected ? 0 : SelectionKey.OP_CONNECT, connection,
                    new EmptyCompletionHandler<RegisterChannelResult>() {
                        @Override
                        public void completed(RegisterChannelResult result) {
                            t.selectorRegistrationHandler.completed(result);
                            if (connected) {
                                try {
                                    c.onConnect();
                                } catch (IOException e) {
                                    // onConnect has already failed the handler: only a trace is left to leave.
                                    LOG.log(Level.FINE, "Connected Unix socket " + remote + " failed to start", e);
                                }
                            }
                        }

                        @Override
                        public void failed(Throwable cause) {
                            c.checkConnectFailed(cause);
                        }
                    });
            return future;
        } catch (Exception e) {
            if (connection != null) {
                connection.closeSilently();
            }
            if (handler != null) {
                handler.failed(e);
            }
            return needFuture ? ReadyFutureImpl.<Connection>create(e) : null;
        }
    }
}
