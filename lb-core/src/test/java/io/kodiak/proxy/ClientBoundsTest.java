package io.kodiak.proxy;

import io.kodiak.config.ClientTimeouts;
import io.kodiak.testing.Action;
import io.kodiak.testing.HeaderFields;
import io.kodiak.testing.Loopback;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.RawResponse;
import io.kodiak.testing.ScriptedUpstream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What one client connection may hold: a silent or CRLF-trickling connection is closed on the
 * request-header or keep-alive timeout, a client that pipelines and never reads stops being read,
 * a connection closed with output queued stays counted until the send timeout cuts it, and a
 * request body must keep a minimum rate of real data. Each timeout under test is short and every
 * other one long, so only the one under test can explain the outcome.
 */
@Timeout(60)
class ClientBoundsTest {
    private static final Duration SHORT = Duration.ofMillis(300);
    private static final Duration LONG = Duration.ofSeconds(30);

    @Test
    void aNewConnectionThatSaysNothingIsClosedAfterTheRequestHeaderTimeoutNotTheKeepAliveOne() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("a");
             TestProxy proxy = ProxyConfig.to(up).clientTimeouts(SHORT, LONG, LONG, LONG).start();
             RawClient silent = proxy.client(Duration.ofSeconds(10))) {
            // Nothing of a request was read, so nothing is answered: the connection just closes.
            assertEquals(RawClient.Closure.EOF, silent.awaitClose());
        }
    }

    @Test
    void emptyLinesNeitherStartNorExtendTheTimeouts() throws Exception {
        // A CRLF every 200 ms against 300 ms timeouts: were each one to restart the timeout, the
        // connection would live until the fifth, which Kodiak answers with 400 (too many empty lines).
        try (ScriptedUpstream up = ScriptedUpstream.start("a");
             TestProxy proxy = ProxyConfig.to(up).clientTimeouts(SHORT, SHORT, LONG, LONG).start()) {
            try (RawClient fresh = proxy.client(Duration.ofMillis(200))) {
                assertEquals(RawClient.Closure.EOF, trickle(fresh, "\r\n", 200), "a new connection sending CRLFs");
            }
            try (RawClient kept = proxy.client(Duration.ofSeconds(10))) {
                assertEquals(200, kept.get("/").status());
                kept.readTimeout(Duration.ofMillis(200));
                assertEquals(RawClient.Closure.EOF, trickle(kept, "\r\n", 200), "an idle keep-alive connection sending CRLFs");
            }
        }
    }

    @Test
    void aClientThatPipelinesAndNeverReadsStopsBeingRead() throws Exception {
        // Big response heads fill the socket buffers after about a thousand answers; without the
        // bound, Kodiak would go on reading and answering all of them into its own memory.
        HeaderFields big = HeaderFields.of("X-Pad", "p".repeat(4000));
        int requests = 20_000;
        ExecutorService writer = Executors.newSingleThreadExecutor();
        try (ScriptedUpstream up = ScriptedUpstream.start("a", r -> Action.respond(200, big, new byte[0]));
             TestProxy proxy = ProxyConfig.to(up).start();
             Socket client = new Socket()) {
            client.setReceiveBufferSize(4096);
            client.connect(Loopback.at(proxy.port()), 5_000);
            OutputStream out = client.getOutputStream();
            byte[] head = "HEAD /h HTTP/1.1\r\nHost: t\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
            CompletableFuture<Void> sending = CompletableFuture.runAsync(() -> {
                try {
                    for (int i = 0; i < requests; i++) {
                        out.write(head);
                    }
                    out.flush();
                } catch (IOException e) {
                    // The connection was closed under a blocked writer: the end of the test.
                }
            }, writer);
            int seen = awaitSteady(up);
            assertTrue(seen < requests / 4, "Kodiak read and answered " + seen + " of " + requests
                    + " pipelined requests for a client that read nothing");
            client.close();
            sending.get(10, java.util.concurrent.TimeUnit.SECONDS);
        } finally {
            writer.shutdownNow();
        }
    }

    @Test
    void aConnectionClosedWithOutputQueuedStaysCountedUntilTheSendTimeoutCutsIt() throws Exception {
        HeaderFields big = HeaderFields.of("X-Pad", "p".repeat(4000));
        ClientTimeouts t = new ClientTimeouts(LONG, SHORT, LONG, Duration.ofSeconds(3));
        try (ScriptedUpstream up = ScriptedUpstream.start("a", r -> Action.respond(200, big, new byte[0]));
             TestProxy proxy = ProxyConfig.to(up).clientTimeouts(t).limits(new io.kodiak.config.ClientLimits(
                     8190, 32 * 1024, 100, 1)).start();
             Socket stuck = new Socket()) {
            stuck.setReceiveBufferSize(4096);
            stuck.connect(Loopback.at(proxy.port()), 5_000);
            OutputStream out = stuck.getOutputStream();
            byte[] head = "HEAD /h HTTP/1.1\r\nHost: t\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
            for (int i = 0; i < 3_000; i++) { // about 12 MB of answers: more than the socket buffers hold
                out.write(head);
            }
            out.flush();
            awaitSteady(up);
            // Kodiak stopped reading, then the keep-alive timeout closed the connection with its
            // answers still queued. Until the send timeout cuts it, it is still one of the one allowed.
            try (RawClient second = proxy.client(Duration.ofSeconds(1))) {
                second.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
                assertNotEquals(RawClient.Closure.DATA, second.awaitClose(), "a second connection was let in");
            }
            Conditions.await("the send timeout ended the stuck connection and a new one is served", () -> {
                try (RawClient c = proxy.client(Duration.ofSeconds(2))) {
                    return c.get("/").status() == 200;
                } catch (IOException e) {
                    return false;
                }
            }, Duration.ofSeconds(20));
        }
    }

    @Test
    void aBodyTrickledBelowTheMinimumRateGets408() throws Exception {
        ClientTimeouts t = new ClientTimeouts(LONG, LONG, Duration.ofMillis(500), LONG, 1024);
        try (ScriptedUpstream up = ScriptedUpstream.start("a");
             TestProxy proxy = ProxyConfig.to(up).clientTimeouts(t).start();
             RawClient c = proxy.client(Duration.ofMillis(100))) {
            c.send("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\n");
            // A byte every 100 ms never trips the 500 ms gap, but is far below 1 KiB/s.
            assertTrue(trickleUntilClosed(c, "x", 100), "a body at 10 bytes/s was accepted for 10 s");
            c.readTimeout(Duration.ofSeconds(5));
            assertEquals(408, c.readResponse().status());
            assertEquals(0, up.requestsReceived());
        }
    }

    @Test
    void chunkExtensionsAreNoProgress() throws Exception {
        ClientTimeouts t = new ClientTimeouts(LONG, LONG, Duration.ofMillis(500), LONG, 0);
        try (ScriptedUpstream up = ScriptedUpstream.start("a");
             TestProxy proxy = ProxyConfig.to(up).clientTimeouts(t).start();
             RawClient c = proxy.client(Duration.ofMillis(100))) {
            c.send("POST /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=");
            // Extension bytes within the gap, never a byte of data: the body timeout still runs.
            assertTrue(trickleUntilClosed(c, "a", 100), "chunk-extension bytes kept the body alive for 10 s");
            c.readTimeout(Duration.ofSeconds(5));
            assertEquals(408, c.readResponse().status());
        }
    }

    @Test
    void aSteadyBodyIsNotCutByTheMinimumRate() throws Exception {
        ClientTimeouts t = new ClientTimeouts(LONG, LONG, Duration.ofMillis(200), LONG, 100);
        try (ScriptedUpstream up = ScriptedUpstream.start("a", r -> Action.ok("got " + r.body().length()));
             TestProxy proxy = ProxyConfig.to(up).clientTimeouts(t).start();
             RawClient c = proxy.client()) {
            c.send("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 800\r\n\r\n");
            for (int i = 0; i < 8; i++) { // 100 bytes every 100 ms: 1000 bytes/s, ten times the minimum
                c.send("y".repeat(100));
                Thread.sleep(100); // the client's pace, not a wait for Kodiak
            }
            RawResponse r = c.readResponse();
            assertEquals(200, r.status(), r.toString());
            assertEquals("got 800", r.bodyString());
        }
    }

    @Test
    void aBodyKodiakStoppedReadingIsNotTimedOutAgainstTheClient() throws Exception {
        // Streaming to an upstream that takes its time: Kodiak stops reading the client, and that
        // pause is not the client's delay (no 408 while the pool's own send timeout allows it).
        long size = 32L << 20;
        ClientTimeouts t = new ClientTimeouts(Duration.ofSeconds(10), LONG, Duration.ofMillis(500), LONG, 0);
        ExecutorService threads = Executors.newFixedThreadPool(2);
        try (java.net.ServerSocket upstream = new java.net.ServerSocket()) {
            upstream.setReceiveBufferSize(4096);
            upstream.bind(Loopback.at(0));
            try (TestProxy proxy = new ProxyConfig().upstream("raw", upstream.getLocalPort(), 1)
                    .buffering(false, false).clientTimeouts(t).start();
                 Socket client = new Socket()) {
                client.connect(Loopback.at(proxy.port()), 5_000);
                client.setSoTimeout(20_000);
                OutputStream out = client.getOutputStream();
                CompletableFuture<Void> sending = CompletableFuture.runAsync(() -> {
                    try {
                        out.write(("POST /up HTTP/1.1\r\nHost: t\r\nContent-Length: " + size + "\r\n\r\n")
                                .getBytes(StandardCharsets.US_ASCII));
                        byte[] chunk = new byte[64 * 1024];
                        for (long sent = 0; sent < size; sent += chunk.length) {
                            out.write(chunk);
                        }
                        out.flush();
                    } catch (IOException e) {
                        // cut by Kodiak: the assertion below says so
                    }
                }, threads);
                CompletableFuture<Void> upstreamSide = CompletableFuture.runAsync(() -> {
                    try (Socket s = upstream.accept()) {
                        java.io.InputStream in = new java.io.BufferedInputStream(s.getInputStream());
                        WireIo.readHead(in);
                        Thread.sleep(2_000); // the upstream is busy: buffers fill, Kodiak pauses the client
                        in.skipNBytes(size);
                        s.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
                                .getBytes(StandardCharsets.US_ASCII));
                        s.getOutputStream().flush();
                    } catch (Exception e) {
                        // Kodiak dropped the upstream: the client's status says so
                    }
                }, threads);
                String line = new String(client.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
                assertTrue(line.startsWith("HTTP/1.1 200"), "the client got " + line);
                sending.get(20, java.util.concurrent.TimeUnit.SECONDS);
                client.close();
                upstreamSide.get(20, java.util.concurrent.TimeUnit.SECONDS);
            }
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    void aBodyTimeoutAfterAStreamedResponseStartedCutsItAndNeverWritesA408IntoIt() throws Exception {
        ClientTimeouts t = new ClientTimeouts(Duration.ofSeconds(10), LONG, Duration.ofMillis(500), LONG, 1024);
        ExecutorService threads = Executors.newSingleThreadExecutor();
        try (java.net.ServerSocket upstream = new java.net.ServerSocket(0, 8, Loopback.ADDRESS);
             TestProxy proxy = new ProxyConfig().upstream("raw", upstream.getLocalPort(), 1)
                     .buffering(false, false).clientTimeouts(t).start();
             Socket c = new Socket()) {
            c.connect(Loopback.at(proxy.port()), 5_000);
            c.setSoTimeout(100);
            OutputStream out = c.getOutputStream();
            CompletableFuture<Void> up = CompletableFuture.runAsync(() -> {
                try (Socket s = upstream.accept()) {
                    java.io.InputStream in = new java.io.BufferedInputStream(s.getInputStream());
                    WireIo.readHead(in);
                    // An early answer, before the body is in (an echo, a progress feed).
                    s.getOutputStream().write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"
                            .getBytes(StandardCharsets.US_ASCII));
                    s.getOutputStream().flush();
                    while (in.read() >= 0) {
                        // until Kodiak drops the upstream
                    }
                } catch (IOException e) {
                    // dropped
                }
            }, threads);
            out.write("POST /s HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            // 10 bytes/s: within the 500 ms gap, far below 1 KiB/s; the client reads all the while.
            java.io.ByteArrayOutputStream seen = new java.io.ByteArrayOutputStream();
            java.io.InputStream in = c.getInputStream();
            byte[] buf = new byte[4096];
            boolean ended = false;
            for (int i = 0; i < 100 && !ended; i++) {
                try {
                    out.write('x');
                } catch (IOException e) {
                    // cut under the sender; the read below sees it
                }
                try {
                    int n = in.read(buf);
                    if (n < 0) {
                        ended = true;
                    } else {
                        seen.write(buf, 0, n);
                    }
                } catch (java.net.SocketTimeoutException e) {
                    // nothing this time: send the next byte
                } catch (IOException e) {
                    ended = true; // reset: cut off
                }
            }
            String wire = seen.toString(StandardCharsets.ISO_8859_1);
            assertTrue(ended, "the slow body was never cut: " + wire);
            assertTrue(wire.startsWith("HTTP/1.1 200 "), wire);
            assertTrue(!wire.contains("408"), "a 408 was written into the relayed 200:\n" + wire);
            up.get(10, java.util.concurrent.TimeUnit.SECONDS);
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    void anErrorAnsweredMidBodyReachesAClientThatIsStillSending() throws Exception {
        // The client sends a 4 MiB chunked body past a 100 KB limit without waiting for an answer,
        // as curl does. Closing with its bytes unread would make the kernel reset the connection,
        // and the reset can destroy the 413 before the client reads it.
        try (ScriptedUpstream up = ScriptedUpstream.start("a");
             TestProxy proxy = ProxyConfig.to(up).maxRequestBody(100_000).start();
             RawClient c = proxy.client()) {
            c.send("POST /big HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n");
            c.sendChunkedBody(9, 4L << 20, 64 * 1024);
            RawResponse r = c.readResponse();
            assertEquals(413, r.status(), r.toString());
            assertEquals(RawClient.Closure.EOF, c.awaitClose());
            assertEquals(0, up.connectionsAccepted());
        }
    }

    /**
     * Sends {@code piece} every {@code everyMillis} (the client's read timeout is the pause) until
     * Kodiak answers or closes, for at most 10 s.
     *
     * @return whether Kodiak answered or closed within that time
     */
    private static boolean trickleUntilClosed(RawClient c, String piece, int everyMillis) throws IOException {
        return trickle(c, piece, everyMillis) != RawClient.Closure.TIMED_OUT;
    }

    /** As {@link #trickleUntilClosed}, telling what ended it: EOF, RESET, DATA (an answer), or TIMED_OUT. */
    private static RawClient.Closure trickle(RawClient c, String piece, int everyMillis) throws IOException {
        for (long i = 0; i < 10_000 / everyMillis; i++) {
            try {
                c.send(piece);
            } catch (IOException e) {
                return RawClient.Closure.RESET; // closed under the sender
            }
            RawClient.Closure seen = c.awaitClose();
            if (seen != RawClient.Closure.TIMED_OUT) {
                return seen;
            }
        }
        return RawClient.Closure.TIMED_OUT;
    }

    /** Waits until the upstream's request count has not moved for half a second (at most 20 s). */
    private static int awaitSteady(ScriptedUpstream up) throws InterruptedException {
        int last = -1;
        for (int i = 0; i < 40; i++) {
            Thread.sleep(500); // a sampling interval: nothing is asserted on how long anything takes
            int now = up.requestsReceived();
            if (now == last && now > 0) {
                return now;
            }
            last = now;
        }
        return last;
    }
}
