package io.kodiak.proxy;

import io.kodiak.testing.Action;
import io.kodiak.testing.BodyFraming;
import io.kodiak.testing.DeterministicBytes;
import io.kodiak.testing.Loopback;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.RawResponse;
import io.kodiak.testing.RecordedRequest;
import io.kodiak.testing.ScriptedUpstream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Request and response buffering (memory, then temp file) versus streaming. */
@Timeout(60)
class BufferingTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path spillDir;

    @BeforeEach
    void needFdInspection() {
        assumeTrue(SpillFiles.supported(), "needs /proc/self/fd");
    }

    @Test
    void bufferedRequestReachesTheUpstreamOnlyOnceTheWholeBodyHasArrived() throws Exception {
        int size = 200_000;
        try (ScriptedUpstream up = ScriptedUpstream.start("a");
             TestProxy proxy = ProxyConfig.to(up).start();
             RawClient c = proxy.client()) {
            c.send("POST /b HTTP/1.1\r\nHost: t\r\nContent-Length: " + size + "\r\n\r\n");
            byte[] body = DeterministicBytes.of(9).bytes(size);
            c.send(Arrays.copyOfRange(body, 0, size / 2));
            Conditions.staysFalse("upstream contacted before the body was complete",
                    () -> up.connectionsAccepted() > 0, Duration.ofMillis(500));
            c.send(Arrays.copyOfRange(body, size / 2, size));
            assertEquals(200, c.readResponse().status());
            RecordedRequest r = up.takeRequest(WAIT);
            assertEquals(size, r.body().length());
            assertEquals(DeterministicBytes.of(9).sha256Hex(size), r.body().sha256());
        }
    }

    @Test
    void bufferedRequestWhoseClientStallsMidBodyGets408AndNeverReachesTheUpstream() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("a");
             TestProxy proxy = ProxyConfig.to(up).clientTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(30),
                     Duration.ofMillis(300), Duration.ofSeconds(10)).start();
             RawClient c = proxy.client()) {
            c.send("POST /b HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n" + "x".repeat(500));
            RawResponse r = c.readResponse();
            assertEquals(408, r.status());
            assertEquals(RawClient.Closure.EOF, c.awaitClose());
            // An unbuffered proxy would have connected at the head, long before the 408.
            assertEquals(0, up.connectionsAccepted());
        }
    }

    @Test
    void requestBodyBeyondTheMemoryLimitSpillsToAFileAndArrivesIntact() throws Exception {
        long size = 3L << 20;
        Semaphore release = new Semaphore(0);
        try (ScriptedUpstream up = ScriptedUpstream.start("a", r -> {
                acquire(release);
                return Action.ok("len " + r.body().length());
             });
             TestProxy proxy = ProxyConfig.to(up).tempDir(spillDir).start()) {
            for (boolean chunked : new boolean[] {false, true}) {
                try (RawClient c = proxy.client()) {
                    int before = up.requestsReceived();
                    if (chunked) {
                        c.send("POST /spill HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n");
                        c.sendChunkedBody(11, size, 50_000);
                    } else {
                        c.send("POST /spill HTTP/1.1\r\nHost: t\r\nContent-Length: " + size + "\r\n\r\n");
                        c.sendBody(11, size);
                    }
                    up.await("request received", () -> up.requestsReceived() == before + 1, WAIT);
                    // While the upstream holds the request, the body is still open in its temp file.
                    assertTrue(SpillFiles.openIn(spillDir) > 0, "request body spilled to " + spillDir);
                    RecordedRequest r = up.takeRequest(WAIT);
                    assertEquals(BodyFraming.CONTENT_LENGTH, r.framing());
                    assertEquals(size, r.body().length());
                    assertEquals(DeterministicBytes.of(11).sha256Hex(size), r.body().sha256());
                    release.release();
                    assertEquals("len " + size, c.readResponse().bodyString());
                }
            }
            Conditions.await("temp files closed", () -> openSpillFiles() == 0, WAIT);
        }
    }

    @Test
    void aRequestBodyThatWouldSpillWhileTheTempBudgetIsSpentGets503WithRetryAfter() throws Exception {
        // A slow download may hold only the responses' half of the (tiny) budget; an unfinished
        // upload holds the rest; then an upload that needs disk must not fail with a full disk,
        // nor wait: it is told to come back.
        try (ScriptedUpstream up = ScriptedUpstream.start("a", r -> r.method().equals("GET")
                ? Action.streamBody(200, 64L << 20, 13, false) : Action.ok("stored " + r.body().length()));
             TestProxy proxy = ProxyConfig.to(up).temp(new io.kodiak.config.TempConfig(spillDir, 1L << 20)).start();
             Socket slow = new Socket();
             RawClient holding = proxy.client()) {
            slow.setReceiveBufferSize(16 * 1024);
            slow.connect(Loopback.at(proxy.port()), 5_000);
            slow.getOutputStream().write("GET /big HTTP/1.1\r\nHost: t\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            io.kodiak.buffer.TempSpace space = proxy.kodiak().tempSpace();
            Conditions.await("the download holds the responses' half of the budget", space::fullForResponses, WAIT);
            assertTrue(!space.exhausted(), "a download never takes the uploads' half: " + space);

            holding.send("POST /held HTTP/1.1\r\nHost: t\r\nContent-Length: " + (4 << 20) + "\r\n\r\n");
            holding.sendBody(3, 300_000); // spilled, and the rest never comes (within the body timeout)
            Conditions.await("the unfinished upload holds part of the rest", () -> space.used() > 600_000, WAIT);

            try (RawClient c = proxy.client()) {
                // Crosses the budget midway: refused while the client is still sending, which
                // Kodiak reads and drops after its answer, so that no reset destroys the answer.
                c.send("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: " + (2 << 20) + "\r\n\r\n");
                c.sendBody(5, 2 << 20);
                RawResponse r = c.readResponse();
                assertEquals(503, r.status(), r.toString());
                assertEquals("5", r.header("Retry-After"));
                assertEquals(RawClient.Closure.EOF, c.awaitClose());
            }
            try (RawClient c = proxy.client()) {
                RawResponse small = c.exchange("POST /small HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello");
                assertEquals("stored 5", small.bodyString(), "a body that fits in memory needs no budget");
            }
            assertTrue(up.requests().stream().noneMatch(q -> q.target().equals("/upload")));
        }
        Conditions.await("temp files closed", () -> openSpillFiles() == 0, WAIT);
    }

    @Test
    void largeResponseToAClientThatDoesNotReadReleasesTheUpstreamFirst() throws Exception {
        long size = 64L << 20; // far more than the socket buffers on both sides can hold
        try (ScriptedUpstream up = ScriptedUpstream.start("a", r -> Action.streamBody(200, size, 13, false));
             TestProxy proxy = ProxyConfig.to(up).tempDir(spillDir).connections(8, Duration.ofMillis(300)).start();
             Socket slow = new Socket()) {
            slow.setReceiveBufferSize(16 * 1024); // fixed small window: the client takes almost nothing
            slow.setSoTimeout((int) WAIT.toMillis());
            slow.connect(Loopback.at(proxy.port()), 5_000);
            slow.getOutputStream().write("GET /big HTTP/1.1\r\nHost: t\r\n\r\n".getBytes(StandardCharsets.US_ASCII));

            // The upstream writes all 64 MiB and is done, though the client has read nothing ...
            up.await("response fully written upstream",
                    () -> up.requestsReceived() == 1 && up.requestsInProgress() == 0, Duration.ofSeconds(30));
            assertEquals(List.of(), up.ioFailures(), "the upstream wrote its response without error");
            assertTrue(SpillFiles.openIn(spillDir) > 0, "response spooled to a temp file");
            // ... and Kodiak has put the connection back in its pool: only an idle pooled
            // connection is closed by the pool's idle timeout.
            up.await("pooled connection idle-closed", () -> up.openConnections() == 0, WAIT);

            InputStream in = new BufferedInputStream(slow.getInputStream(), 64 * 1024);
            String head = WireIo.readHead(in);
            assertTrue(head.startsWith("HTTP/1.1 200 "), head);
            assertTrue(head.contains("\r\nContent-Length: " + size + "\r\n"), head);
            assertEquals(DeterministicBytes.of(13).sha256Hex(size), WireIo.sha256(in, size));
        }
        Conditions.await("temp files closed", () -> openSpillFiles() == 0, WAIT);
    }

    @Test
    void withoutBufferingTheRequestBodyStreamsToTheUpstreamAsItArrives() throws Exception {
        int size = 20_000;
        byte[] body = DeterministicBytes.of(17).bytes(size);
        try (ServerSocket upstream = new ServerSocket(0, 8, Loopback.ADDRESS);
             TestProxy proxy = new ProxyConfig().upstream("raw", upstream.getLocalPort(), 1)
                     .buffering(false, false).start();
             RawClient c = proxy.client()) {
            upstream.setSoTimeout((int) WAIT.toMillis());
            c.send("POST /stream HTTP/1.1\r\nHost: t\r\nContent-Length: " + size + "\r\n\r\n");
            c.send(Arrays.copyOfRange(body, 0, size / 2));
            try (Socket s = upstream.accept()) {
                s.setSoTimeout((int) WAIT.toMillis());
                InputStream in = new BufferedInputStream(s.getInputStream());
                String head = WireIo.readHead(in);
                assertTrue(head.contains("\r\nContent-Length: " + size + "\r\n"), head);
                // The first half is readable upstream while the client still holds the second.
                byte[] first = in.readNBytes(size / 2);
                assertArrayEquals(Arrays.copyOfRange(body, 0, size / 2), first);
                c.send(Arrays.copyOfRange(body, size / 2, size));
                assertArrayEquals(Arrays.copyOfRange(body, size / 2, size), in.readNBytes(size / 2));
                OutputStream out = s.getOutputStream();
                out.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                RawResponse r = c.readResponse();
                assertEquals(200, r.status());
                assertEquals("ok", r.bodyString());
            }
        }
    }

    @Test
    void withoutBufferingAResponseStreamsWithBackpressureAndArrivesIntact() throws Exception {
        long size = 16L << 20;
        try (ScriptedUpstream up = ScriptedUpstream.start("a", r -> Action.streamBody(200, size, 19, true));
             TestProxy proxy = ProxyConfig.to(up).buffering(false, false).tempDir(spillDir).start();
             RawClient c = proxy.client()) {
            RawResponse r = c.get("/stream");
            assertEquals(size, r.body().length());
            assertEquals(DeterministicBytes.of(19).sha256Hex(size), r.body().sha256());
            assertEquals(0, openSpillFiles(), "streaming never touches the disk");
        }
    }

    private long openSpillFiles() {
        try {
            return SpillFiles.openIn(spillDir);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void acquire(Semaphore permits) {
        try {
            if (!permits.tryAcquire(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("test never released the upstream");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
