package io.kodiak.proxy;

import io.kodiak.config.ConfigException;
import io.kodiak.config.ConfigLoader;
import io.kodiak.config.TlsConfig;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.ScriptedUpstream;
import io.kodiak.testing.Tools;
import io.kodiak.tls.TestCerts;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSocket;

import static io.kodiak.proxy.FakeClockProxy.SETTLE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The bounds on TLS handshakes (slowloris at the TLS layer, handshake floods) over real sockets
 * on a fake clock ({@link FakeClockProxy}): a connection that says nothing, or half a
 * ClientHello, is closed at {@code tls.handshake-timeout} and not a nanosecond before; a finished
 * handshake hands over to the request-header timeout; over {@code tls.max-handshakes} a
 * connection waits unread, and a real curl waiting so is served once a slot frees.
 */
@Timeout(120)
class TlsHandshakeLimitsTest {
    /** The handshake timeout under test. */
    private static final Duration T = Duration.ofSeconds(10);
    /** The request-header timeout, longer, so that each is seen on its own. */
    private static final Duration HEAD = Duration.ofSeconds(30);
    private static final Duration LONG = Duration.ofHours(1);

    @TempDir
    static Path certDir;
    static TestCerts certs;
    static Path[] example;

    @TempDir
    Path dir;

    @BeforeAll
    static void makeCertificates() throws IOException {
        certs = new TestCerts(certDir);
        example = certs.leaf("ec", "example.test");
    }

    private static ProxyConfig tls(ScriptedUpstream up, int maxHandshakes) throws IOException {
        TlsConfig t = TlsConfig.load(List.of(new TlsConfig.CertFiles(example[0], example[1])), Instant.now())
                .withHandshakes(new TlsConfig.Handshakes(T, maxHandshakes));
        return ProxyConfig.to(up).clientTimeouts(HEAD, LONG, LONG, LONG).upstreamTimeouts(LONG, LONG, LONG, LONG)
                .connections(32, LONG).listenerTls(t);
    }

    /** The first TLS record a JDK client sends: its ClientHello. */
    private static byte[] clientHello() throws Exception {
        SSLContext c = SSLContext.getInstance("TLS");
        c.init(null, null, null);
        SSLEngine e = c.createSSLEngine("example.test", 443);
        e.setUseClientMode(true);
        ByteBuffer out = ByteBuffer.allocate(e.getSession().getPacketBufferSize());
        e.wrap(ByteBuffer.allocate(0), out);
        return Arrays.copyOf(out.array(), out.position());
    }

    private static byte[] halfAClientHello() throws Exception {
        byte[] hello = clientHello();
        return Arrays.copyOf(hello, hello.length / 2);
    }

