package io.kodiak.e2e;

import io.kodiak.Kodiak;
import io.kodiak.config.ConfigLoader;
import io.kodiak.config.KodiakConfig;
import io.kodiak.config.MetricsConfig;
import io.kodiak.testing.DeterministicBytes;
import io.kodiak.testing.Gunicorn;
import io.kodiak.testing.Loopback;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.RawResponse;
import io.kodiak.upstream.Upstream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Kodiak in front of a real Gunicorn on a Unix-domain socket ({@code --bind unix:PATH}), as nginx
 * users put {@code server unix:/run/gunicorn.sock}: requests and bodies both ways, keep-alive
 * reuse of the pooled connection (Gunicorn reports the connection it served each request on), the
 * HTTP check over the socket with node-driven drain, the upstream in the metrics, and the socket
 * going away (DOWN; and a path with nothing behind it answers at once instead of hanging).
 *
 * <p>The socket lives in a short directory under {@code /tmp}: a Unix socket's path must fit in
 * 108 bytes, which Maven's target directory may not.
 */
@Timeout(120)
class UnixUpstreamEndToEndTest {
    private static final Duration SETTLE = Duration.ofSeconds(20);

    private Path dir;
    private Path socket;
    private Gunicorn gunicorn;
    private Kodiak kodiak;

    @BeforeEach
    void socketDirectory() throws IOException {
        dir = Files.createTempDirectory(Path.of("/tmp"), "kx");
        socket = dir.resolve("g.sock");
    }

