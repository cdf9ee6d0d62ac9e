package io.kodiak.proxy;

import io.kodiak.testing.BodyFraming;
import io.kodiak.testing.DeterministicBytes;
import io.kodiak.testing.Gunicorn;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.RawResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Kodiak in front of real Gunicorn, the upstream it is built for: a sync instance (answers every
 * request with {@code Connection: close}, so nothing is pooled) and a gthread instance (keeps
 * connections alive for 2 s, so Kodiak pools and reuses them) in one pool.
 */
@Timeout(120)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GunicornUpstreamTest {
    private Gunicorn sync;
    private Gunicorn threaded;

    @BeforeAll
    void startGunicorn() throws Exception {
        sync = Gunicorn.builder("sync").workers(2).start();
        threaded = Gunicorn.builder("gthread").workerClass(Gunicorn.WorkerClass.GTHREAD).threads(2).start();
    }

    @AfterAll
    void stopGunicorn() {
        if (sync != null) {
            sync.close();
        }
        if (threaded != null) {
            threaded.close();
        }
    }

    private TestProxy proxy() throws Exception {
        return new ProxyConfig().upstream("sync", sync.port(), 1).upstream("gthread", threaded.port(), 1)
                .connections(8, Duration.ofSeconds(1)) // below gthread's 2 s keep-alive, as the docs advise
                .start();
    }

    @Test
    void requestsAlternateOverBothInstancesOnOneClientConnection() throws Exception {
        try (TestProxy proxy = proxy(); RawClient c = proxy.client()) {
            Map<String, Integer> seen = new HashMap<>();
            for (int i = 0; i < 20; i++) {
                RawResponse r = c.get("/");
                assertEquals(200, r.status(), r.toString());
                assertEquals(r.header("X-Instance"), r.bodyString());
                seen.merge(r.bodyString(), 1, Integer::sum);
            }
            assertEquals(Map.of("sync", 10, "gthread", 10), seen);
        }
    }

    @Test
    void bodiesBothWaysArriveIntact() throws Exception {
        int size = 5 << 20;
        try (TestProxy proxy = proxy(); RawClient c = proxy.client()) {
            for (int i = 0; i < 2; i++) { // once per instance
                c.send("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n");
                c.sendChunkedBody(41, size, 100_000);
                assertEquals("sha256=" + DeterministicBytes.of(41).sha256Hex(size) + " len=" + size,
                        c.readResponse().bodyString());

                RawResponse chunked = c.get("/bytes?n=" + size + "&seed=43&framing=chunked");
                assertEquals(BodyFraming.CHUNKED, chunked.framing());
                assertEquals(DeterministicBytes.of(43).sha256Hex(size), chunked.body().sha256());

                RawResponse length = c.get("/bytes?n=" + size + "&seed=43");
                assertEquals(BodyFraming.CONTENT_LENGTH, length.framing());
                assertEquals(DeterministicBytes.of(43).sha256Hex(size), length.body().sha256());
            }
        }
    }

    @Test
    void gunicornSeesForwardingFieldsAndNoHopByHopFields() throws Exception {
        try (TestProxy proxy = proxy(); RawClient c = proxy.client()) {
            for (int i = 0; i < 2; i++) {
                RawResponse r = c.exchange("GET /headers HTTP/1.1\r\nHost: app.example\r\nTE: trailers\r\n"
                        + "Connection: X-Hop\r\nX-Hop: 1\r\nX-End: 2\r\n\r\n");
                String headers = r.bodyString();
                assertTrue(headers.contains("X-Forwarded-For: 127.0.0.1\n"), headers);
                assertTrue(headers.contains("X-Forwarded-Proto: http\n"), headers);
                assertTrue(headers.contains("X-Forwarded-Host: app.example\n"), headers);
                assertTrue(headers.contains("X-End: 2\n"), headers);
                assertFalse(headers.contains("X-Hop"), headers);
                assertFalse(headers.contains("Te:"), headers);
            }
        }
    }

    @Test
    void statusesWithoutBodiesKeepTheClientConnectionInStep() throws Exception {
        try (TestProxy proxy = proxy(); RawClient c = proxy.client()) {
            for (int code : new int[] {204, 304, 404, 500, 503}) {
                RawResponse r = c.get("/status?code=" + code);
                assertEquals(code, r.status());
            }
            assertEquals(200, c.exchange("HEAD / HTTP/1.1\r\nHost: t\r\n\r\n").status());
            assertEquals(200, c.get("/").status());
        }
    }

    /**
     * WSGI maps {@code X_Forwarded_For} and {@code X-Forwarded-For} to the same environ key
     * (Gunicorn 20 joins the values with a comma), so a client could put its own address in front
     * of the one Kodiak sets. Kodiak drops fields named with '_': the app sees only the real one.
     */
    @Test
    void anUnderscoredFieldCannotSpoofTheEnvironOfTheApp() throws Exception {
        try (TestProxy proxy = proxy(); RawClient c = proxy.client()) {
            for (int i = 0; i < 2; i++) { // once per instance
                RawResponse r = c.exchange("GET /headers HTTP/1.1\r\nHost: t\r\nX_Forwarded_For: 6.6.6.6\r\n\r\n");
                assertEquals(200, r.status(), r.toString());
                assertTrue(r.bodyString().contains("X-Forwarded-For: 127.0.0.1\n"), r.bodyString());
                assertFalse(r.bodyString().contains("6.6.6.6"), r.bodyString());
            }
        }
    }
}
