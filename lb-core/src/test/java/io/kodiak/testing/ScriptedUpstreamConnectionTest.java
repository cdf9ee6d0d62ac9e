package io.kodiak.testing;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.ConnectException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Request parsing, pipelining, large uploads, counters and listener control of {@link ScriptedUpstream}. */
@Timeout(60)
class ScriptedUpstreamConnectionTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @Test
    void pipelinedRequestsWithBodiesAreReadInOrderOnOneConnection() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("p"); RawClient c = RawClient.connect(up.port())) {
            c.send("GET /1 HTTP/1.1\r\nHost: t\r\n\r\n"
                    + "POST /2 HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello"
                    + "POST /3 HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nX-Trailer: t\r\n\r\n");
            List<RawResponse> responses = c.readResponses(3);
            assertEquals(List.of("p GET /1", "p POST /2", "p POST /3"),
                    responses.stream().map(RawResponse::bodyString).toList());
            List<RecordedRequest> seen = up.requests();
            assertEquals(List.of(1, 1, 1), seen.stream().map(RecordedRequest::connectionId).toList());
            assertEquals(List.of(0, 1, 2), seen.stream().map(RecordedRequest::indexOnConnection).toList());
            assertEquals("hello", seen.get(1).body().utf8());
            assertEquals(BodyFraming.CHUNKED, seen.get(2).framing());
            assertEquals("abcde", seen.get(2).body().utf8());
            assertEquals("t", seen.get(2).trailers().first("X-Trailer"));
            assertEquals(List.of(), up.errors());
        }
    }

    @Test
    void hugeUploadsAreRecordedAsLengthAndDigest() throws Exception {
        long length = 48L * 1024 * 1024 + 17;
        String expected = DeterministicBytes.of(11).sha256Hex(length);
        try (ScriptedUpstream up = ScriptedUpstream.start("big"); RawClient c = RawClient.connect(up.port())) {
            c.send("PUT /plain HTTP/1.1\r\nHost: t\r\nContent-Length: " + length + "\r\n\r\n");
            c.sendBody(11, length);
            assertEquals(200, c.readResponse().status());
            c.send("PUT /chunked HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n");
            c.sendChunkedBody(11, length, 100_000);
            assertEquals(200, c.readResponse().status());
            for (RecordedRequest r : up.requests()) {
                assertEquals(length, r.body().length());
                assertEquals(expected, r.body().sha256());
                assertFalse(r.body().isCaptured());
            }
        }
    }

    @Test
    void expectContinueGetsAnInterimResponseBeforeTheBodyIsSent() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("e"); RawClient c = RawClient.connect(up.port())) {
            c.send("POST /e HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n");
            assertEquals(100, c.readResponse().status());
            c.send("abc");
            assertEquals("e POST /e", c.readResponse().bodyString());
            assertEquals("abc", up.takeRequest(WAIT).body().utf8());
        }
    }

    @Test
    void countsConnectionsAndPeakConcurrency() throws Exception {
        int parallel = 3;
        CountDownLatch release = new CountDownLatch(1);
        try (ScriptedUpstream up = ScriptedUpstream.start("c", req -> {
            awaitQuietly(release);
            return Action.ok("done");
        })) {
            ExecutorService clients = Executors.newFixedThreadPool(parallel);
            try {
                List<Future<RawResponse>> answers = new ArrayList<>();
                for (int i = 0; i < parallel; i++) {
                    answers.add(clients.submit(() -> {
                        try (RawClient c = RawClient.connect(up.port())) {
                            return c.get("/");
                        }
                    }));
                }
                up.await("3 requests in progress", () -> up.requestsInProgress() == parallel, WAIT);
                assertEquals(parallel, up.openConnections());
                release.countDown();
                for (Future<RawResponse> a : answers) {
                    assertEquals("done", a.get(10, TimeUnit.SECONDS).bodyString());
                }
            } finally {
                clients.shutdownNow();
            }
            up.await("all connections closed", () -> up.openConnections() == 0, WAIT);
            assertEquals(parallel, up.connectionsAccepted());
            assertEquals(parallel, up.requestsReceived());
            assertEquals(parallel, up.maxRequestsInProgress());
            assertEquals(parallel, up.maxOpenConnections());
            assertEquals(0, up.requestsInProgress());
            up.resetMaxima();
            assertEquals(0, up.maxRequestsInProgress());
        }
    }

    @Test
    void abortedRequestIsCountedNotRecorded() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("a")) {
            try (RawClient c = RawClient.connect(up.port())) {
                c.send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc");
                c.shutdownOutput();
                assertEquals(RawClient.Closure.EOF, c.awaitClose());
            }
            up.await("request aborted", () -> up.requestsAborted() == 1, WAIT);
            assertEquals(0, up.requestsReceived());
            assertEquals(1, up.ioFailures().size(), up.ioFailures().toString());
        }
    }

    @Test
    void refusingAndAcceptingConnectionsKeepsThePort() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("r")) {
            int port = up.port();
            up.refuseConnections();
            assertThrows(ConnectException.class, () -> RawClient.connect(port));
            up.acceptConnections();
            assertEquals(port, up.port());
            try (RawClient c = RawClient.connect(port)) {
                assertEquals(200, c.get("/").status());
            }
        }
    }

    @Test
    void closeAllConnectionsDropsIdleKeepAliveConnections() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("k"); RawClient c = RawClient.connect(up.port())) {
            assertEquals(200, c.get("/").status());
            up.closeAllConnections();
            assertTrue(c.awaitClose() != RawClient.Closure.TIMED_OUT);
            up.await("closed", () -> up.openConnections() == 0, WAIT);
        }
    }

    @Test
    void unusedPortRefusesConnections() throws Exception {
        int port = ScriptedUpstream.unusedPort();
        assertThrows(ConnectException.class, () -> RawClient.connect(port));
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            if (!latch.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("test never released the handler");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
