package io.kodiak.health;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Checks that a TCP connection to an address can be opened (HAProxy's default {@code check}), then
 * closes it. The connects run on a shared {@link ConnectProbeLoop}; see there for threading.
 */
public final class TcpConnectProbe implements Probe {

    private final ConnectProbeLoop loop;
    private final InetSocketAddress address;
    private final ProbeTls tls;

    /**
     * @param loop    runs the non-blocking connects
     * @param address the target; must be resolved, so that no check ever waits for DNS
     */
    public TcpConnectProbe(ConnectProbeLoop loop, InetSocketAddress address) {
        this(loop, address, null);
    }

    /**
     * A connect followed by a TLS handshake when {@code tls} is given (HAProxy's check of an
     * {@code ssl} server): a target whose certificate does not verify fails it.
     *
     * @param tls the target's TLS, or {@code null} for a plain connect
     */
    public TcpConnectProbe(ConnectProbeLoop loop, InetSocketAddress address, ProbeTls tls) {
        this.tls = tls;
        this.loop = Objects.requireNonNull(loop, "loop");
        if (address.isUnresolved()) {
            throw new IllegalArgumentException("address must be resolved: " + address);
        }
        this.address = address;
    }

    @Override
    public void start(Duration timeout, Consumer<ProbeResult> callback) {
        loop.connect(address, timeout, tls, callback);
    }

    public InetSocketAddress address() {
        return address;
    }

    @Override
    public String toString() {
        return (tls == null ? "tcp-connect " : "tls-connect ") + address;
    }
}
