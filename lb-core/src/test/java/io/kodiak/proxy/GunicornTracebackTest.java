package io.kodiak.proxy;

import io.kodiak.config.ConfigLoader;
import io.kodiak.testing.Gunicorn;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.RawResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A real Gunicorn app's traceback (a 500 from a view that raised) behind {@code error-pages} with
 * {@code intercept} and {@code hide-internals}: the client sees the page, never the traceback nor
 * the framework's name, and its connection carries on.
 */
@Timeout(120)
class GunicornTracebackTest {
    @TempDir
    Path dir;

    @Test
    void theTracebackNeverReachesTheClient() throws Exception {
        Files.writeString(dir.resolve("50x.html"), "<h1>Something went wrong</h1>\n");
        try (Gunicorn app = Gunicorn.builder("app").workerClass(Gunicorn.WorkerClass.GTHREAD).threads(2).start()) {
            String yaml = Gunicorn.kodiakYaml(List.of(app), "").replace("    address: 127.0.0.1:0\n",
                    "    address: 127.0.0.1:0\n    error-pages: {\"5xx\": 50x.html, intercept: true}\n    hide-internals: true\n");
            try (TestProxy proxy = TestProxy.start(ConfigLoader.parse(yaml, dir.resolve("kodiak.yaml")));
                 RawClient c = RawClient.connect(proxy.port("web"))) {
                try (RawClient toApp = RawClient.connect(app.port())) {
                    assertTrue(toApp.get("/traceback").bodyString().contains("Traceback (most recent call last)"),
                            "the app does send one");
                }

                for (int i = 0; i < 2; i++) {
                    RawResponse r = c.get("/traceback");
                    assertEquals(500, r.status());
                    assertEquals("<h1>Something went wrong</h1>\n", r.bodyString());
                    assertEquals("text/html; charset=utf-8", r.header("Content-Type"));
                    assertNull(r.header("X-Powered-By"));
                    assertFalse(r.rawHeadString().contains("SECRET_KEY"));
                }
                RawResponse ok = c.get("/");
                assertEquals(200, ok.status());
                assertEquals("app", ok.bodyString());
            }
        }
    }
}