    @Test
    void aConnectionThatSendsNothingIsClosedAtTheHandshakeTimeout() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("a");
             FakeClockProxy proxy = FakeClockProxy.start(tls(up, 10));
             RawClient c = proxy.client()) {
            ClientSession s = proxy.awaitSession(); // the timeout runs from the accept, at START
            assertEquals(1, proxy.handshakes().running()); // a slot from the accept: the bound covers the silent too

            proxy.sweepAt(T.minusNanos(1));
            assertTrue(proxy.open(s), "closed before the handshake timeout");

            proxy.sweepAt(T);
            assertTrue(c.awaitClose() != RawClient.Closure.TIMED_OUT, "still open after the handshake timeout");
            assertEquals(1, proxy.handshakes().timeouts.sum());
            assertEquals(0, proxy.handshakes().running());
        }
    }

    @Test
    void halfAClientHelloIsClosedAtTheHandshakeTimeout() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("a");
             FakeClockProxy proxy = FakeClockProxy.start(tls(up, 10));
             RawClient c = proxy.client()) {
            ClientSession s = proxy.awaitSession();
            c.send(halfAClientHello());

            proxy.sweepAt(T.minusNanos(1));
            assertTrue(proxy.open(s), "closed before the handshake timeout");

            proxy.sweepAt(T);
            assertTrue(c.awaitClose() != RawClient.Closure.TIMED_OUT, "still open after the handshake timeout");
            assertEquals(1, proxy.handshakes().timeouts.sum());
            assertEquals(0, up.connectionsAccepted());
        }
    }

    @Test
    void aFinishedHandshakeHandsOverToTheRequestHeaderTimeout() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("a");
             FakeClockProxy proxy = FakeClockProxy.start(tls(up, 10));
             SSLSocket client = (SSLSocket) certs.clientContext().getSocketFactory().createSocket("127.0.0.1", proxy.port())) {
            client.setSoTimeout(10_000);
            client.startHandshake();
            ClientSession s = proxy.awaitSession();
            Conditions.await("the handshake done on Kodiak's side", () -> proxy.handshakes().completed.sum() == 1, SETTLE);
            proxy.settle();

            proxy.sweepAt(T);
            assertTrue(proxy.open(s), "the handshake timeout fired after the handshake");
            assertEquals(0, proxy.handshakes().timeouts.sum());

            proxy.sweepAt(HEAD.minusNanos(1));
            assertTrue(proxy.open(s), "closed before the request-header timeout");
            proxy.sweepAt(HEAD);
            assertTrue(!proxy.registered(s), "open after the request-header timeout");
        }
    }

    @Test
    void overTheBoundAConnectionWaitsUnreadAndIsServedWhenASlotFrees() throws Exception {
        Tools.require("curl", "--version", "curl");
        try (ScriptedUpstream up = ScriptedUpstream.start("a");
             FakeClockProxy proxy = FakeClockProxy.start(tls(up, 2));
             RawClient stalled1 = proxy.client();
             RawClient stalled2 = proxy.client()) {
            stalled1.send(halfAClientHello());
            stalled2.send(halfAClientHello()); // both running: only one waiting for a slot goes unread
            Conditions.await("two handshakes in progress", () -> proxy.handshakes().running() == 2, SETTLE);

            CompletableFuture<Tools.Result> curl = CompletableFuture.supplyAsync(() -> {
                try {
                    return Tools.run(dir, Map.of(), "curl", "-sS", "--max-time", "50", "--cacert", certs.caCert.toString(),
                            "--resolve", "example.test:" + proxy.port() + ":127.0.0.1", "-o", "/dev/null",
                            "-w", "%{http_code}", "https://example.test:" + proxy.port() + "/");
                } catch (IOException | InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            Conditions.await("the third connection waiting for a slot", () -> proxy.handshakes().waiting() == 1, SETTLE);
            assertEquals(1, proxy.handshakes().deferred.sum());
            assertEquals(2, proxy.handshakes().running());
            assertTrue(!curl.isDone(), "curl finished without a handshake slot: " + (curl.isDone() ? curl.get().output() : ""));

            stalled1.close(); // its slot goes to the one waiting
            Tools.Result r = curl.get(60, TimeUnit.SECONDS);
            assertEquals(0, r.exitCode(), r.output());
            assertEquals("200", r.output());
            assertEquals(1, proxy.handshakes().completed.sum());
            assertEquals(0, proxy.handshakes().waiting());
            Conditions.await("the slots back to the one stalled", () -> proxy.handshakes().running() == 1, SETTLE);
            assertEquals(0, proxy.handshakes().timeouts.sum());
        }
    }

    /**
     * A waiting connection's deadline runs from its accept, and one admitted gets a fresh one: so
     * Z, accepted while Y waits and still waiting when Y is admitted, times out first.
     */
    @Test
    void aConnectionWaitingForASlotIsClosedAtTheHandshakeTimeoutToo() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("a");
             FakeClockProxy proxy = FakeClockProxy.start(tls(up, 1));
             RawClient x = proxy.client()) {
            x.send(halfAClientHello());
            Conditions.await("x running", () -> proxy.handshakes().running() == 1, SETTLE);
            RawClient y = proxy.client(); // only now: two accepts may complete on two selector threads in either order
            y.send(halfAClientHello());
            Conditions.await("y waiting", () -> proxy.handshakes().waiting() == 1, SETTLE);
            proxy.settle();
            proxy.sweepAt(T.dividedBy(4));
            try (RawClient z = proxy.client()) {
                z.send(clientHello());
                Conditions.await("z waiting too", () -> proxy.handshakes().waiting() == 2, SETTLE);
                proxy.settle();
                proxy.sweepAt(T.dividedBy(2));
                x.close(); // y gets the slot, with a handshake timeout from now
                Conditions.await("y admitted", () -> proxy.handshakes().waiting() == 1, SETTLE);
                proxy.settle();

                proxy.sweepAt(T.plus(T.dividedBy(4)).minusNanos(1));
                assertEquals(0, proxy.handshakes().timeouts.sum());
                proxy.sweepAt(T.plus(T.dividedBy(4)));
                assertTrue(z.awaitClose() != RawClient.Closure.TIMED_OUT, "z still open after waiting the handshake timeout");
                assertEquals(1, proxy.handshakes().timeouts.sum());
                assertEquals(0, proxy.handshakes().waiting());
                assertEquals(1, proxy.handshakes().running()); // y, half a ClientHello, until its own deadline

                proxy.sweepAt(T.plus(T.dividedBy(2)));
                assertTrue(y.awaitClose() != RawClient.Closure.TIMED_OUT, "y still open after its handshake timeout");
                assertEquals(2, proxy.handshakes().timeouts.sum());
                assertEquals(0, proxy.handshakes().running());
            } finally {
                y.close();
            }
        }
    }

    @Test
    void theMetricsCountHandshakesByResult() throws Exception {
        io.kodiak.config.MetricsConfig on = new io.kodiak.config.MetricsConfig(true,
                new java.net.InetSocketAddress(io.kodiak.testing.Loopback.ADDRESS, 0), null);
        try (ScriptedUpstream up = ScriptedUpstream.start("a");
             io.kodiak.Kodiak k = io.kodiak.Kodiak.start(tls(up, 10).build().withMetrics(on))) {
            int port = k.boundAddress(ProxyConfig.LISTENER).getPort();
            try (SSLSocket ok = (SSLSocket) certs.clientContext().getSocketFactory().createSocket("127.0.0.1", port)) {
                ok.startHandshake();
            }
            try (RawClient bad = RawClient.connect(port)) {
                bad.send(new byte[] {0x16, 0x03, 0x03, 0x00, 0x04, 0x01, 0x00, 0x00, 0x00}); // a ClientHello with nothing in it
                assertTrue(bad.awaitClose() != RawClient.Closure.TIMED_OUT, "an empty ClientHello was not refused");
            }
            String l = ProxyConfig.LISTENER;
            Conditions.await("both handshakes counted", () -> {
                Map<String, Double> m = scrapeQuietly(k);
                return m.get(MetricsTest.metric("kodiak_listener_tls_handshakes_total", "listener", l, "result", "ok")) == 1.0
                        && m.get(MetricsTest.metric("kodiak_listener_tls_handshakes_total", "listener", l, "result", "failed")) == 1.0;
            }, SETTLE);
            Map<String, Double> m = MetricsTest.scrape(k);
            assertEquals(0.0, m.get(MetricsTest.metric("kodiak_listener_tls_handshakes_total", "listener", l, "result", "timeout")));
            assertEquals(0.0, m.get(MetricsTest.metric("kodiak_listener_tls_handshakes_running", "listener", l)));
            assertEquals(0.0, m.get(MetricsTest.metric("kodiak_listener_tls_handshakes_waiting", "listener", l)));
            assertEquals(0.0, m.get(MetricsTest.metric("kodiak_listener_tls_handshakes_deferred_total", "listener", l)));
        }
    }

    private static Map<String, Double> scrapeQuietly(io.kodiak.Kodiak k) {
        try {
            return MetricsTest.scrape(k);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void handshakeSettingsAreChecked() throws Exception {
        Path file = dir.resolve("kodiak.yaml");
        String head = "admin: {listen: off}\nmetrics: off\nlisteners:\n  - address: 127.0.0.1:0\n    tls:\n"
                + "      cert: " + example[0] + "\n      key: " + example[1] + "\n";
        String pools = "pools:\n  app:\n    upstreams: [127.0.0.1:9]\n    health-check: {type: none}\n";
        Files.writeString(file, head + "      handshake-timeout: 10ms\n" + pools);
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(file));
        assertEquals(file + ":8: listeners[0].tls.handshake-timeout: must be at least 100ms: a handshake takes two round trips",
                e.getMessage());
        Files.writeString(file, head + "      max-handshakes: 0\n" + pools);
        e = assertThrows(ConfigException.class, () -> ConfigLoader.load(file));
        assertTrue(e.getMessage().startsWith(file + ":8: listeners[0].tls.max-handshakes: "), e.getMessage());
        Files.writeString(file, head + "      handshake-timeout: 3s\n      max-handshakes: 50\n" + pools);
        assertEquals(new TlsConfig.Handshakes(Duration.ofSeconds(3), 50),
                ConfigLoader.load(file).listeners().get(0).tls().handshakes());
    }
}
