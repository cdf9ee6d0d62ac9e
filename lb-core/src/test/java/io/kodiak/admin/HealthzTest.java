package io.kodiak.admin;

import io.kodiak.Kodiak;
import io.kodiak.config.ConfigLoader;
import io.kodiak.testing.ScriptedUpstream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code GET /healthz}: what a Kubernetes probe can ask without a token, even where the rest of
 * the API needs one (an admin listener on every address, as in a pod), and nothing more.
 */
@Timeout(30)
class HealthzTest {
    @TempDir
    Path dir;
    private Kodiak kodiak;
    private ScriptedUpstream up;
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @AfterEach
    void stop() {
        if (kodiak != null) {
            kodiak.close();
        }
        if (up != null) {
            up.close();
        }
    }

    private HttpResponse<String> call(String method, String path) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + kodiak.adminAddress().getPort() + path))
                .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void healthzAnswersOkWithoutATokenWhereReadsNeedOne() throws Exception {
        up = ScriptedUpstream.start("a");
        // Not a loopback listener, so reads need the token (the probe's case); the test still talks to 127.0.0.1.
        kodiak = Kodiak.start(ConfigLoader.parse("""
                admin: {listen: 0.0.0.0:0, token: %s, state-file: off}
                metrics: off
                listeners: [{name: web, address: 127.0.0.1:0}]
                pools: {p: {upstreams: ["%s"]}}
                """.formatted(CtlFanoutTest.TOKEN, up.hostPort()), dir.resolve("kodiak.yaml")));

        HttpResponse<String> ok = call("GET", "/healthz");
        assertEquals(200, ok.statusCode());
        assertEquals("ok\n", ok.body());
        assertTrue(ok.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"), ok.headers().toString());
        HttpResponse<String> head = call("HEAD", "/healthz");
        assertEquals(200, head.statusCode());
        assertEquals("", head.body());

        assertEquals(401, call("GET", "/v1/status").statusCode(), "the rest of the API still needs the token");
        HttpResponse<String> post = call("POST", "/healthz");
        assertEquals(405, post.statusCode());
        assertTrue(post.body().contains("use GET"), post.body());
        assertEquals(404, call("GET", "/healthz/more").statusCode());
    }
}
