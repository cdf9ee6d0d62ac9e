package io.kodiak.proxy;

import io.kodiak.Kodiak;
import io.kodiak.admin.Json;
import io.kodiak.config.ConfigLoader;
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

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the status page polls ({@code /v1/status} every second, {@code /v1/history} every 5 s) is
 * compact JSON; what people read ({@code kodiak ctl}, the docs) stays indented. With 300 upstreams,
 * as a larger site has, the indentation was about half of the status.
 */
@Timeout(60)
class StatusCompactTest {
    private static final String TOKEN = "compact-token-0123456789abcdef";
    private static final int UPSTREAMS = 300;

    @TempDir
    Path dir;
    private Kodiak kodiak;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @AfterEach
    void stop() {
        if (kodiak != null) {
            kodiak.close();
        }
    }

    private String get(String path) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + kodiak.adminAddress().getPort() + path))
                .header("Authorization", "Bearer " + TOKEN).GET().build();
        HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return r.body();
    }

    @Test
    void statusAndHistoryAreCompactAndTheRestStaysIndented() throws Exception {
        StringBuilder ups = new StringBuilder();
        for (int i = 0; i < UPSTREAMS; i++) {
            // Nothing is sent to them (no health checks, no requests): the addresses need no server.
            ups.append(i == 0 ? "" : ", ").append("{name: u").append(i).append(", address: \"127.0.0.1:").append(20000 + i).append("\"}");
        }
        Files.writeString(dir.resolve("kodiak.yaml"), """
                admin: {listen: 127.0.0.1:0, token: %s, state-file: off}
                metrics: {listen: off}
                listeners: [{name: web, address: 127.0.0.1:0}]
                pools:
                  app:
                    health-check: {type: none}
                    upstreams: [%s]
                """.formatted(TOKEN, ups));
        kodiak = Kodiak.start(ConfigLoader.load(dir.resolve("kodiak.yaml")));

        for (String path : new String[] {"/v1/status", "/v1/history"}) {
            String body = get(path);
            assertTrue(body.endsWith("\n"));
            assertEquals(-1, body.strip().indexOf('\n'), path + " is one line");
            String pretty = Json.writePretty(Json.parse(body)) + "\n";
            assertTrue(body.length() < pretty.length(), path);
            System.out.printf("%s with %d upstreams: %d bytes compact, %d indented%n", path, UPSTREAMS, body.length(), pretty.length());
        }
        String pool = get("/v1/pools/app");
        assertTrue(pool.startsWith("{\n  \""), "a pool's answer is still indented for people: " + pool.substring(0, 20));
        assertTrue(get("/v1/config").contains("\n  \""), "so is the config's");
    }
}
