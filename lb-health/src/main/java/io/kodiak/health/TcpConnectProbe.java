package io.kodiak.health;

import java.net.SocketAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Checks that a connection to an address can be opened (HAProxy's default {@code check}), then
 * closes it: a TCP address, or a Unix-domain socket's path (the socket file exists and something
 * accepts on it). The connects run on a shared {@link ConnectProbeLoop}; see there for threading.
 */
public final class TcpConnectProbe implements Probe {

    private final ConnectProbeLoop loop;
    private final SocketAddress address;
    private final ProbeTls tls;

    /**
     * @param loop    runs the non-blocking connects
     * @param address the target: a resolved TCP address, so that no check ever waits for DNS, or a
     *                {@link java.net.UnixDomainSocketAddress}
     */
    public TcpConnectProbe(ConnectProbeLoop loop, SocketAddress address) {
        this(loop, address, null);
    }

    /**
     * A connect followed by a TLS handshake when {@code tls} is given (HAProxy's check of an
     * {@code ssl} server): a target whose certificate does not verify fails it.
     *
     * @param tls the target's TLS, or {@code null} for a plain connect
     */
    public TcpConnectProbe(ConnectProbeLoop loop, SocketAddress address, ProbeTls tls) {
        this.tls = tls;
        this.loop = Objects.requireNonNull(loop, "loop");
        ConnectProbeLoop.requireTarget(address);
        this.address = address;
    }

    @Override
    public void start(Duration timeout, Consumer<ProbeResult> callback) {
        loop.connect(address, timeout, tls, callback);
    }

    public SocketAddress address() {
        return address;
    }

    @Override
    public String toString() {
        if (address instanceof java.net.UnixDomainSocketAddress u) {
            return "connect unix:" + u.getPath();
        }
        return (tls == null ? "tcp-connect " : "tls-connect ") + address;
    }
}
