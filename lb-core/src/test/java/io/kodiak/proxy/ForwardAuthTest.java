package io.kodiak.proxy;

import io.kodiak.config.ConfigLoader;
import io.kodiak.testing.DeterministicBytes;
import io.kodiak.testing.Gunicorn;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.RawResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code forward-auth} end to end: a real auth service (Flask under Gunicorn,
 * {@code wsgi/forward_auth_service.py}) in a pool of its own that no route uses, and a real
 * Gunicorn app behind Kodiak. The app sees the auth service's {@code X-User} and never the
 * client's; 401, 403 and the login redirect go back to the client as the service sent them; an
 * answer forward-auth does not pass on, an oversized denial and a service too slow are 500s;
 * the cache asks the service once per credential within its TTL.
 */
@Timeout(120)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ForwardAuthTest {
    private Gunicorn auth;
    private Gunicorn app;
    private ProxyServer server;

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        auth = Gunicorn.builder("auth").app("/wsgi/forward_auth_service.py", "forward_auth_service:app")
                .workerClass(Gunicorn.WorkerClass.GTHREAD).threads(8).start();
        app = Gunicorn.builder("app").workerClass(Gunicorn.WorkerClass.GTHREAD).threads(4).start();
        String yaml = "admin: {listen: off, state-file: off}\nmetrics: off\n"
                + "listeners:\n"
                + "  - name: cached\n    address: 127.0.0.1:0\n    routes: [{pool: app}]\n"
                + "    forward-auth: {pool: auth, path: /verify, response-headers: [X-User], cache: {ttl: 1m}}\n"
                + "  - name: web\n    address: 127.0.0.1:0\n    routes:\n"
                + "      - path-prefix: /\n        pool: app\n"
                + "        forward-auth:\n          pool: auth\n          path: /verify?from=kodiak\n          timeout: 1s\n"
                + "          request-headers: [Authorization, Cookie, Accept]\n"
                + "          response-headers: [X-User, X-Email]\n          max-body: 64KiB\n"
                + "pools:\n"
                + "  app: {health-check: {type: none}, upstreams: [{name: app, address: \"" + app.hostPort() + "\"}]}\n"
                + "  auth:\n    upstreams: [{name: auth, address: \"" + auth.hostPort() + "\"}]\n"
                + "    health-check: {type: http, path: /health, interval: 1s}\n"
                + "    connections: {max-idle: 4, idle-timeout: 1s}\n";
        server = ProxyServer.start(ConfigLoader.parse(yaml, dir.resolve("kodiak.yaml")));
    }

    @AfterAll
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

    private RawClient client() throws Exception {
        return RawClient.connect(server.boundAddress("web").getPort());
    }

    private RawResponse get(String target, String fields) throws Exception {
        try (RawClient c = client()) {
            return c.exchange("GET " + target + " HTTP/1.1\r\nHost: shop.example\r\n" + fields + "\r\n");
        }
    }

    /** Asks the auth service directly (not through Kodiak). */
    private String authService(String path) throws Exception {
        try (RawClient c = RawClient.connect(auth.port())) {
            return c.get(path).bodyString();
        }
    }

    @Test
    void aGoodTokenReachesTheAppWithTheServicesUserAndAForgedOneIsRemoved() throws Exception {
        RawResponse r = get("/headers", "Authorization: Bearer good\r\nX-User: mallory\r\nX-Email: forged@example.com\r\n");
        assertEquals(200, r.status(), r.toString());
        String seen = r.bodyString();
        assertTrue(seen.contains("X-User: alice\n"), seen);
        assertTrue(seen.contains("X-Email: alice@example.com\n"), seen);
        assertFalse(seen.contains("mallory"), seen);
        assertFalse(seen.contains("forged"), seen);
        assertFalse(seen.contains("X-Other"), seen); // not in response-headers
        assertEquals("app", r.header("X-Instance"));
    }

    @Test
    void theServiceGetsTheChosenFieldsAndWhatKodiakKnowsOfTheRequest() throws Exception {
        RawResponse r = get("/headers?q=1", "Authorization: Bearer good\r\nCookie: session=x\r\nAccept-Language: fr\r\n"
                + "X-Forwarded-For: 10.9.9.9\r\n");
        assertEquals(200, r.status(), r.toString());
        String last = authService("/last");
        assertTrue(last.startsWith("/verify?from=kodiak\n"), last);
        assertTrue(last.contains("Authorization: Bearer good\n"), last);
        assertTrue(last.contains("Cookie: session=x\n"), last);
        assertTrue(last.contains("X-Forwarded-Method: GET\n"), last);
        assertTrue(last.contains("X-Forwarded-Proto: http\n"), last);
        assertTrue(last.contains("X-Forwarded-Host: shop.example\n"), last);
        assertTrue(last.contains("X-Forwarded-Uri: /headers?q=1\n"), last);
        assertTrue(last.contains("X-Original-Uri: /headers?q=1\n"), last);
        assertTrue(last.contains("X-Forwarded-For: 127.0.0.1\n"), last); // the real client, not what it claimed
        assertFalse(last.contains("10.9.9.9"), last);
        assertFalse(last.contains("Accept-Language"), last); // not chosen
        assertTrue(last.contains("Host: " + auth.hostPort() + "\n"), last);
    }

    @Test
    void withoutACredentialTheServicesUnauthorizedGoesBackToTheClient() throws Exception {
        RawResponse r = get("/headers", "");
        assertEquals(401, r.status(), r.toString());
        assertEquals("Bearer realm=\"kodiak\"", r.header("WWW-Authenticate"));
        assertEquals("login required\n", r.bodyString());
        assertTrue(r.header("Content-Type").startsWith("text/plain"), r.toString());
        assertNull(r.header("X-Other"), r.toString()); // only Location, WWW-Authenticate and Set-Cookie pass
        assertNull(r.header("X-Instance"), r.toString()); // the app was never asked
    }

    @Test
    void aBrowserIsRedirectedToTheLoginPageWithTheServicesCookie() throws Exception {
        RawResponse r = get("/account?tab=2", "Accept: text/html\r\n");
        assertEquals(302, r.status(), r.toString());
        assertEquals("https://login.example/?rd=/account?tab=2", r.header("Location"));
        assertEquals("rd=/account?tab=2; Path=/", r.header("Set-Cookie"));
    }

    @Test
    void forbiddenAndChunkedDenialsPassWithTheirBodies() throws Exception {
        RawResponse forbidden = get("/x", "Cookie: session=forbidden\r\n");
        assertEquals(403, forbidden.status(), forbidden.toString());
        assertEquals("no entry for you\n", forbidden.bodyString());
        RawResponse chunked = get("/x", "Authorization: Bearer chunked\r\n");
        assertEquals(401, chunked.status(), chunked.toString());
        assertEquals("part one, part two\n", chunked.bodyString());
        assertEquals("Bearer realm=\"chunks\"", chunked.header("WWW-Authenticate"));
    }

    @Test
    void anAnswerForwardAuthDoesNotPassOnOrAnOversizedDenialIs500() throws Exception {
        RawResponse teapot = get("/x", "Authorization: Bearer teapot\r\n");
        assertEquals(500, teapot.status(), teapot.toString());
        assertFalse(teapot.bodyString().contains("stout"), teapot.toString());
        RawResponse big = get("/x", "Authorization: Bearer big\r\n");
        assertEquals(500, big.status(), big.toString());
        // and the service is still asked normally afterwards
        assertEquals(200, get("/headers", "Authorization: Bearer good\r\n").status());
    }

    @Test
    void aServiceSlowerThanTheTimeoutIs500() throws Exception {
        RawResponse r = get("/headers", "Authorization: Bearer slow\r\n");
        assertEquals(500, r.status(), r.toString());
        assertEquals(200, get("/headers", "Authorization: Bearer good\r\n").status()); // another connection serves
    }

    @Test
    void aBodyThatArrivesWhileTheRequestWaitsReachesTheApp() throws Exception {
        int size = 1_000_000; // well over what a session holds unread while the request waits
        try (RawClient c = client()) {
            for (int i = 0; i < 5; i++) { // and the client connection stays usable
                c.send("POST /echo HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer good\r\nContent-Length: " + size + "\r\n\r\n");
                c.sendBody(7 + i, size);
                RawResponse r = c.readResponse();
                assertEquals(200, r.status(), r.toString());
                assertEquals("sha256=" + DeterministicBytes.of(7 + i).sha256Hex(size) + " len=" + size, r.bodyString());
            }
        }
    }

    @Test
    void theCacheAsksTheServiceOncePerCredentialWithinItsTtl() throws Exception {
        int before = Integer.parseInt(authService("/count").trim());
        try (RawClient c = RawClient.connect(server.boundAddress("cached").getPort())) {
            for (int i = 0; i < 5; i++) {
                RawResponse r = c.exchange("GET /headers HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer good-cache\r\n"
                        + "X-User: mallory\r\n\r\n");
                assertEquals(200, r.status(), r.toString());
                assertTrue(r.bodyString().contains("X-User: alice\n"), r.bodyString());
                assertFalse(r.bodyString().contains("mallory"), r.bodyString()); // removed on a cache hit too
            }
            // another credential is another question; a denial is not kept (denials: false)
            assertEquals(200, c.exchange("GET /headers HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer good-other\r\n\r\n").status());
            assertEquals(401, c.exchange("GET /headers HTTP/1.1\r\nHost: t\r\n\r\n").status());
            assertEquals(401, c.exchange("GET /headers HTTP/1.1\r\nHost: t\r\n\r\n").status());
        }
        int after = Integer.parseInt(authService("/count").trim());
        assertEquals(4, after - before);
    }

    @Test
    void theCacheNeverSharesAnAnswerAcrossAnonymousRequestsHostsOrPaths() throws Exception {
        try (RawClient c = RawClient.connect(server.boundAddress("cached").getPort())) {
            // An anonymous 2xx (a public page) is not kept: the next anonymous request is asked again.
            RawResponse pub = c.exchange("GET /headers?public=1 HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals(200, pub.status(), pub.toString());
            assertTrue(pub.bodyString().contains("X-User: anonymous\n"), pub.bodyString());
            assertEquals(401, c.exchange("GET /headers HTTP/1.1\r\nHost: t\r\n\r\n").status());
            // A 2xx for one host is not one for another, even with the same (domain-wide) credential.
            String cred = "Authorization: Bearer app1-only\r\n";
            assertEquals(200, c.exchange("GET /headers HTTP/1.1\r\nHost: app1.example\r\n" + cred + "\r\n").status());
            assertEquals(403, c.exchange("GET /headers HTTP/1.1\r\nHost: admin.example\r\n" + cred + "\r\n").status());
            // The default scope (request): a 2xx for one target is not one for another.
            String open = "Authorization: Bearer path-open\r\n";
            assertEquals(200, c.exchange("GET /headers?open=1 HTTP/1.1\r\nHost: t\r\n" + open + "\r\n").status());
            assertEquals(403, c.exchange("GET /headers HTTP/1.1\r\nHost: t\r\n" + open + "\r\n").status());
            int before = Integer.parseInt(authService("/count").trim());
            assertEquals(200, c.exchange("GET /headers?open=1 HTTP/1.1\r\nHost: t\r\n" + open + "\r\n").status());
            assertEquals(before, Integer.parseInt(authService("/count").trim()), "the same request is still a cache hit");
        }
    }

    @Test
    void manyClientsAtOnceAllGetTheirAnswer() throws Exception {
        int n = 40;
        java.util.List<java.util.concurrent.Future<Integer>> results = new java.util.ArrayList<>();
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
        try {
            for (int i = 0; i < n; i++) {
                String cred = i % 2 == 0 ? "Authorization: Bearer good\r\n" : "";
                results.add(pool.submit(() -> get("/headers", cred).status()));
            }
            int ok = 0;
            int denied = 0;
            for (var f : results) {
                int s = f.get(60, java.util.concurrent.TimeUnit.SECONDS);
                if (s == 200) {
                    ok++;
                } else if (s == 401) {
                    denied++;
                }
            }
            assertEquals(n / 2, ok);
            assertEquals(n / 2, denied);
        } finally {
            pool.shutdownNow();
        }
    }
}
