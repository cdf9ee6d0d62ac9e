package io.kodiak.proxy;

import io.kodiak.config.ConfigLoader;
import io.kodiak.upstream.AdminState;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.RawResponse;
import io.kodiak.testing.ScriptedUpstream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The pool's error page when no upstream can take a request, configured through a YAML file. */
@Timeout(30)
class ErrorPageTest {
    private static final String PAGE = "<!doctype html><title>Down</title><p>Back soon.</p>\n";

    @TempDir
    Path dir;

    private TestProxy start(boolean withPage, ScriptedUpstream live) throws Exception {
        Files.writeString(dir.resolve("down.html"), PAGE, StandardCharsets.UTF_8);
        String upstreams = live == null
                ? "[127.0.0.1:" + ScriptedUpstream.unusedPort() + ", 127.0.0.1:" + ScriptedUpstream.unusedPort() + "]"
                : "[" + live.hostPort() + "]";
        String yaml = "admin:\n  listen: off\n  state-file: off\nmetrics: off\nlisteners:\n"
                + "  - name: " + ProxyConfig.LISTENER + "\n"
                + "    address: 127.0.0.1:0\n"
                + "pools:\n"
                + "  web:\n"
                + "    upstreams: " + upstreams + "\n"
                + "    timeouts: {connect: 2s}\n"
                + (withPage ? "    error-page: {status: 503, content-type: text/html; charset=utf-8, file: down.html}\n" : "");
        return TestProxy.start(ConfigLoader.parse(yaml, dir.resolve("kodiak.yaml")));
    }

    @Test
    void everyUpstreamDownServesTheConfiguredPage() throws Exception {
        try (TestProxy proxy = start(true, null); RawClient c = proxy.client()) {
            for (int i = 0; i < 2; i++) { // the connection stays usable: the request was complete
                RawResponse r = c.get("/any/path?q=" + i);
                assertEquals(503, r.status());
                assertEquals("text/html; charset=utf-8", r.header("Content-Type"));
                assertEquals(PAGE, r.bodyString());
                DateHeaderTest.assertDated(r);
                // Both upstreams were tried: the built-in answer would be a 502, without a retry time.
                assertNull(r.header("Retry-After"), r.rawHeadString());
            }
            RawResponse post = c.exchange("POST /form HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc");
            assertEquals(503, post.status());
            assertEquals(PAGE, post.bodyString());
        }
    }

    /** The page replaces the built-in 503's body, not its Retry-After. */
    @Test
    void whenNoUpstreamMayTakeTheRequestThePageKeepsRetryAfter() throws Exception {
        try (ScriptedUpstream live = ScriptedUpstream.start("live");
             TestProxy proxy = start(true, live);
             RawClient c = proxy.client()) {
            proxy.kodiak().setAdminState(proxy.kodiak().upstream("web", live.hostPort()), AdminState.DRAIN);
            RawResponse r = c.get("/");
            assertEquals(503, r.status());
            assertEquals(PAGE, r.bodyString());
            assertEquals("1", r.header("Retry-After"), r.rawHeadString());
            DateHeaderTest.assertDated(r);
            assertEquals(0, live.requestsReceived());
        }
    }

    @Test
    void withoutAPageTheBuiltIn502IsSent() throws Exception {
        try (TestProxy proxy = start(false, null); RawClient c = proxy.client()) {
            RawResponse r = c.get("/");
            assertEquals(502, r.status());
            assertEquals("text/plain; charset=utf-8", r.header("Content-Type"));
        }
    }

    @Test
    void headRequestGetsThePageHeadWithoutItsBody() throws Exception {
        try (TestProxy proxy = start(true, null); RawClient c = proxy.client()) {
            RawResponse head = c.exchange("HEAD / HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals(503, head.status());
            assertEquals(String.valueOf(PAGE.getBytes(StandardCharsets.UTF_8).length), head.header("Content-Length"));
            // Body bytes after a HEAD response would be read as the next response.
            RawResponse next = c.get("/");
            assertEquals(503, next.status());
            assertEquals(PAGE, next.bodyString());
            c.readTimeout(Duration.ofMillis(200));
            assertEquals(RawClient.Closure.TIMED_OUT, c.awaitClose(), "no stray bytes");
        }
    }

    @Test
    void pageIsNotUsedWhileAnUpstreamAnswers() throws Exception {
        try (ScriptedUpstream live = ScriptedUpstream.start("live");
             TestProxy proxy = start(true, live);
             RawClient c = proxy.client()) {
            RawResponse r = c.get("/");
            assertEquals(200, r.status());
            assertEquals("live GET /", r.bodyString());
        }
    }
}
