package io.kodiak.e2e;

import io.kodiak.Kodiak;
import io.kodiak.config.ConfigLoader;
import io.kodiak.testing.DeterministicBytes;
import io.kodiak.testing.Gunicorn;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.RawResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Three real Gunicorn instances of a tiny WSGI app behind Kodiak: every instance receives traffic,
 * and bodies arrive intact in both directions, with sync workers (which close every connection)
 * and with gthread workers (which keep connections alive, so Kodiak's pool is exercised).
 */
@Timeout(120)
class GunicornEndToEndTest {
    private final List<Gunicorn> instances = new ArrayList<>();
    private Kodiak kodiak;

    @AfterEach
    void stop() {
        if (kodiak != null) {
            kodiak.close();
        }
        instances.forEach(Gunicorn::close);
    }

    private int start(Gunicorn.WorkerClass workerClass) throws Exception {
        for (String name : List.of("g1", "g2", "g3")) {
            instances.add(Gunicorn.builder(name).workers(2).workerClass(workerClass).start());
        }
        String yaml = Gunicorn.kodiakYaml(instances, "    buffering: {memory: 64KiB}\n");
        kodiak = Kodiak.start(ConfigLoader.parse(yaml, Path.of("e2e.yaml")));
        return kodiak.boundAddress("web").getPort();
    }

    @Test
    void syncWorkersAllServeAndBodiesArriveIntact() throws Exception {
        exercise(start(Gunicorn.WorkerClass.SYNC));
    }

    @Test
    void gthreadWorkersWithKeepAliveAllServeAndBodiesArriveIntact() throws Exception {
        exercise(start(Gunicorn.WorkerClass.GTHREAD));
    }

    private void exercise(int port) throws Exception {
        Map<String, Integer> served = new HashMap<>();
        try (RawClient c = RawClient.connect(port)) {
            for (int i = 0; i < 30; i++) {
                RawResponse r = c.get("/");
                assertEquals(200, r.status());
                served.merge(r.bodyString().trim(), 1, Integer::sum);
            }
        }
        assertEquals(Map.of("g1", 10, "g2", 10, "g3", 10), served, "round-robin over three instances");

        // Uploads: Content-Length and chunked, larger than the in-memory limit (spilled to a temp file).
        long size = 3L << 20;
        String expected = "sha256=" + DeterministicBytes.of(11).sha256Hex(size) + " len=" + size;
        try (RawClient c = RawClient.connect(port)) {
            c.send("POST /echo HTTP/1.1\r\nHost: app\r\nContent-Length: " + size + "\r\n\r\n");
            c.sendBody(11, size);
            RawResponse r = c.readResponse();
            assertEquals(200, r.status());
            assertEquals(expected, r.bodyString().trim());

            c.send("POST /echo HTTP/1.1\r\nHost: app\r\nTransfer-Encoding: chunked\r\n\r\n");
            c.sendChunkedBody(11, size, 7000);
            r = c.readResponse();
            assertEquals(200, r.status());
            assertEquals(expected, r.bodyString().trim());
        }

        // Downloads: the app streams deterministic bytes; the client must get every one.
        long download = 5L << 20;
        try (RawClient c = RawClient.connect(port).bodyCaptureLimit(0)) {
            for (String framing : List.of("", "&framing=chunked")) {
                RawResponse r = c.get("/bytes?n=" + download + "&seed=5" + framing);
                assertEquals(200, r.status());
                assertEquals(download, r.body().length());
                assertEquals(DeterministicBytes.of(5).sha256Hex(download), r.body().sha256());
            }
        }

        // The upstream sees the forwarding headers, and the client sees no Server field.
        try (RawClient c = RawClient.connect(port)) {
            RawResponse r = c.get("/headers");
            String body = r.bodyString();
            assertTrue(body.contains("X-Forwarded-For: 127.0.0.1"), body);
            assertTrue(body.contains("X-Forwarded-Proto: http"), body);
            assertEquals(null, r.header("Server"));
        }
        for (Gunicorn g : instances) {
            assertTrue(g.awaitAccessLogLines(10, Duration.ofSeconds(10)).size() >= 10, g.name() + " served");
        }
    }
}