    @AfterEach
    void stop() throws IOException {
        if (kodiak != null) {
            kodiak.close();
        }
        if (gunicorn != null) {
            gunicorn.close();
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    @Test
    void proxiesKeepsAliveChecksAndDrainsOverTheSocket() throws Exception {
        gunicorn = Gunicorn.builder("u1").workerClass(Gunicorn.WorkerClass.GTHREAD).threads(4)
                .keepAlive(Duration.ofSeconds(30)).app("/wsgi/unix_node_app.py", "unix_node_app:application")
                .extraArgs("--bind=unix:" + socket).start();
        kodiak = Kodiak.start(config("{address: \"unix:" + socket + "\", name: u1}", """
                    buffering: {memory: 64KiB}
                    health-check: {type: http, path: /health, interval: 200ms, rise: 1, fall: 1}
                """, true));
        int port = kodiak.boundAddress("web").getPort();
        Upstream u = kodiak.pool("app").upstreams().get(0);
        assertTrue(u.isUnix());
        assertEquals("unix:" + socket, u.addressText());

        try (RawClient c = RawClient.connect(port)) {
            RawResponse first = c.get("/");
            assertEquals(200, first.status());
            assertEquals("u1", first.bodyString().trim());
            RawResponse second = c.get("/");
            assertEquals(200, second.status());
            assertNotNull(first.header("X-Connection"));
            assertEquals(first.header("X-Connection"), second.header("X-Connection"),
                    "the second request rides the pooled connection to Gunicorn");

            // Bodies both ways, larger than the in-memory buffer (so spooled to a temp file).
            long size = 1L << 20;
            c.send("POST /echo HTTP/1.1\r\nHost: app\r\nContent-Length: " + size + "\r\n\r\n");
            c.sendBody(3, size);
            RawResponse echo = c.readResponse();
            assertEquals(200, echo.status());
            assertEquals("sha256=" + DeterministicBytes.of(3).sha256Hex(size) + " len=" + size, echo.bodyString().trim());

            c.send("POST /echo HTTP/1.1\r\nHost: app\r\nTransfer-Encoding: chunked\r\n\r\n");
            c.sendChunkedBody(3, size, 7000);
            echo = c.readResponse();
            assertEquals(200, echo.status());
            assertEquals("sha256=" + DeterministicBytes.of(3).sha256Hex(size) + " len=" + size, echo.bodyString().trim());
        }

        // The client's Host goes through; host: upstream names a Unix socket localhost, as nginx does.
        try (RawClient c = RawClient.connect(port)) {
            c.send("GET /headers HTTP/1.1\r\nHost: shop.example\r\n\r\n");
            assertEquals("Host: shop.example", c.readResponse().bodyString().trim());
            assertEquals("Host: localhost", c.get("/up/headers").bodyString().trim());
        }

        // The HTTP check reaches Gunicorn over the socket with Host: localhost.
        await("a check over the socket", () -> gunicorn.accessLogLines().stream().anyMatch(l -> l.contains("GET /health")));
        assertTrue(u.healthy());

        // The node drains itself through its check's answer, and comes back.
        Files.writeString(gunicorn.directory().resolve("node-state"), "drain");
        // The flag flips before the pool's selection is rebuilt: wait for the selection.
        await("node drain", () -> u.nodeDrain() && !kodiak.pool("app").selection().members().contains(u));
        try (RawClient c = RawClient.connect(port)) {
            assertEquals(503, c.get("/").status(), "the only upstream drained");
        }
        Files.delete(gunicorn.directory().resolve("node-state"));
        await("node ready", () -> !u.nodeDrain());

        Map<String, String> m = scrape();
        assertEquals("1", m.get("kodiak_upstream_connect_duration_seconds_count{pool=\"app\",upstream=\"u1\"}"),
                "kept-alive clients' requests rode one pooled connection: " + m);
        assertEquals("6", m.get("kodiak_upstream_requests_total{pool=\"app\",upstream=\"u1\"}"));

        // Gunicorn stops and its socket goes: DOWN, and a request is answered at once.
        gunicorn.stop();
        Files.deleteIfExists(socket);
        await("DOWN once the socket is gone", () -> !u.healthy());
        try (RawClient c = RawClient.connect(port)) {
            assertEquals(503, c.get("/").status());
        }
    }

    @Test
    void aSocketWithNothingBehindItFailsTheRequestAtOnce() throws Exception {
        // No checks: the request itself finds the socket missing, then refused once a stale file is there.
        kodiak = Kodiak.start(config("\"unix:" + socket + "\"", "    health-check: {type: none}\n", false));
        assertEquals("unix:g.sock", kodiak.pool("app").upstreams().get(0).name(), "named by the socket's file");
        int port = kodiak.boundAddress("web").getPort();
        try (RawClient c = RawClient.connect(port)) {
            assertEquals(502, c.get("/").status(), "no such socket");
        }
        try (java.nio.channels.ServerSocketChannel s = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            s.bind(java.net.UnixDomainSocketAddress.of(socket));
        } // closed: the file stays, nothing listens
        assertTrue(Files.exists(socket));
        try (RawClient c = RawClient.connect(port)) {
            assertEquals(502, c.get("/").status(), "a stale socket file refuses");
        }
        // Both ended as a refused connect to the socket (HAProxy's SC), logged with its address.
        String line = "502 SC unix:" + socket;
        await("two access-log lines", () -> accessLog().stream().filter(line::equals).count() == 2);
    }

    @Test
    void requestsBeyondAFullBacklogWaitUntilTheServerAccepts() throws Exception {
        // Linux refuses a Unix connect beyond the backlog at once (EAGAIN); TCP would wait in the SYN backlog.
        java.nio.channels.ServerSocketChannel server = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX);
        try (server) {
            server.bind(java.net.UnixDomainSocketAddress.of(socket), 1);
            kodiak = Kodiak.start(config("{address: \"unix:" + socket + "\", name: u1}", """
                        health-check: {type: none}
                        outlier-detection: {consecutive-failures: 1}
                        timeouts: {connect: 30s}
                    """, false));
            int port = kodiak.boundAddress("web").getPort();
            Upstream u = kodiak.pool("app").upstreams().get(0);
            int n = 6;
            java.util.concurrent.ExecutorService clients = java.util.concurrent.Executors.newFixedThreadPool(n);
            try {
                List<java.util.concurrent.Future<Integer>> answers = new java.util.ArrayList<>();
                for (int i = 0; i < n; i++) {
                    answers.add(clients.submit(() -> {
                        try (RawClient c = RawClient.connect(new InetSocketAddress(Loopback.ADDRESS, port), Duration.ofSeconds(60))) {
                            return c.get("/").status();
                        }
                    }));
                }
                // All six hold a slot; the backlog holds two of them, the others found it full.
                await("six requests at the upstream", () -> u.inFlight() == n);
                assertEquals(0, u.failures(), "a full backlog is not a failure of the upstream");

                // The server catches up within the connect timeout: every request gets its answer.
                Thread acceptor = answerEachConnection(server);
                for (java.util.concurrent.Future<Integer> a : answers) {
                    assertEquals(200, a.get(60, java.util.concurrent.TimeUnit.SECONDS));
                }
                acceptor.interrupt();
            } finally {
                clients.shutdownNow();
            }
            assertEquals(0, u.failures());
            assertTrue(!u.ejected(), "outlier detection did not count the busy server");
        }
    }

    @Test
    void aBacklogFullPastTheConnectTimeoutFailsWithoutCountingAgainstTheUpstream() throws Exception {
        java.nio.channels.ServerSocketChannel server = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX);
        List<java.nio.channels.SocketChannel> fillers = new java.util.ArrayList<>();
        java.util.logging.Logger legLog = java.util.logging.Logger.getLogger("io.kodiak.proxy.UpstreamLeg");
        List<String> logged = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Handler capture = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                logged.add(r.getMessage());
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        legLog.addHandler(capture);
        try (server) {
            server.bind(java.net.UnixDomainSocketAddress.of(socket), 1);
            fillBacklog(fillers);
            kodiak = Kodiak.start(config("{address: \"unix:" + socket + "\", name: u1}", """
                        health-check: {type: none}
                        outlier-detection: {consecutive-failures: 1}
                        timeouts: {connect: 300ms}
                    """, false));
            int port = kodiak.boundAddress("web").getPort();
            Upstream u = kodiak.pool("app").upstreams().get(0);
            for (int i = 0; i < 2; i++) {
                try (RawClient c = RawClient.connect(port)) {
                    assertEquals(502, c.get("/").status(), "no connection within timeouts.connect, as for TCP");
                }
            }
            // A connect timeout (HAProxy's sC), not a refused connect (SC), and the log says why.
            String line = "502 sC unix:" + socket;
            await("two access-log lines", () -> accessLog().stream().filter(line::equals).count() == 2);
            assertTrue(logged.stream().anyMatch(m -> m.contains("listen backlog stayed full")), logged.toString());
            assertEquals(0, u.failures(), "a busy server is not a failed upstream");
            assertTrue(!u.ejected(), "nor an outlier");
            assertTrue(u.healthy());
        } finally {
            legLog.removeHandler(capture);
            for (java.nio.channels.SocketChannel f : fillers) {
                f.close();
            }
        }
    }

