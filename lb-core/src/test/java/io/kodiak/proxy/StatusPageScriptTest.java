package io.kodiak.proxy;

import io.kodiak.Kodiak;
import io.kodiak.config.ConfigLoader;
import io.kodiak.testing.BrowserTools;
import io.kodiak.testing.Tools;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The status page's script as the admin listener serves it parses as JavaScript ({@code node
 * --check}): a syntax error would leave the page blank in every browser, and this needs only Node.js,
 * not Chromium, so it runs where {@link StatusPageBrowserTest} is skipped. Skipped without Node.js
 * unless {@code CI} is set.
 */
@Timeout(60)
class StatusPageScriptTest {
    @TempDir
    Path dir;
    private Kodiak kodiak;

    @AfterEach
    void stop() {
        if (kodiak != null) {
            kodiak.close();
        }
    }

    @Test
    void theServedScriptParses() throws Exception {
        BrowserTools.requireNode();
        kodiak = Kodiak.start(ConfigLoader.parse("""
                admin: {listen: 127.0.0.1:0, token: "script-test-token-0123456789", state-file: off}
                metrics: off
                listeners:
                  - {name: web, address: 127.0.0.1:0}
                pools:
                  app:
                    health-check: {type: none}
                    upstreams:
                      - {name: a, address: 127.0.0.1:9}
                """, dir.resolve("kodiak.yaml")));
        String base = "http://127.0.0.1:" + kodiak.adminAddress().getPort();
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

        HttpResponse<String> index = http.send(HttpRequest.newBuilder(URI.create(base + "/")).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, index.statusCode(), index.body());
        assertTrue(index.body().contains("/assets/app.js"), "index.html does not load /assets/app.js");

        HttpResponse<String> script = http.send(HttpRequest.newBuilder(URI.create(base + "/assets/app.js"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, script.statusCode(), script.body());
        assertTrue(script.headers().firstValue("Content-Type").orElse("").contains("javascript"),
                "Content-Type of app.js: " + script.headers().firstValue("Content-Type"));
        // A module script (type="module") is parsed as one: node takes .mjs as ES module syntax.
        boolean module = index.body().matches("(?s).*<script[^>]*type=\"module\"[^>]*/assets/app\\.js.*")
                || index.body().matches("(?s).*<script[^>]*/assets/app\\.js[^>]*type=\"module\".*");
        Path file = Files.writeString(dir.resolve(module ? "app.mjs" : "app.js"), script.body());
        Tools.Result check = Tools.run(dir, Map.of(), "node", "--check", file.toString());
        assertEquals(0, check.exitCode(), "node --check app.js:\n" + check.output());
    }
}
