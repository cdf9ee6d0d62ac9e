package io.kodiak.e2e;

import io.kodiak.Kodiak;
import io.kodiak.config.ConfigLoader;
import io.kodiak.config.KodiakConfig;
import io.kodiak.testing.Gunicorn;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.RawResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code examples/edge.yaml} as it is, in front of three real Gunicorn instances of a Flask app:
 * {@code /perftest/} answered by Kodiak, {@code /old/...} redirected (308) to {@code /new/...},
 * {@code /static/} served from {@code examples/static/}, gzip for clients that accept it,
 * {@code X-Powered-By} removed, and everything else proxied round-robin.
 *
 * <p>Only the addresses change: the listener binds port 0 and the pool names the Gunicorn
 * instances' ports (tests never bind fixed ports, and the demo may hold 8080), and the admin API
 * and /metrics are off for the same reason. Everything else is read from the file, and the
 * static root is resolved from its directory as {@code kodiak run -c examples/edge.yaml} does.
 */
@Timeout(120)
class EdgeExampleTest {
    private static final Path EDGE = ExampleFile.ROOT.resolve("examples/edge.yaml");
    private static ExampleFile example;
    private static int port;

    @BeforeAll
    static void start() throws Exception {
        example = new ExampleFile("edge.yaml");
        port = example.port("edge");
    }

    @AfterAll
    static void stop() {
        if (example != null) {
            example.close();
        }
    }

    @Test
    void theFileAsItIsIsValidWithoutWarnings() throws Exception {
        KodiakConfig c = ConfigLoader.load(EDGE);
        assertEquals(List.of(), c.warnings());
        assertEquals(8080, c.listeners().get(0).address().getPort());
    }

    @Test
    void perftestIsAnsweredByKodiakItself() throws Exception {
        try (RawClient c = RawClient.connect(port)) {
            for (int i = 0; i < 20; i++) {
                RawResponse r = c.get("/perftest/");
                assertEquals(200, r.status());
                assertEquals("0", r.header("Content-Length"));
                assertNull(r.header("X-Instance"), "the app marks every answer of its own");
            }
        }
    }

    @Test
    void oldPathsAreRedirectedPermanentlyToNewOnesWithTheirQuery() throws Exception {
        try (RawClient c = RawClient.connect(port)) {
            RawResponse r = c.get("/old/cart/items?id=7");
            assertEquals(308, r.status());
            assertEquals("/new/cart/items?id=7", r.header("Location"));
            RawResponse followed = c.get(r.header("Location"));
            assertEquals(200, followed.status());
            assertEquals("new page cart/items query=id=7", followed.bodyString().trim());
        }
    }

    @Test
    void staticFilesComeFromExamplesStaticWithValidatorsAndGzip() throws Exception {
        byte[] file = Files.readAllBytes(ExampleFile.ROOT.resolve("examples/static/http-status-codes.txt"));
        assertTrue(file.length >= 10 * 1024, "the example's text file is at least 10 KB");
        try (RawClient c = RawClient.connect(port)) {
            RawResponse plain = c.get("/static/http-status-codes.txt");
            assertEquals(200, plain.status());
            assertArrayEquals(file, plain.body().bytes());
            assertEquals("text/plain; charset=utf-8", plain.header("Content-Type"));
            assertEquals("max-age=3600", plain.header("Cache-Control"));
            assertNull(plain.header("Content-Encoding"));
            String etag = plain.header("ETag");

            RawResponse gz = c.exchange("GET /static/http-status-codes.txt HTTP/1.1\r\nHost: edge\r\n"
                    + "Accept-Encoding: gzip, deflate, br;q=0\r\n\r\n");
            assertEquals(200, gz.status());
            assertEquals("gzip", gz.header("Content-Encoding"));
            assertTrue(gz.body().bytes().length < file.length / 2, "compressed: " + gz.body().bytes().length);
            assertArrayEquals(file, gunzip(gz.body().bytes()));

            RawResponse again = c.exchange("GET /static/http-status-codes.txt HTTP/1.1\r\nHost: edge\r\n"
                    + "If-None-Match: " + etag + "\r\n\r\n");
            assertEquals(304, again.status());

            assertEquals(200, c.get("/static/").status(), "index.html");
            assertEquals(404, c.get("/static/missing.txt").status());
            assertEquals(404, c.get("/static/..%2Fedge.yaml").status());
        }
    }

    @Test
    void everythingElseIsProxiedRoundRobinWithoutXPoweredByAndCompressed() throws Exception {
        Map<String, Integer> served = new HashMap<>();
        try (RawClient c = RawClient.connect(port)) {
            for (int i = 0; i < 9; i++) {
                RawResponse r = c.exchange("GET / HTTP/1.1\r\nHost: shop.example\r\nAccept-Encoding: gzip\r\n\r\n");
                assertEquals(200, r.status());
                assertNull(r.header("X-Powered-By"), "hidden");
                assertEquals("gzip", r.header("Content-Encoding"));
                assertTrue(r.header("Vary").contains("Accept-Encoding"));
                String page = new String(gunzip(r.body().bytes()), StandardCharsets.UTF_8);
                assertTrue(page.contains("<h1>shop "), page);
                served.merge(r.header("X-Instance"), 1, Integer::sum);
            }
            RawResponse plain = c.get("/");
            assertNull(plain.header("Content-Encoding"), "no Accept-Encoding, no compression");
            assertNull(plain.header("X-Powered-By"));
        }
        assertEquals(Map.of("app-1", 3, "app-2", 3, "app-3", 3), served);
    }

    static byte[] gunzip(byte[] gz) throws IOException {
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(gz))) {
            return in.readAllBytes();
        }
    }
}