    /** Connects to {@link #socket} until its backlog is full (the next connect gets EAGAIN). */
    private void fillBacklog(List<java.nio.channels.SocketChannel> fillers) throws IOException {
        for (int i = 0; i < 10; i++) {
            java.nio.channels.SocketChannel c = java.nio.channels.SocketChannel.open(java.net.StandardProtocolFamily.UNIX);
            c.configureBlocking(false);
            try {
                c.connect(java.net.UnixDomainSocketAddress.of(socket));
                fillers.add(c);
            } catch (java.net.SocketException full) {
                c.close();
                assertTrue(io.kodiak.health.UnixBacklog.isFull(full), full.toString());
                return;
            }
        }
        fail("10 connects fitted a backlog of 1");
    }

    /** Accepts on {@code server} until interrupted or closed; answers each connection's request with 200 "ok" and closes it. */
    private static Thread answerEachConnection(java.nio.channels.ServerSocketChannel server) {
        Thread t = new Thread(() -> {
            try {
                while (!Thread.currentThread().isInterrupted()) {
                    java.nio.channels.SocketChannel c = server.accept();
                    Thread one = new Thread(() -> {
                        try (c) {
                            java.nio.ByteBuffer in = java.nio.ByteBuffer.allocate(16 * 1024);
                            String head = "";
                            while (!head.contains("\r\n\r\n") && c.read(in) >= 0) {
                                head = new String(in.array(), 0, in.position(), StandardCharsets.ISO_8859_1);
                            }
                            c.write(java.nio.ByteBuffer.wrap("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
                                    .getBytes(StandardCharsets.ISO_8859_1)));
                        } catch (IOException e) {
                            // the client side's assertions say what went wrong
                        }
                    }, "unix-answer");
                    one.setDaemon(true);
                    one.start();
                }
            } catch (IOException e) {
                // closed at the end of the test
            }
        }, "unix-acceptor");
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** Listener {@code web}, pool {@code app} with one upstream on {@link #socket}, {@code entry} as YAML gives it. */
    private KodiakConfig config(String entry, String poolKeys, boolean metrics) throws Exception {
        String yaml = """
                admin:
                  listen: off
                  state-file: off
                metrics: off
                listeners:
                  - name: web
                    address: 127.0.0.1:0
                    access-log: {target: %s, format: '$status $termination $upstream_addr'}
                    routes:
                      - {path-prefix: /up/, pool: app, rewrite: {strip-prefix: /up, host: upstream}}
                      - {path-prefix: /, pool: app}
                pools:
                  app:
                    upstreams:
                      - %s
                """.formatted(dir.resolve("access.log"), entry) + poolKeys;
        KodiakConfig c = ConfigLoader.parse(yaml, dir.resolve("kodiak.yaml"));
        return metrics ? c.withMetrics(new MetricsConfig(true, new InetSocketAddress(Loopback.ADDRESS, 0), null)) : c;
    }

    private List<String> accessLog() {
        try {
            return Files.exists(dir.resolve("access.log")) ? Files.readAllLines(dir.resolve("access.log")) : List.of();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private Map<String, String> scrape() throws IOException {
        HttpURLConnection c = (HttpURLConnection) new URL("http://127.0.0.1:" + kodiak.metricsAddress().getPort() + "/metrics")
                .openConnection();
        c.setConnectTimeout(5000);
        c.setReadTimeout(5000);
        assertEquals(200, c.getResponseCode());
        String text;
        try (InputStream in = c.getInputStream()) {
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        Map<String, String> samples = new java.util.HashMap<>();
        for (String line : text.split("\n")) {
            int space = line.lastIndexOf(' ');
            if (!line.startsWith("#") && space > 0) {
                String v = line.substring(space + 1);
                samples.put(line.substring(0, space), v.endsWith(".0") ? v.substring(0, v.length() - 2) : v);
            }
        }
        return samples;
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + SETTLE.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline >= 0) {
                fail(what + ": not within " + SETTLE);
            }
            Thread.sleep(20);
        }
    }
}
