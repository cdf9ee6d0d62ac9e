package io.kodiak.proxy;

import io.kodiak.testing.Action;
import io.kodiak.testing.Loopback;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.ScriptedUpstream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Clients that vanish, stop reading or read slowly: a gone client must not hold an upstream
 * connection or a temp file, and a slow one must not be mistaken for a stalled upstream.
 */
@Timeout(60)
class ClientAbortTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final long HUGE = 1L << 30; // never fully sent in these tests
    private static final Duration SHORT = Duration.ofMillis(300);

    @TempDir
    Path spillDir;

    @ParameterizedTest(name = "response buffering {0}")
    @ValueSource(booleans = {false, true})
    void clientResetMidResponseReleasesTheUpstreamAndTheTempFile(boolean buffering) throws Exception {
        assumeTrue(SpillFiles.supported(), "needs /proc/self/fd");
        try (ScriptedUpstream up = ScriptedUpstream.start("a", r -> Action.streamBody(200, HUGE, 3, false));
             TestProxy proxy = ProxyConfig.to(up).buffering(true, buffering).tempDir(spillDir).start()) {
            RawClient c = proxy.client();
            c.send("GET /huge HTTP/1.1\r\nHost: t\r\n\r\n");
            up.await("response started", () -> up.requestsInProgress() == 1, WAIT);
            c.reset();
            // The upstream is still writing its gigabyte: only Kodiak closing the connection stops it.
            up.await("upstream connection closed", () -> up.openConnections() == 0, WAIT);
            Conditions.await("temp files closed", () -> spillFilesOpen() == 0, WAIT);
        }
    }

    @Test
    void clientResetMidStreamedRequestBodyClosesTheUpstreamConnection() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("a");
             TestProxy proxy = ProxyConfig.to(up).buffering(false, false).start()) {
            RawClient c = proxy.client();
            c.send("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\n" + "x".repeat(50_000));
            up.await("request head upstream", () -> up.requestsInProgress() == 1, WAIT);
            c.reset();
            up.await("upstream connection closed", () -> up.openConnections() == 0, WAIT);
            assertEquals(1, up.requestsAborted(), "the upstream saw the body cut short");
            assertEquals(0, up.requestsReceived());
        }
    }

    @Test
    void clientThatStopsReadingIsCutOffAfterTheSendTimeoutAndTheUpstreamReleased() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("a", r -> Action.streamBody(200, HUGE, 3, false));
             TestProxy proxy = ProxyConfig.to(up).buffering(true, false)
                     .clientTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(30), Duration.ofSeconds(10), SHORT)
                     // Upstream timeouts far beyond the wait below: only the client's send timeout can act.
                     .upstreamTimeouts(Duration.ofSeconds(3), Duration.ofSeconds(30), Duration.ofSeconds(30),
                             Duration.ofSeconds(30)).start();
             Socket stuck = new Socket()) {
            stuck.setReceiveBufferSize(16 * 1024);
            stuck.setSoTimeout((int) WAIT.toMillis());
            stuck.connect(Loopback.at(proxy.port()), 5_000);
            stuck.getOutputStream().write("GET /huge HTTP/1.1\r\nHost: t\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            // The client reads nothing; once Kodiak's writes make no progress for 300 ms it gives up.
            up.await("upstream connection closed",
                    () -> up.connectionsAccepted() == 1 && up.openConnections() == 0, WAIT);
            InputStream in = new BufferedInputStream(stuck.getInputStream());
            String head = WireIo.readHead(in);
            assertTrue(head.startsWith("HTTP/1.1 200 "), head);
            assertThrows(IOException.class, () -> WireIo.sha256(in, HUGE), "the body is cut short");
        }
    }

    @Test
    void slowClientIsNotMistakenForAStalledUpstream() throws Exception {
        long size = 64L << 20;
        try (ScriptedUpstream up = ScriptedUpstream.start("a", r -> Action.streamBody(200, size, 7, false));
             TestProxy proxy = ProxyConfig.to(up).buffering(true, false)
                     .upstreamTimeouts(Duration.ofSeconds(3), Duration.ofSeconds(10), SHORT, Duration.ofSeconds(10))
                     .start();
             Socket slow = new Socket()) {
            slow.setReceiveBufferSize(16 * 1024);
            slow.setSoTimeout((int) WAIT.toMillis());
            slow.connect(Loopback.at(proxy.port()), 5_000);
            slow.getOutputStream().write("GET /big HTTP/1.1\r\nHost: t\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            up.await("response started", () -> up.requestsInProgress() == 1, WAIT);
            // Unbuffered, Kodiak stops reading the upstream while the client takes nothing. The
            // upstream's 300 ms read timeout passes three times over; it is not the one stalling.
            Conditions.staysFalse("upstream connection closed while only the client was slow",
                    () -> up.openConnections() == 0, Duration.ofMillis(900));
            InputStream in = new BufferedInputStream(slow.getInputStream(), 64 * 1024);
            assertTrue(WireIo.readHead(in).startsWith("HTTP/1.1 200 "));
            assertEquals(io.kodiak.testing.DeterministicBytes.of(7).sha256Hex(size), WireIo.sha256(in, size));
        }
    }

    private long spillFilesOpen() {
        try {
            return SpillFiles.openIn(spillDir);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
