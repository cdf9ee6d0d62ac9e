package io.kodiak.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Real sockets on 127.0.0.1; waits are bounded latches and queues, never sleeps, and no timing is asserted. */
class TcpConnectProbeTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static final long WAIT_SECONDS = 20;

    private ConnectProbeLoop loop;
    private final List<AutoCloseable> resources = new ArrayList<>();

    @BeforeEach
    void openLoop() throws IOException {
        loop = new ConnectProbeLoop();
    }

    @AfterEach
    void closeAll() throws Exception {
        loop.close();
        for (AutoCloseable r : resources) {
            r.close();
        }
    }

    @Test
    void listeningPortIsSuccess() throws Exception {
        ServerSocket server = listen(50);

        ProbeResult result = probeOnce(new TcpConnectProbe(loop, address(server)), TIMEOUT);

        assertEquals(ProbeStatus.SUCCESS, result.status(), result.toString());
        assertTrue(result.passed());
        assertEquals(0, loop.inFlight());
    }

    @Test
    void closedPortIsRefused() throws Exception {
        ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        InetSocketAddress closedPort = address(server);
        server.close();

        ProbeResult result = probeOnce(new TcpConnectProbe(loop, closedPort), TIMEOUT);

        assertEquals(ProbeStatus.REFUSED, result.status(), result.toString());
        assertFalse(result.passed());
    }

    @Test
    void fullAcceptQueueIsTimeout() throws Exception {
        InetSocketAddress silent = silentListener();

        ProbeResult result = probeOnce(new TcpConnectProbe(loop, silent), Duration.ofMillis(300));

        assertEquals(ProbeStatus.TIMEOUT, result.status(), result.toString());
        assertEquals(0, loop.inFlight());
    }

    @Test
    void slowProbeDoesNotDelayOthers() throws Exception {
        InetSocketAddress silent = silentListener();
        ServerSocket healthy = listen(50);
        BlockingQueue<ProbeResult> slowResults = new LinkedBlockingQueue<>();

        // Far longer than this test waits for anything: it is still pending when the fast ones finish.
        loop.connect(silent, Duration.ofMinutes(10), slowResults::add);
        for (int i = 0; i < 20; i++) {
            ProbeResult fast = probeOnce(new TcpConnectProbe(loop, address(healthy)), TIMEOUT);
            assertEquals(ProbeStatus.SUCCESS, fast.status(), fast.toString());
        }
        assertTrue(slowResults.isEmpty());
        assertEquals(1, loop.inFlight());

        loop.close();
        ProbeResult slow = slowResults.poll(WAIT_SECONDS, TimeUnit.SECONDS);
        assertNotNull(slow, "close() must report pending probes");
        assertEquals(ProbeStatus.ERROR, slow.status(), slow.toString());
        assertEquals(0, loop.inFlight());
        assertFalse(loop.isRunning(), "loop thread still running after close()");
    }

    @Test
    void manyConcurrentProbesAllReport() throws Exception {
        ServerSocket healthy = listen(200);
        int probes = 100;
        CountDownLatch done = new CountDownLatch(probes);
        BlockingQueue<ProbeResult> results = new LinkedBlockingQueue<>();
        for (int i = 0; i < probes; i++) {
            loop.connect(address(healthy), TIMEOUT, r -> {
                results.add(r);
                done.countDown();
            });
        }

        assertTrue(done.await(WAIT_SECONDS, TimeUnit.SECONDS), "not all probes reported");
        for (ProbeResult r : results) {
            assertEquals(ProbeStatus.SUCCESS, r.status(), r.toString());
        }
        assertEquals(probes, results.size());
        assertEquals(0, loop.inFlight());
    }

    @Test
    void failingCallbackDoesNotStopTheLoop() throws Exception {
        ServerSocket healthy = listen(50);
        CountDownLatch thrown = new CountDownLatch(1);
        loop.connect(address(healthy), TIMEOUT, r -> {
            thrown.countDown();
            throw new IllegalStateException("callback bug (expected in this test)");
        });
        assertTrue(thrown.await(WAIT_SECONDS, TimeUnit.SECONDS));

        ProbeResult next = probeOnce(new TcpConnectProbe(loop, address(healthy)), TIMEOUT);

        assertEquals(ProbeStatus.SUCCESS, next.status(), next.toString());
    }

    @Test
    void rejectsUnresolvedAddressesAndUseAfterClose() {
        InetSocketAddress unresolved = InetSocketAddress.createUnresolved("backend.invalid", 80);
        assertThrows(IllegalArgumentException.class, () -> new TcpConnectProbe(loop, unresolved));
        assertThrows(IllegalArgumentException.class, () -> loop.connect(unresolved, TIMEOUT, r -> { }));

        loop.close();

        InetSocketAddress somewhere = new InetSocketAddress(InetAddress.getLoopbackAddress(), 9);
        assertThrows(IllegalStateException.class, () -> loop.connect(somewhere, TIMEOUT, r -> { }));
    }

    @Test
    void classifiesConnectExceptions() {
        assertEquals(ProbeStatus.REFUSED, ConnectProbeLoop.classify(new ConnectException("Connection refused")));
        assertEquals(ProbeStatus.TIMEOUT, ConnectProbeLoop.classify(new ConnectException("Connection timed out")));
        assertEquals(ProbeStatus.UNREACHABLE, ConnectProbeLoop.classify(new NoRouteToHostException("No route to host")));
        assertEquals(ProbeStatus.UNREACHABLE, ConnectProbeLoop.classify(new SocketException("Network is unreachable")));
        assertEquals(ProbeStatus.ERROR, ConnectProbeLoop.classify(new SocketException("Too many open files")));
        assertEquals(ProbeStatus.REFUSED, ConnectProbeLoop.classify(new SocketException("No such file or directory")),
                "no Unix socket at that path: nothing listens");
        assertEquals(ProbeStatus.ERROR, ConnectProbeLoop.classify(new IOException("something else")));
    }

    @Test
    void listeningUnixSocketIsSuccess() throws Exception {
        Path dir = unixDirectory();
        UnixDomainSocketAddress path = UnixDomainSocketAddress.of(dir.resolve("ok.sock"));
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        resources.add(server);
        server.bind(path);

        ProbeResult result = probeOnce(new TcpConnectProbe(loop, path), TIMEOUT);

        assertEquals(ProbeStatus.SUCCESS, result.status(), result.toString());
        assertTrue(result.detail().contains("unix:" + path.getPath()), result.detail());
        assertEquals(0, loop.inFlight());
    }

    @Test
    void missingOrStaleUnixSocketIsRefused() throws Exception {
        Path dir = unixDirectory();
        UnixDomainSocketAddress missing = UnixDomainSocketAddress.of(dir.resolve("none.sock"));
        ProbeResult none = probeOnce(new TcpConnectProbe(loop, missing), TIMEOUT);
        assertEquals(ProbeStatus.REFUSED, none.status(), "no socket file: " + none);

        UnixDomainSocketAddress stale = UnixDomainSocketAddress.of(dir.resolve("stale.sock"));
        try (ServerSocketChannel gone = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            gone.bind(stale); // closed at once: the file stays, as after a killed Gunicorn
        }
        ProbeResult refused = probeOnce(new TcpConnectProbe(loop, stale), TIMEOUT);
        assertEquals(ProbeStatus.REFUSED, refused.status(), "a file with nothing listening: " + refused);
    }

    @Test
    void aFullUnixBacklogTimesOutWithoutAStackTrace() throws Exception {
        UnixDomainSocketAddress path = fullUnixBacklog(unixDirectory()).address;
        List<java.util.logging.LogRecord> warnings = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Logger log = java.util.logging.Logger.getLogger(ConnectProbeLoop.class.getName());
        java.util.logging.Handler capture = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                if (r.getLevel().intValue() >= java.util.logging.Level.WARNING.intValue()) {
                    warnings.add(r);
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        log.addHandler(capture);
        try {
            ProbeResult result = probeOnce(new TcpConnectProbe(loop, path), Duration.ofMillis(300));

            // Busy, not down: tried again until the timeout, then a timeout as TCP's full SYN backlog gives.
            assertEquals(ProbeStatus.TIMEOUT, result.status(), result.toString());
            assertTrue(result.detail().contains("listen backlog stayed full"), result.detail());
            assertTrue(loop.backlogFullTries() >= 1, loop.toString());
            assertEquals(List.of(), warnings, "no warning (and no stack trace) for a busy server");
            assertEquals(0, loop.inFlight());
        } finally {
            log.removeHandler(capture);
        }
        // A TCP connect's EAGAIN (no local port left) stays our own problem.
        assertEquals(ProbeStatus.ERROR, ConnectProbeLoop.classify(new SocketException("Resource temporarily unavailable")));
    }

    @Test
    void aFullUnixBacklogPassesOnceTheServerAcceptsWithinTheTimeout() throws Exception {
        FullBacklog full = fullUnixBacklog(unixDirectory());
        BlockingQueue<ProbeResult> results = new LinkedBlockingQueue<>();
        new TcpConnectProbe(loop, full.address).start(Duration.ofSeconds(WAIT_SECONDS), results::add);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (loop.backlogFullTries() == 0) {
            assertTrue(System.nanoTime() - deadline < 0, "the check never found the backlog full");
            Thread.sleep(5);
        }
        assertTrue(results.isEmpty(), "still waiting: " + results);

        // The server catches up: it accepts what waited in its backlog, and the check's next try gets in.
        for (java.nio.channels.SocketChannel waiting : full.fillers) {
            full.server.accept().close();
            waiting.close();
        }
        ProbeResult result = results.poll(WAIT_SECONDS, TimeUnit.SECONDS);
        assertNotNull(result);
        assertEquals(ProbeStatus.SUCCESS, result.status(), result.toString());
    }

    /** A Unix listener with a backlog of 1 that accepts nothing, and the connects that fill its backlog. */
    private record FullBacklog(UnixDomainSocketAddress address, ServerSocketChannel server,
                               List<java.nio.channels.SocketChannel> fillers) {
    }

    private FullBacklog fullUnixBacklog(Path dir) throws IOException {
        UnixDomainSocketAddress path = UnixDomainSocketAddress.of(dir.resolve("full.sock"));
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        resources.add(server);
        server.bind(path, 1);
        List<java.nio.channels.SocketChannel> fillers = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            java.nio.channels.SocketChannel c = java.nio.channels.SocketChannel.open(StandardProtocolFamily.UNIX);
            resources.add(c);
            c.configureBlocking(false);
            try {
                c.connect(path);
                fillers.add(c);
            } catch (SocketException e) {
                assertTrue(UnixBacklog.isFull(e), e.toString());
                return new FullBacklog(path, server, fillers);
            }
        }
        assumeTrue(false, "10 connects fitted a Unix backlog of 1; this platform does not refuse with EAGAIN");
        return null;
    }

    /** A short directory under /tmp (a socket path must fit in 108 bytes), removed after the test. */
    private Path unixDirectory() throws IOException {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "cp");
        resources.add(() -> {
            try (var files = Files.list(dir)) {
                for (Path p : files.toList()) {
                    Files.deleteIfExists(p);
                }
            }
            Files.deleteIfExists(dir);
        });
        return dir;
    }

    private ProbeResult probeOnce(Probe probe, Duration timeout) throws InterruptedException {
        BlockingQueue<ProbeResult> results = new LinkedBlockingQueue<>();
        probe.start(timeout, results::add);
        ProbeResult result = results.poll(WAIT_SECONDS, TimeUnit.SECONDS);
        assertNotNull(result, probe + " did not report");
        return result;
    }

    private ServerSocket listen(int backlog) throws IOException {
        ServerSocket server = new ServerSocket(0, backlog, InetAddress.getLoopbackAddress());
        resources.add(server);
        return server;
    }

    /**
     * A listener whose accept queue is full, so that Linux drops further SYNs and a connect hangs until
     * the caller's timeout (the only deterministic connect timeout on loopback). Fills the queue with
     * connections nobody accepts until one of them times out; skips the test where that never happens.
     */
    private InetSocketAddress silentListener() throws IOException {
        ServerSocket server = listen(1);
        InetSocketAddress address = address(server);
        for (int i = 0; i < 10; i++) {
            Socket filler = new Socket();
            resources.add(filler);
            try {
                filler.connect(address, 500);
            } catch (SocketTimeoutException queueFull) {
                return address;
            }
        }
        assumeTrue(false, "this platform accepted 10 connections into a backlog of 1; no way to force a connect timeout");
        return address;
    }

    private static InetSocketAddress address(ServerSocket server) {
        return new InetSocketAddress(server.getInetAddress(), server.getLocalPort());
    }
}
