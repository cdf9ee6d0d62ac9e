package io.kodiak.proxy;

import io.kodiak.Kodiak;
import io.kodiak.config.ConfigLoader;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.RawResponse;
import io.kodiak.testing.ScriptedUpstream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * A reload of header rules and error pages: an unchanged file (pages read again into new arrays)
 * is no change; a changed rule or page applies to the next request on a connection that stays open.
 */
@Timeout(60)
class HeaderFeaturesReloadTest {
    @TempDir
    Path dir;
    private ScriptedUpstream app;
    private Kodiak kodiak;

    @AfterEach
    void stop() {
        if (kodiak != null) {
            kodiak.close();
        }
        if (app != null) {
            app.close();
        }
    }

    private void write(String value, String page) throws Exception {
        Files.writeString(dir.resolve("404.html"), page);
        Files.writeString(dir.resolve("kodiak.yaml"), "admin: {listen: off, state-file: off}\nmetrics: off\n"
                + "listeners:\n  - name: web\n    address: 127.0.0.1:0\n"
                + "    error-pages: {\"404\": 404.html}\n"
                + "    routes:\n      - path-prefix: /app/\n        pool: app\n"
                + "        response-headers: {set: {X-Rule: '" + value + "'}}\n"
                + "pools:\n  app: {health-check: {type: none}, upstreams: [\"" + app.hostPort() + "\"]}\n");
    }

    @Test
    void changedRulesAndPagesApplyAndUnchangedOnesAreNoChange() throws Exception {
        app = ScriptedUpstream.start("app");
        write("one $status", "<p>first</p>");
        kodiak = Kodiak.start(ConfigLoader.load(dir.resolve("kodiak.yaml")));
        try (RawClient c = RawClient.connect(kodiak.boundAddress("web").getPort())) {
            assertEquals("one 200", c.get("/app/").header("X-Rule"));
            assertEquals("<p>first</p>", c.get("/none").bodyString());

            assertEquals(List.of(), kodiak.reload().changes(), "the same rules and page bytes");

            write("two $status", "<p>second</p>");
            assertNotEquals(List.of(), kodiak.reload().changes());
            RawResponse r = c.get("/app/");
            assertEquals("two 200", r.header("X-Rule"), "the open connection routes by the new rules");
            assertEquals("<p>second</p>", c.get("/none").bodyString());
        }
    }
}
