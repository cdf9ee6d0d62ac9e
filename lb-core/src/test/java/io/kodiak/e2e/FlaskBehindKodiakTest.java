package io.kodiak.e2e;

import io.kodiak.Kodiak;
import io.kodiak.config.ConfigLoader;
import io.kodiak.testing.Gunicorn;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.RawResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A Flask app under real Gunicorn behind Kodiak, set up as a Python shop would: Kodiak serves the
 * app's collected static files itself (with a precompressed sibling), compresses the app's pages,
 * rewrites an old API path onto the app's, redirects a moved section, hides the framework's
 * headers, and replaces the Werkzeug debugger's traceback page (secrets and all) with a page of
 * its own.
 */
@Timeout(120)
class FlaskBehindKodiakTest {
    private static final List<Gunicorn> APPS = new ArrayList<>();
    private static Kodiak kodiak;
    private static int port;
    private static byte[] css;
    private static byte[] cssGz;

    @TempDir
    static Path dir;

    @BeforeAll
    static void start() throws Exception {
        for (String name : List.of("flask-1", "flask-2")) {
            APPS.add(Gunicorn.builder(name).app("/wsgi/flask_shop.py", "flask_shop:application").start());
        }
        Path statics = Files.createDirectories(dir.resolve("staticfiles/css")); // manage.py collectstatic's output
        css = "body { color: #222; }\n".repeat(200).getBytes(StandardCharsets.UTF_8);
        cssGz = gzip(css);
        Files.write(statics.resolve("site.css"), css);
        Files.write(statics.resolve("site.css.gz"), cssGz);
        Files.writeString(dir.resolve("oops.html"), "<!doctype html><title>Sorry</title><h1>Something went wrong</h1>\n");
        String yaml = """
                admin: {listen: off, state-file: off}
                metrics: off
                listeners:
                  - name: web
                    address: 127.0.0.1:0
                    compression: true
                    hide-internals: true
                    error-pages: {5xx: oops.html, intercept: true}
                    routes:
                      - path-prefix: /static/
                        static: {root: staticfiles, precompressed: [gzip]}
                      - path-regex: ^/api/v1/items/(\\d+)$
                        rewrite: {path: /items/$1, query: from=v1&$args}
                        pool: app
                      - path-regex: ^/old/(.*)$
                        redirect: {to: /new/$1, status: 301}
                      - pool: app
                pools:
                  app:
                    upstreams: [%s]
                """.formatted(String.join(", ", APPS.stream().map(Gunicorn::hostPort).toList()));
        kodiak = Kodiak.start(ConfigLoader.parse(yaml, dir.resolve("kodiak.yaml")));
        port = kodiak.boundAddress("web").getPort();
    }

    @AfterAll
    static void stop() {
        if (kodiak != null) {
            kodiak.close();
        }
        APPS.forEach(Gunicorn::close);
    }

    @Test
    void staticFilesAreServedByKodiakWithTheirPrecompressedSibling() throws Exception {
        try (RawClient c = RawClient.connect(port)) {
            RawResponse plain = c.get("/static/css/site.css");
            assertEquals(200, plain.status());
            assertEquals("text/css; charset=utf-8", plain.header("Content-Type"));
            assertArrayEquals(css, plain.body().bytes());
            assertNull(plain.header("X-Instance"), "not the app's answer");

            RawResponse gz = c.exchange("GET /static/css/site.css HTTP/1.1\r\nHost: shop\r\nAccept-Encoding: gzip\r\n\r\n");
            assertEquals("gzip", gz.header("Content-Encoding"));
            assertArrayEquals(cssGz, gz.body().bytes(), "the sibling as it is on disk");
        }
    }

    @Test
    void theAppsPagesAreCompressedAndItsFrameworkHeadersHidden() throws Exception {
        try (RawClient c = RawClient.connect(port)) {
            RawResponse r = c.exchange("GET / HTTP/1.1\r\nHost: shop\r\nAccept-Encoding: gzip\r\n\r\n");
            assertEquals(200, r.status());
            assertEquals("gzip", r.header("Content-Encoding"));
            String page = new String(EdgeExampleTest.gunzip(r.body().bytes()), StandardCharsets.UTF_8);
            assertTrue(page.contains("<h1>shop flask-"), page);
            assertNull(r.header("X-Powered-By"));
            assertTrue(r.header("X-Instance").startsWith("flask-"), "proxied to the app");
        }
    }

    @Test
    void anOldApiPathIsRewrittenOntoTheAppsRoute() throws Exception {
        try (RawClient c = RawClient.connect(port)) {
            RawResponse r = c.get("/api/v1/items/42?sort=asc");
            assertEquals(200, r.status());
            String json = r.bodyString();
            assertTrue(json.contains("\"item\":42") || json.contains("\"item\": 42"), json);
            assertTrue(json.contains("\"path\":\"/items/42\"") || json.contains("\"path\": \"/items/42\""), json);
            assertTrue(json.contains("from=v1&sort=asc"), json);
            assertEquals(404, c.get("/api/v1/items/x").status(), "not the regex route: the app's own 404");
        }
    }

    @Test
    void aMovedSectionIsRedirected() throws Exception {
        try (RawClient c = RawClient.connect(port)) {
            RawResponse r = c.get("/old/catalogue?page=2");
            assertEquals(301, r.status());
            assertEquals("/new/catalogue?page=2", r.header("Location"));
            assertEquals("new page catalogue query=page=2", c.get(r.header("Location")).bodyString().trim());
        }
    }

    @Test
    void theTracebackPageNeverReachesTheClient() throws Exception {
        // Straight from Gunicorn, the debugger's page shows the exception and its secret.
        try (RawClient direct = RawClient.connect(APPS.get(0).port())) {
            RawResponse leak = direct.get("/boom");
            assertEquals(500, leak.status());
            assertTrue(leak.bodyString().contains("Traceback") && leak.bodyString().contains("hunter2"),
                    "the app leaks, so the test below shows something");
        }
        try (RawClient c = RawClient.connect(port)) {
            for (int i = 0; i < 2; i++) { // both instances, on one kept-alive connection
                RawResponse r = c.get("/boom");
                assertEquals(500, r.status());
                String body = r.bodyString();
                assertTrue(body.contains("Something went wrong"), body);
                assertFalse(body.contains("Traceback") || body.contains("hunter2"), body);
                assertTrue(r.header("Content-Type").startsWith("text/html"));
            }
            assertEquals(200, c.get("/").status(), "the connection is still good");
        }
    }

    private static byte[] gzip(byte[] data) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(data);
        }
        return out.toByteArray();
    }
}
