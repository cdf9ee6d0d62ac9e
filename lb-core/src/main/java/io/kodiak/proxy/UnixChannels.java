package io.kodiak.proxy;

import org.glassfish.grizzly.Processor;
import org.glassfish.grizzly.nio.ChannelConfigurator;
import org.glassfish.grizzly.nio.NIOTransport;
import org.glassfish.grizzly.nio.transport.TCPNIOTransport;
import org.glassfish.grizzly.nio.transport.UnixConnectorHandler;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.NetworkChannel;
import java.nio.channels.SelectableChannel;

/**
 * Unix-domain upstreams ({@code unix:/run/gunicorn.sock}, nginx's {@code server unix:/path},
 * HAProxy's {@code server s1 /path}) on the data path's own transport: their connections use the
 * same selector threads and filter chain as TCP ones, so everything downstream of the connect
 * (pooling, timeouts, relaying, metrics) is shared. Two pieces make that work on Grizzly 4.0.2:
 * a connector that opens a {@code StandardProtocolFamily.UNIX} channel
 * ({@link UnixConnectorHandler}), and a {@link ChannelConfigurator} that does not set TCP options
 * (TCP_NODELAY, SO_LINGER...) on one, which would throw, since the transport's default configures
 * every channel it registers through {@code socket()}.
 *
 * <p>Public for {@code GrizzlyUnixTest}, which guards the Grizzly internals this relies on.
 *
 * <p>Threading: set up once, before the transport starts; the configurator then runs on whichever
 * thread connects or accepts, and keeps no state.
 */
public final class UnixChannels {
    private UnixChannels() {
    }

    /**
     * Makes {@code transport}'s channel configurator leave Unix channels alone (only non-blocking
     * mode, which Grizzly needs) and returns a connector for them on {@code chain}.
     */
    public static UnixConnectorHandler install(TCPNIOTransport transport, Processor<?> chain) {
        transport.setChannelConfigurator(new SkipUnix(transport.getChannelConfigurator()));
        return new UnixConnectorHandler(transport, chain);
    }

    /** Whether {@code channel} is a Unix-domain socket (its local address is a path, even unnamed). */
    static boolean isUnix(SelectableChannel channel) {
        try {
            return channel instanceof NetworkChannel n && n.getLocalAddress() instanceof UnixDomainSocketAddress;
        } catch (IOException e) {
            return false; // closed: the TCP configurator fails it as it always did
        }
    }

    /** The transport's configurator for TCP channels; for Unix ones, only non-blocking mode. */
    private record SkipUnix(ChannelConfigurator tcp) implements ChannelConfigurator {
        @Override
        public void preConfigure(NIOTransport transport, SelectableChannel channel) throws IOException {
            if (isUnix(channel)) {
                channel.configureBlocking(false);
            } else {
                tcp.preConfigure(transport, channel);
            }
        }

        @Override
        public void postConfigure(NIOTransport transport, SelectableChannel channel) throws IOException {
            if (!isUnix(channel)) {
                tcp.postConfigure(transport, channel);
            }
        }
    }
}
