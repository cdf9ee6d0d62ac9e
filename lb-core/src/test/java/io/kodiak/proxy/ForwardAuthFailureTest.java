package io.kodiak.proxy;

import io.kodiak.config.ConfigLoader;
import io.kodiak.testing.Action;
import io.kodiak.testing.HeaderFields;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.RawResponse;
import io.kodiak.testing.RecordedRequest;
import io.kodiak.testing.ScriptedUpstream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code forward-auth} when the auth service is down, broken, busy or slow, with scripted auth
 * services: a refused connect is a 500, an auth pool its health check marked down a 503 at once,
 * a pool at {@code max-connections} a 503, a malformed or cut answer a 500; and the subrequests
 * reuse the pool's keep-alive connections (a stale one is replaced without failing the request).
 */
@Timeout(60)
class ForwardAuthFailureTest {
    @TempDir
    Path dir;
    private ScriptedUpstream app;
    private ScriptedUpstream auth;
    private ProxyServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        if (app != null) {
            app.close();
        }
        if (auth != null) {
            auth.close();
        }
    }

    private static Action allow(String user) {
        return Action.respond(200, HeaderFields.of("X-User", user, "Content-Length", "0"), new byte[0]);
    }

    /** Kodiak in front of a scripted app, its auth pool at {@code authAddress} with {@code authPoolKeys}. */
    private void start(String authAddress, String authPoolKeys) throws Exception {
        start(authAddress, authPoolKeys, "");
    }

    /** @param listenerKeys more keys of the listener, each line indented by four spaces */
    private void start(String authAddress, String authPoolKeys, String listenerKeys) throws Exception {
        app = ScriptedUpstream.start("app");
        String yaml = "admin: {listen: off, state-file: off}\nmetrics: off\n"
                + "listeners:\n  - name: web\n    address: 127.0.0.1:0\n    routes: [{pool: app}]\n" + listenerKeys
                + "    forward-auth: {pool: auth, path: /auth, timeout: 2s, response-headers: [X-User]}\n"
                + "pools:\n"
                + "  app: {health-check: {type: none}, upstreams: [{name: app, address: \"" + app.hostPort() + "\"}]}\n"
                + "  auth: {upstreams: [{name: auth, address: \"" + authAddress + "\"}], " + authPoolKeys + "}\n";
        server = ProxyServer.start(ConfigLoader.parse(yaml, dir.resolve("kodiak.yaml")));
    }

    private void startWithAuth(Function<RecordedRequest, Action> handler, String authPoolKeys) throws Exception {
        auth = ScriptedUpstream.start("auth", handler);
        start(auth.hostPort(), authPoolKeys);
    }

    private RawClient client() throws Exception {
        return RawClient.connect(server.boundAddress("web").getPort());
    }

    private RawResponse get() throws Exception {
        try (RawClient c = client()) {
            return c.get("/page");
        }
    }

    @Test
    void theResponseHeadersUnderscoreTwinsAreRemovedWhereTheListenerPassesUnderscores() throws Exception {
        auth = ScriptedUpstream.start("auth", r -> allow("alice"));
        start(auth.hostPort(), "health-check: {type: none}", "    underscores-in-headers: pass\n");
        try (RawClient c = client()) {
            // A WSGI app reads X_User as X-User (HTTP_X_USER): the client's twin must not reach it beside the service's.
            RawResponse r = c.exchange("GET /page HTTP/1.1\r\nHost: t\r\nX_User: mallory\r\nx_USER: mallory\r\nX_Other: kept\r\n\r\n");
            assertEquals(200, r.status(), r.toString());
        }
        RecordedRequest up = app.requests().get(app.requests().size() - 1);
        assertEquals("kept", up.header("X_Other"), "the listener passes names with '_'");
        assertEquals("alice", up.header("X-User"));
        assertFalse(up.rawHeadString().contains("mallory"), up.rawHeadString());
    }

    @Test
    void subrequestsReuseTheAuthPoolsConnectionsAndReplaceAStaleOne() throws Exception {
        startWithAuth(r -> allow("u" + r.sequence()), "health-check: {type: none}");
        try (RawClient c = client()) {
            for (int i = 0; i < 5; i++) {
                assertEquals(200, c.get("/page").status());
            }
            assertEquals(1, auth.connectionsAccepted());
            RecordedRequest last = app.requests().get(app.requests().size() - 1);
            assertTrue(last.header("X-User").startsWith("u"), last.toString());
            auth.closeAllConnections(); // the pooled connection dies while idle
            assertEquals(200, c.get("/page").status());
            assertEquals(2, auth.connectionsAccepted());
        }
        assertTrue(auth.errors().isEmpty(), auth.errors().toString());
    }

    @Test
    void aRefusedConnectIs500() throws Exception {
        start("127.0.0.1:" + ScriptedUpstream.unusedPort(), "health-check: {type: none}");
        RawResponse r = get();
        assertEquals(500, r.status(), r.toString());
        assertEquals(0, app.requestsReceived());
    }

    @Test
    void anAuthPoolItsHealthCheckMarkedDownIs503AtOnce() throws Exception {
        start("127.0.0.1:" + ScriptedUpstream.unusedPort(), "health-check: {type: tcp, interval: 100ms, fall: 1}");
        int status = 0;
        for (int i = 0; i < 100 && status != 503; i++) { // until the first checks marked it down
            status = get().status();
            if (status != 503) {
                Thread.sleep(50);
            }
        }
        assertEquals(503, status);
        assertEquals(0, app.requestsReceived());
    }

    @Test
    void anAuthPoolAtMaxConnectionsIs503AndTheHeldOneGoesThrough() throws Exception {
        startWithAuth(r -> Action.stall(Duration.ofMillis(1500)).then(allow("slow")),
                "health-check: {type: none}, max-connections: 1");
        CompletableFuture<Integer> first = CompletableFuture.supplyAsync(() -> {
            try {
                return get().status();
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        auth.await("a subrequest in progress", () -> auth.requestsInProgress() == 1, Duration.ofSeconds(10));
        assertEquals(503, get().status());
        assertEquals(200, first.get().intValue());
    }

    @Test
    void aMalformedOrCutAnswerIs500() throws Exception {
        startWithAuth(r -> r.path().equals("/auth") && r.sequence() % 2 == 1
                        ? Action.raw("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc").thenClose()
                        : Action.raw("NOT HTTP\r\n\r\n").thenClose(),
                "health-check: {type: none}");
        assertEquals(500, get().status());
        assertEquals(500, get().status());
        assertEquals(0, app.requestsReceived());
    }

    @Test
    void aDenialOfTheScriptedServicePassesItsFieldsAndNoOthers() throws Exception {
        startWithAuth(r -> Action.respond(401, HeaderFields.of("WWW-Authenticate", "Basic realm=\"x\"",
                        "Set-Cookie", "a=1", "Set-Cookie", "b=2", "X-Secret", "s", "Content-Type", "text/plain"),
                        "who?\n".getBytes(StandardCharsets.UTF_8)),
                "health-check: {type: none}");
        RawResponse r = get();
        assertEquals(401, r.status(), r.toString());
        assertEquals("Basic realm=\"x\"", r.header("WWW-Authenticate"));
        assertEquals(java.util.List.of("a=1", "b=2"), r.headers().values("Set-Cookie"));
        assertEquals(null, r.header("X-Secret"));
        assertEquals("who?\n", r.bodyString());
    }

    @Test
    void theListenersErrorPagesReplaceADenialsBodyAndKeepItsFields() throws Exception {
        java.nio.file.Files.writeString(dir.resolve("login.html"), "<a href=/login>log in</a>\n");
        java.nio.file.Files.writeString(dir.resolve("oops.html"), "<p>try again</p>\n");
        auth = ScriptedUpstream.start("auth", r -> Action.respond(401,
                HeaderFields.of("WWW-Authenticate", "Bearer", "Content-Type", "text/plain"), "raw\n".getBytes(StandardCharsets.UTF_8)));
        start(auth.hostPort(), "health-check: {type: none}", "    error-pages: {\"401\": login.html, \"500\": oops.html}\n");
        RawResponse denied = get();
        assertEquals(401, denied.status(), denied.toString());
        assertEquals("Bearer", denied.header("WWW-Authenticate"));
        assertEquals("<a href=/login>log in</a>\n", denied.bodyString());
        auth.close(); // now the connect is refused: Kodiak's 500, with its page
        auth = null;
        RawResponse failed = get();
        assertEquals(500, failed.status(), failed.toString());
        assertEquals("<p>try again</p>\n", failed.bodyString());
    }

    @Test
    void aReloadTurnsForwardAuthOnAndOffAndCannotDropItsPool() throws Exception {
        auth = ScriptedUpstream.start("auth", r -> r.header("Authorization") == null
                ? Action.respond(401, HeaderFields.of("Content-Length", "0"), new byte[0]) : allow("alice"));
        app = ScriptedUpstream.start("app");
        String yaml = "admin: {listen: off, state-file: off}\nmetrics: off\n"
                + "listeners:\n  - name: web\n    address: 127.0.0.1:0\n    routes: [{pool: app%s}]\n"
                + "pools:\n"
                + "  app: {health-check: {type: none}, upstreams: [{name: app, address: \"" + app.hostPort() + "\"}]}\n"
                + "%s";
        String authPool = "  auth: {health-check: {type: none}, upstreams: [{name: auth, address: \"" + auth.hostPort() + "\"}]}\n";
        String on = ", forward-auth: {pool: auth, path: /auth}";
        Path file = dir.resolve("kodiak.yaml");
        server = ProxyServer.start(ConfigLoader.parse(yaml.formatted("", authPool), file));
        assertEquals(200, get().status());
        server.reload(ConfigLoader.parse(yaml.formatted(on, authPool), file));
        assertEquals(401, get().status());
        try (RawClient c = client()) {
            assertEquals(200, c.exchange("GET / HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer x\r\n\r\n").status());
        }
        org.junit.jupiter.api.Assertions.assertThrows(io.kodiak.config.ConfigException.class,
                () -> ConfigLoader.parse(yaml.formatted(on, ""), file)); // the pool it names must stay
        server.reload(ConfigLoader.parse(yaml.formatted("", authPool), file));
        assertEquals(200, get().status());
    }
}
