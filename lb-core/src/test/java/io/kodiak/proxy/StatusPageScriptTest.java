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
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every script of the status page, as the admin listener serves it, parses as JavaScript ({@code
 * node --check}): a syntax error would leave the page blank in every browser. The scripts are found
 * as a browser finds them: the {@code <script src>} tags of {@code /}, then each module's static
 * imports. Needs only Node.js, not Chromium, so it runs where {@link StatusPageBrowserTest} is
 * skipped. Skipped without Node.js unless {@code CI} is set.
 */
@Timeout(60)
class StatusPageScriptTest {
    private static final Pattern SCRIPT_TAG = Pattern.compile("<script\\b([^>]*)\\bsrc=\"(/assets/[\\w.-]+\\.js)\"([^>]*)>");
    /** {@code from './x.js'} (or {@code '/assets/x.js'}) and the bare {@code import './x.js'}. */
    private static final Pattern IMPORT = Pattern.compile("(?:\\bfrom|\\bimport)\\s*['\"](?:\\./|/assets/)([\\w.-]+\\.js)['\"]");

    @TempDir
    Path dir;
    private Kodiak kodiak;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @AfterEach
    void stop() {
        if (kodiak != null) {
            kodiak.close();
        }
    }

    @Test
    void everyServedScriptParses() throws Exception {
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

        HttpResponse<String> index = get(base + "/");
        assertEquals(200, index.statusCode(), index.body());
        Deque<String> queue = new ArrayDeque<>();
        boolean module = false;
        Matcher tag = SCRIPT_TAG.matcher(index.body());
        while (tag.find()) {
            queue.add(tag.group(2));
            module |= (tag.group(1) + tag.group(3)).contains("type=\"module\"");
        }
        assertFalse(queue.isEmpty(), "index.html loads no script from /assets/");

        Set<String> seen = new LinkedHashSet<>();
        while (!queue.isEmpty()) {
            String path = queue.poll();
            if (!seen.add(path)) {
                continue;
            }
            HttpResponse<String> script = get(base + path);
            assertEquals(200, script.statusCode(), path + ": " + script.body());
            String type = script.headers().firstValue("Content-Type").orElse("");
            assertTrue(type.contains("javascript"), path + " is served as " + type);
            // node parses .mjs as an ES module, as the browser does a type="module" script and its imports.
            Path file = Files.writeString(dir.resolve(path.substring(path.lastIndexOf('/') + 1).replace(".js", module ? ".mjs" : ".js")),
                    script.body());
            Tools.Result check = Tools.run(dir, Map.of(), "node", "--check", file.toString());
            assertEquals(0, check.exitCode(), "node --check " + path + ":\n" + check.output());
            Matcher imports = IMPORT.matcher(script.body());
            while (imports.find()) {
                queue.add("/assets/" + imports.group(1));
            }
        }
        assertTrue(seen.size() >= 1, seen.toString());
    }

    private HttpResponse<String> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
