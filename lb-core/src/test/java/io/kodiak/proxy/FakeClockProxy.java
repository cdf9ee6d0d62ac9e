package io.kodiak.proxy;

import io.kodiak.testing.Loopback;
import io.kodiak.testing.RawClient;
import io.kodiak.upstream.Upstream;

import java.io.IOException;
import java.net.Socket;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * A Kodiak on a fake clock that only the test moves and sweeps
 * ({@link ProxyServer#startWithManualSweeps}): real sockets, but time stands still at
 * {@link #START} until {@link #sweepAt} sets it and enforces the timeouts due then, on the
 * test's thread. A deadline armed while the clock stands at {@code START} is due exactly its
 * timeout after {@code START}, however long the test really took.
 *
 * <p>For a deadline to count from {@code START}, Kodiak must have armed it before the clock moves.
 * The test waits for a sign that it has (a byte on the wire, a counter) and then {@link #settle}s:
 * a session and its exchange run every event under the session's monitor (see
 * {@link ClientSession}), so once the monitor is free the event that gave the sign is over, and
 * so is the deadline it armed.
 */
final class FakeClockProxy implements AutoCloseable {
    /** Where the clock starts: anything but 0 (a deadline of 0 means none), far from overflow. */
    static final long START = 1_000_000_000_000L;
    static final Duration SETTLE = Duration.ofSeconds(10);

    private final AtomicLong clock = new AtomicLong(START);
    private final ProxyServer server;

    private FakeClockProxy(ProxyConfig config) throws IOException {
        this.server = ProxyServer.startWithManualSweeps(config.build(), clock::get);
    }

    static FakeClockProxy start(ProxyConfig config) throws IOException {
        return new FakeClockProxy(config);
    }

    /** Sets the clock to {@code elapsed} after {@link #START} (never backwards) and sweeps. */
    void sweepAt(Duration elapsed) {
        long now = START + elapsed.toNanos();
        if (now < clock.get()) {
            throw new IllegalArgumentException("the clock does not go back: " + elapsed);
        }
        clock.set(now);
        server.sweep();
    }

    int port() {
        return server.boundAddress(ProxyConfig.LISTENER).getPort();
    }

    /** A client connection with a read timeout that only a missing effect runs into. */
    RawClient client() throws IOException {
        return RawClient.connect(port());
    }

    /** A plain socket to the listener, for reading a response piece by piece. */
    Socket socket() throws IOException {
        Socket s = new Socket();
        s.connect(Loopback.at(port()), 5_000);
        s.setSoTimeout(10_000);
        return s;
    }

    Upstream upstream(String name) {
        return server.pools().get(ProxyConfig.POOL).upstreams().stream()
                .filter(u -> u.name().equals(name)).findFirst().orElseThrow();
    }

    /** The listener's TLS handshakes in progress and waiting. */
    HandshakeSlots handshakes() {
        return server.handshakes(ProxyConfig.LISTENER);
    }

    /** The configuration in force. */
    io.kodiak.config.KodiakConfig config() {
        return server.config();
    }

    /** Checks the certificate files for changes, as the watch timer would (see {@link CertificateWatch}). */
    void pollCertificates() {
        server.pollCertificates();
    }

    int queued() {
        return server.queued(ProxyConfig.POOL);
    }

    /** The one client connection Kodiak has, once it has accepted it (its first deadline is then armed). */
    ClientSession awaitSession() throws InterruptedException {
        Conditions.await("a client connection accepted", () -> server.sessions().size() == 1, SETTLE);
        return server.sessions().iterator().next();
    }

    /** Whether Kodiak still holds {@code s} open: not closed, and not closing after a last answer. */
    boolean open(ClientSession s) {
        return server.sessions().contains(s) && !s.flushingOnClose();
    }

    /** Whether Kodiak still has {@code s} at all (closing with output queued counts). */
    boolean registered(ClientSession s) {
        return server.sessions().contains(s);
    }

    /**
     * The session's state as its {@code toString} shows it ({@code IDLE}, {@code HEAD}, ...): the
     * session has no accessor for it, and the one thing tests need from it is whether a request
     * head has begun.
     */
    static String state(ClientSession s) {
        String text = locked(s, s::toString);
        return text.substring(text.lastIndexOf(", ") + 2, text.length() - 1);
    }

    /** Waits until every event that has begun on any session has ended (see the class comment). */
    void settle() {
        Set<ClientSession> now = server.sessions();
        for (ClientSession s : now) {
            locked(s, () -> null);
        }
    }

    /** {@code read} under the session's monitor, so that it sees the session between events. */
    static <T> T locked(ClientSession s, Supplier<T> read) {
        synchronized (s) {
            return read.get();
        }
    }

    @Override
    public void close() {
        server.close();
    }
}
