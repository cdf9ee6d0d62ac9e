package org.glassfish.grizzly.nio.transport;

import io.kodiak.proxy.UnixChannels;
import org.glassfish.grizzly.Buffer;
import org.glassfish.grizzly.Connection;
import org.glassfish.grizzly.WriteResult;
import org.glassfish.grizzly.filterchain.BaseFilter;
import org.glassfish.grizzly.filterchain.FilterChain;
import org.glassfish.grizzly.filterchain.FilterChainBuilder;
import org.glassfish.grizzly.filterchain.FilterChainContext;
import org.glassfish.grizzly.filterchain.NextAction;
import org.glassfish.grizzly.filterchain.TransportFilter;
import org.glassfish.grizzly.memory.Buffers;
import org.glassfish.grizzly.strategies.SameThreadIOStrategy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Guards the Grizzly 4.0.2 internals that Kodiak's Unix-socket upstreams rely on
 * ({@link UnixConnectorHandler}, {@link UnixNIOConnection}, {@code NioAccess}, and
 * {@link UnixChannels}'s configurator): an echo over a real {@code ServerSocketChannel.open(UNIX)}
 * through a filter chain on a TCP transport configured as Kodiak's is. A Grizzly upgrade that
 * moves those internals fails here, loudly, rather than in production.
 */
@Timeout(60)
class GrizzlyUnixTest {
    private static final long WAIT = 20;

    private Path dir;
    private TCPNIOTransport transport;
    private UnixConnectorHandler connector;
    private final ByteArrayOutputStream received = new ByteArrayOutputStream();
    private CompletableFuture<byte[]> echoed;
    private int expected;

    @BeforeEach
    void startTransport() throws IOException {
        dir = Files.createTempDirectory(Path.of("/tmp"), "gu");
        transport = TCPNIOTransportBuilder.newInstance().setIOStrategy(SameThreadIOStrategy.getInstance())
                .setSelectorRunnersCount(2).setTcpNoDelay(true).build();
        FilterChain chain = FilterChainBuilder.stateless().add(new TransportFilter()).add(new BaseFilter() {
            @Override
            public NextAction handleRead(FilterChainContext ctx) {
                Buffer b = ctx.getMessage();
                byte[] bytes = new byte[b.remaining()];
                b.get(bytes);
                synchronized (received) {
                    received.write(bytes, 0, bytes.length);
                    if (received.size() >= expected) {
                        echoed.complete(received.toByteArray());
                    }
                }
                return ctx.getStopAction();
            }
        }).build();
        connector = UnixChannels.install(transport, chain);
        transport.setProcessor(chain);
        transport.start();
    }

    @AfterEach
    void stop() throws IOException {
        transport.shutdownNow();
        try (var files = Files.list(dir)) {
            for (Path p : files.toList()) {
                Files.deleteIfExists(p);
            }
        }
        Files.deleteIfExists(dir);
    }

    @Test
    void echoesSmallAndLargeWritesOverAUnixSocket() throws Exception {
        Path path = dir.resolve("echo.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(path));
            Thread echo = echoServer(server);

            Connection<?> c = connector.connect(UnixDomainSocketAddress.of(path)).get(WAIT, TimeUnit.SECONDS);
            assertInstanceOf(UnixNIOConnection.class, c);
            assertEquals(UnixDomainSocketAddress.of(path), c.getPeerAddress());

            assertArrayEquals("ping".getBytes(), roundTrip(c, "ping".getBytes()));
            // 4 MiB: many partial writes through the async write queue, and reads of 64 KiB.
            byte[] big = new byte[4 << 20];
            for (int i = 0; i < big.length; i++) {
                big[i] = (byte) (i * 31 + (i >>> 12));
            }
            assertTrue(Arrays.equals(big, roundTrip(c, big)), "4 MiB echoed intact");
            c.closeSilently();
            echo.join(TimeUnit.SECONDS.toMillis(WAIT));
        }
    }

    @Test
    void aMissingSocketFailsTheConnectAtOnce() {
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> connector.connect(UnixDomainSocketAddress.of(dir.resolve("none.sock"))).get(WAIT, TimeUnit.SECONDS));
        assertInstanceOf(IOException.class, e.getCause(), e.toString());
    }

    @Test
    void aFullBacklogFailsTheConnectAtOnceAsBusyAndLeaksNothing() throws Exception {
        // Linux answers EAGAIN, not EINPROGRESS: no OP_CONNECT wait as TCP's SYN backlog gives, so
        // the caller (Kodiak's Attempt) must tell it apart and try again (io.kodiak.health.UnixBacklog).
        Path path = dir.resolve("full.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(path), 1);
            java.util.List<Connection<?>> held = new java.util.ArrayList<>();
            int before = descriptors();
            int busy = 0;
            for (int i = 0; i < 20; i++) {
                try {
                    held.add(connector.connect(UnixDomainSocketAddress.of(path)).get(WAIT, TimeUnit.SECONDS));
                } catch (ExecutionException e) {
                    assertTrue(io.kodiak.health.UnixBacklog.isFull(e.getCause()), e.toString());
                    busy++;
                }
            }
            assertTrue(held.size() >= 1 && busy >= 1, held.size() + " connected, " + busy + " found the backlog full");
            for (Connection<?> c : held) {
                c.closeSilently();
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT);
            while (descriptors() - before > 5 && System.nanoTime() - deadline < 0) {
                Thread.sleep(20); // the closes complete on the selector threads
            }
            assertTrue(descriptors() - before <= 5, "descriptors before " + before + ", after " + descriptors());
        }
    }

    private static int descriptors() {
        String[] fds = new java.io.File("/proc/self/fd").list();
        return fds == null ? 0 : fds.length;
    }

    @Test
    void tcpConnectionsOnTheSameTransportKeepTheirOptions() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            TCPNIOConnectorHandler tcp = TCPNIOConnectorHandler.builder(transport).processor(transport.getProcessor()).build();
            CompletableFuture<Socket> accepted = CompletableFuture.supplyAsync(() -> {
                try {
                    return server.accept();
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            Connection<?> c = tcp.connect(new InetSocketAddress(server.getInetAddress(), server.getLocalPort()))
                    .get(WAIT, TimeUnit.SECONDS);
            try (Socket peer = accepted.get(WAIT, TimeUnit.SECONDS)) {
                assertTrue(((SocketChannel) ((TCPNIOConnection) c).getChannel()).socket().getTcpNoDelay(),
                        "the transport's own configurator still set TCP_NODELAY");
                assertInstanceOf(InetSocketAddress.class, c.getPeerAddress());
            } finally {
                c.closeSilently();
            }
        }
    }

    private byte[] roundTrip(Connection<?> c, byte[] bytes) throws Exception {
        synchronized (received) {
            received.reset();
            expected = bytes.length;
            echoed = new CompletableFuture<>();
        }
        CompletableFuture<WriteResult<?, ?>> written = new CompletableFuture<>();
        @SuppressWarnings({"unchecked", "rawtypes"})
        Connection raw = c;
        raw.write(Buffers.wrap(transport.getMemoryManager(), bytes), new org.glassfish.grizzly.EmptyCompletionHandler<WriteResult>() {
            @Override
            public void completed(WriteResult r) {
                r.getDstAddress(); // the lazy address holders: threw for a Unix channel before UnixNIOConnection
                written.complete(r);
            }

            @Override
            public void failed(Throwable t) {
                written.completeExceptionally(t);
            }
        });
        written.get(WAIT, TimeUnit.SECONDS);
        return echoed.get(WAIT, TimeUnit.SECONDS);
    }

    /** Accepts one connection and echoes everything until the peer closes. */
    private static Thread echoServer(ServerSocketChannel server) {
        Thread t = new Thread(() -> {
            try (SocketChannel s = server.accept()) {
                ByteBuffer b = ByteBuffer.allocate(32 * 1024);
                while (s.read(b) >= 0) {
                    b.flip();
                    while (b.hasRemaining()) {
                        s.write(b);
                    }
                    b.clear();
                }
            } catch (IOException e) {
                // the test's own assertions say what went wrong
            }
        }, "unix-echo");
        t.setDaemon(true);
        t.start();
        return t;
    }
}
