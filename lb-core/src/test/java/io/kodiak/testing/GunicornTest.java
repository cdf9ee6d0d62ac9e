package io.kodiak.testing;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.opentest4j.TestAbortedException;

import java.io.IOException;
import java.net.ConnectException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The {@link Gunicorn} fixture against the real Gunicorn, and the test app's endpoints. */
@Timeout(120)
class GunicornTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @Test
    void twoInstancesServeAndStopCompletely() throws Exception {
        List<Long> pids = new ArrayList<>();
        try (Gunicorn a = Gunicorn.builder("alpha").workers(2).start();
             Gunicorn b = Gunicorn.builder("beta").workerClass(Gunicorn.WorkerClass.GTHREAD).threads(2).start()) {
            assertNotEquals(a.port(), b.port());
            for (Gunicorn g : List.of(a, b)) {
                RawResponse root = request(g, "GET / HTTP/1.1\r\nHost: t\r\n\r\n");
                assertEquals(200, root.status());
                assertEquals(g.name(), root.bodyString());
                assertEquals(g.name(), root.header("X-Instance"));

                int length = 1 << 20;
                try (RawClient c = RawClient.connect(g.port())) {
                    c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: " + length + "\r\n\r\n");
                    c.sendBody(99, length);
                    assertEquals("sha256=" + DeterministicBytes.of(99).sha256Hex(length) + " len=" + length,
                            c.readResponse().bodyString());
                }
                assertEquals(g.masterPid(), g.livePids().get(0));
                pids.addAll(g.livePids());
            }
            assertEquals(2, a.workerPids().size());
            assertEquals(1, b.workerPids().size());
            a.stop();
            assertFalse(a.isRunning());
            assertEquals(List.of(), a.livePids());
            assertThrows(ConnectException.class, () -> RawClient.connect(a.port()));
        } // b stops here
        assertEquals(5, pids.size()); // 2 masters, 3 workers
        for (long pid : pids) {
            assertTrue(ProcessState.isGone(pid), "process " + pid + " still running");
        }
    }

    @Test
    void endpointsBehaveAsDocumented() throws Exception {
        try (Gunicorn g = Gunicorn.start("endpoints")) {
            long length = 3 * 65536 + 11;
            String expected = DeterministicBytes.of(42).sha256Hex(length);
            RawResponse fixed = request(g, "GET /bytes?n=" + length + "&seed=42 HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals(BodyFraming.CONTENT_LENGTH, fixed.framing());
            assertEquals(expected, fixed.body().sha256());
            RawResponse chunked = request(g, "GET /bytes?n=" + length + "&seed=42&framing=chunked HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals(BodyFraming.CHUNKED, chunked.framing());
            assertEquals(expected, chunked.body().sha256());

            assertEquals(503, request(g, "GET /status?code=503 HTTP/1.1\r\nHost: t\r\n\r\n").status());
            assertEquals(204, request(g, "GET /status?code=204 HTTP/1.1\r\nHost: t\r\n\r\n").status());
            assertEquals("slept 10", request(g, "GET /sleep?ms=10 HTTP/1.1\r\nHost: t\r\n\r\n").bodyString());
            assertEquals(404, request(g, "GET /nope HTTP/1.1\r\nHost: t\r\n\r\n").status());

            RawResponse headers = request(g, "GET /headers HTTP/1.1\r\nHost: t\r\nX-Forwarded-For: 10.1.2.3\r\n"
                    + "X-Forwarded-Proto: https\r\n\r\n");
            assertTrue(headers.bodyString().contains("X-Forwarded-For: 10.1.2.3\n"), headers.bodyString());
            assertTrue(headers.bodyString().contains("Host: t\n"), headers.bodyString());
            assertEquals("127.0.0.1", headers.header("X-Remote-Addr"));

            List<String> log = g.awaitAccessLogLines(7, WAIT);
            assertTrue(log.stream().anyMatch(l -> l.contains("\"GET /status?code=503 HTTP/1.1\" 503")), log.toString());
            assertEquals(log.size(), Files.readAllLines(g.accessLog()).size());
        }
    }

    @Test
    void chunkedUploadIsDecodedByGunicorn() throws Exception {
        try (Gunicorn g = Gunicorn.start("chunky"); RawClient c = RawClient.connect(g.port())) {
            long length = 300_001;
            c.send("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n");
            c.sendChunkedBody(5, length, 8192);
            assertEquals("sha256=" + DeterministicBytes.of(5).sha256Hex(length) + " len=" + length,
                    c.readResponse().bodyString());
        }
    }

    @Test
    void gthreadWorkerKeepsConnectionsAlive() throws Exception {
        try (Gunicorn g = Gunicorn.builder("keepalive").workerClass(Gunicorn.WorkerClass.GTHREAD)
                .keepAlive(Duration.ofSeconds(5)).start();
             RawClient c = RawClient.connect(g.port())) {
            assertEquals("keepalive", c.get("/").bodyString());
            assertEquals("keepalive", c.get("/").bodyString());
        }
    }

    @Test
    void syncWorkerClosesAfterEachResponse() throws Exception {
        try (Gunicorn g = Gunicorn.start("sync"); RawClient c = RawClient.connect(g.port())) {
            RawResponse r = c.get("/");
            assertEquals("close", r.header("Connection"));
            assertEquals(RawClient.Closure.EOF, c.awaitClose());
        }
    }

    @Test
    void killRemovesMasterAndWorkers() throws Exception {
        try (Gunicorn g = Gunicorn.builder("doomed").workers(2).start()) {
            List<Long> pids = g.livePids();
            assertEquals(3, pids.size());
            g.kill();
            for (long pid : pids) {
                assertTrue(ProcessState.isGone(pid), "process " + pid + " survived");
            }
            assertThrows(ConnectException.class, () -> RawClient.connect(g.port()));
        }
    }

    @Test
    void missingGunicornSkipsLocallyButFailsInCi() {
        assertThrows(TestAbortedException.class, () -> GunicornCommand.onMissing(null));
        assertThrows(TestAbortedException.class, () -> GunicornCommand.onMissing(""));
        IllegalStateException inCi = assertThrows(IllegalStateException.class, () -> GunicornCommand.onMissing("true"));
        assertTrue(inCi.getMessage().contains(GunicornCommand.INSTALL_HINT), inCi.getMessage());
    }

    /** One request on a fresh connection (sync workers close after every response anyway). */
    private static RawResponse request(Gunicorn g, String raw) throws IOException {
        try (RawClient c = RawClient.connect(g.port())) {
            return c.exchange(raw);
        }
    }
}
