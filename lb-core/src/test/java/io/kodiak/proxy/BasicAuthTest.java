package io.kodiak.proxy;

import io.kodiak.auth.Htpasswd;
import io.kodiak.config.ConfigLoader;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.RawResponse;
import io.kodiak.testing.RecordedRequest;
import io.kodiak.testing.ScriptedUpstream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Base64;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code basic-auth} over real sockets, with htpasswd files made by Apache's {@code htpasswd}: the
 * right and wrong password of each form, an unknown user, malformed fields, the challenge, what
 * goes upstream (Authorization, the user's field, a forged one), error pages on the 401, a
 * listener-wide section, the cache of recent successes, and a file changed on disk.
 */
@Timeout(120)
class BasicAuthTest {
    private ScriptedUpstream web;
    private ProxyServer server;
    private Path users;
    private Path log;
    private Path config;

    @BeforeEach
    void start(@TempDir Path dir) throws Exception {
        web = ScriptedUpstream.start("web");
        users = dir.resolve("htpasswd");
        log = dir.resolve("access.log");
        Htpasswd.add(users, "B", "bea", "bcrypt-pw");
        Htpasswd.add(users, "m", "max", "apr1-pw");
        Htpasswd.add(users, "s", "sam", "sha1-pw");
        Htpasswd.add(users, "B", "émile", "pässwörd");
        Files.writeString(dir.resolve("401.html"), "<h1>who are you?</h1>\n");
        Path file = dir.resolve("kodiak.yaml");
        config = file;
        Files.writeString(file, "admin: {listen: off, state-file: off}\nmetrics: off\n"
                + "listeners:\n  - name: front\n    address: 127.0.0.1:0\n"
                + "    access-log: {target: " + log + ", format: combined}\n    routes:\n"
                + "      - path-prefix: /admin/\n        pool: web\n"
                + "        basic-auth: {realm: Admin area, users-file: htpasswd, user-header: X-Forwarded-User}\n"
                + "      - path-prefix: /pass/\n        pool: web\n"
                + "        basic-auth: {users-file: htpasswd, pass-authorization: true}\n"
                + "      - path-prefix: /paged/\n        pool: web\n        basic-auth: htpasswd\n"
                + "        error-pages: {\"401\": 401.html}\n"
                + "      - {pool: web}\n"
                + "  - name: locked\n    address: 127.0.0.1:0\n    basic-auth: {realm: All, users-file: ./htpasswd}\n"
                + "    routes:\n      - {pool: web}\n"
                + "  - name: underscored\n    address: 127.0.0.1:0\n    underscores-in-headers: pass\n"
                + "    basic-auth: {users-file: htpasswd, user-header: X-Forwarded-User}\n    routes:\n      - {pool: web}\n"
                + "pools:\n"
                + "  web: {health-check: {type: none}, upstreams: [{name: web, address: \"" + web.hostPort() + "\"}]}\n");
        server = ProxyServer.start(ConfigLoader.load(file));
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        web.close();
    }

    private static String basic(String userPassword) {
        return "Basic " + Base64.getEncoder().encodeToString(userPassword.getBytes(StandardCharsets.UTF_8));
    }

    private RawResponse get(String listener, String target, String... fields) throws Exception {
        StringBuilder req = new StringBuilder("GET " + target + " HTTP/1.1\r\nHost: front.example\r\n");
        for (String f : fields) {
            req.append(f).append("\r\n");
        }
        try (RawClient c = RawClient.connect(server.boundAddress(listener).getPort())) {
            return c.exchange(req.append("\r\n").toString());
        }
    }

    private RawResponse admin(String credentials) throws Exception {
        return get("front", "/admin/x", "Authorization: " + credentials);
    }

    private RecordedRequest lastUpstreamRequest() throws InterruptedException {
        RecordedRequest r = web.takeRequest(Duration.ofSeconds(10));
        assertTrue(r != null, "the upstream got the request");
        return r;
    }

    @Test
    void eachFormLetsItsUserInAndRefusesAWrongPassword() throws Exception {
        String[][] good = {{"bea", "bcrypt-pw"}, {"max", "apr1-pw"}, {"sam", "sha1-pw"}, {"émile", "pässwörd"}};
        for (String[] u : good) {
            RawResponse ok = admin(basic(u[0] + ":" + u[1]));
            assertEquals(200, ok.status(), u[0]);
            RawResponse bad = admin(basic(u[0] + ":" + u[1] + "!"));
            assertEquals(401, bad.status(), u[0] + " with a wrong password");
            assertEquals("Basic realm=\"Admin area\", charset=\"UTF-8\"", bad.header("WWW-Authenticate"));
        }
        assertEquals(4, web.requestsReceived(), "only the right passwords went upstream");
    }

    @Test
    void anUnknownUserAndNoCredentialsGetTheChallenge() throws Exception {
        RawResponse unknown = admin(basic("mallory:bcrypt-pw"));
        assertEquals(401, unknown.status());
        assertEquals("401 Unauthorized\n", unknown.bodyString());
        RawResponse none = get("front", "/admin/x");
        assertEquals(401, none.status());
        assertEquals("Basic realm=\"Admin area\", charset=\"UTF-8\"", none.header("WWW-Authenticate"));
        assertEquals(200, get("front", "/open").status(), "routes without basic-auth are open");
        assertEquals(1, web.requestsReceived());
    }

    @Test
    void malformedAuthorizationIsA401NotA500() throws Exception {
        String[] malformed = {
                basic("no-colon"), "Basic %%%not-base64", "Basic", "Bearer abc.def.ghi",
                "Basic " + "QUFB".repeat(500), basic("bea:bcrypt-pw") + " trailing",
        };
        for (String m : malformed) {
            assertEquals(401, admin(m).status(), m);
        }
        RawResponse two = get("front", "/admin/x", "Authorization: " + basic("bea:bcrypt-pw"),
                "Authorization: " + basic("sam:sha1-pw"));
        assertEquals(401, two.status(), "two Authorization fields: neither is believed");
        RawResponse huge = admin("Basic " + "A".repeat(70_000));
        assertTrue(huge.status() == 401 || huge.status() == 431 || huge.status() == 400, "a huge field: " + huge.status());
        assertEquals(0, web.requestsReceived());
        assertEquals(200, admin(basic("bea:bcrypt-pw")).status(), "and the proxy still answers");
    }

    @Test
    void upstreamGetsTheUserNotThePasswordAndCannotBeFooled() throws Exception {
        assertEquals(200, get("front", "/admin/x", "Authorization: " + basic("bea:bcrypt-pw"),
                "X-Forwarded-User: root").status());
        RecordedRequest r = lastUpstreamRequest();
        assertNull(r.header("Authorization"), "the password stays at the edge");
        assertEquals("bea", r.header("X-Forwarded-User"), "the client's own field is replaced");
        assertEquals(200, admin(basic("émile:pässwörd")).status());
        assertEquals("%C3%A9mile", lastUpstreamRequest().header("X-Forwarded-User"), "a non-ASCII name, percent-encoded");

        assertEquals(200, get("front", "/pass/x", "Authorization: " + basic("sam:sha1-pw"),
                "X-Forwarded-User: root").status());
        r = lastUpstreamRequest();
        assertEquals(basic("sam:sha1-pw"), r.header("Authorization"), "pass-authorization: true");
        assertEquals("root", r.header("X-Forwarded-User"), "no user-header here: the field is the client's business");
    }

    @Test
    void theUserHeadersUnderscoreTwinsCannotForgeTheUserWhereTheListenerPassesUnderscores() throws Exception {
        // Gunicorn, uWSGI and mod_wsgi read X_Forwarded_User (any '-' as '_') as X-Forwarded-User: HTTP_X_FORWARDED_USER.
        assertEquals(200, get("underscored", "/x", "Authorization: " + basic("bea:bcrypt-pw"), "X_Forwarded_User: root",
                "x-forwarded_user: root", "X_Other: kept").status());
        RecordedRequest r = lastUpstreamRequest();
        String head = r.rawHeadString();
        assertEquals("kept", r.header("X_Other"), "the listener passes names with '_'");
        assertEquals("bea", r.header("X-Forwarded-User"));
        assertFalse(head.contains("root"), head);
    }

    @Test
    void theAccessLogNamesTheUserAsNginxsRemoteUser() throws Exception {
        assertEquals(200, admin(basic("bea:bcrypt-pw")).status());
        assertEquals(401, admin(basic("max:wrong")).status());
        Conditions.await("two lines", () -> logLines().size() == 2, Duration.ofSeconds(10));
        assertTrue(logLines().get(0).startsWith("127.0.0.1 - bea ["), logLines().get(0));
        assertTrue(logLines().get(1).startsWith("127.0.0.1 - - ["), "no user for a refused request: " + logLines().get(1));
    }

    private java.util.List<String> logLines() {
        try {
            return Files.exists(log) ? Files.readAllLines(log, StandardCharsets.UTF_8) : java.util.List.of();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void errorPagesApplyToThe401() throws Exception {
        RawResponse r = get("front", "/paged/x", "Authorization: " + basic("bea:wrong"));
        assertEquals(401, r.status());
        assertEquals("<h1>who are you?</h1>\n", r.bodyString());
        assertEquals("Basic realm=\"Restricted\", charset=\"UTF-8\"", r.header("WWW-Authenticate"), "the default realm");
    }

    @Test
    void aListenerSectionGuardsEveryRoute() throws Exception {
        RawResponse r = get("locked", "/anything");
        assertEquals(401, r.status());
        assertEquals("Basic realm=\"All\", charset=\"UTF-8\"", r.header("WWW-Authenticate"));
        assertEquals(200, get("locked", "/anything", "Authorization: " + basic("max:apr1-pw")).status());
    }

    @Test
    void repeatedRequestsOnOneConnectionReuseTheVerification() throws Exception {
        try (RawClient c = RawClient.connect(server.boundAddress("front").getPort())) {
            for (int i = 0; i < 20; i++) {
                RawResponse r = c.exchange("GET /admin/" + i + " HTTP/1.1\r\nHost: f\r\nAuthorization: "
                        + basic("bea:bcrypt-pw") + "\r\n\r\n");
                assertEquals(200, r.status(), "request " + i);
            }
        }
        io.kodiak.auth.BasicAuthRuntime rt = server.featureRuntime().basicAuth();
        assertEquals(20, rt.granted());
        assertEquals(19, rt.cacheHits(), "one bcrypt, then the cache");
    }

    @Test
    void aChangedFileIsReadAgainAndABrokenOneKeepsTheLastGoodUsers() throws Exception {
        assertEquals(200, admin(basic("sam:sha1-pw")).status());
        Path next = users.resolveSibling("htpasswd.next");
        Htpasswd.add(next, "s", "sam", "new-pw");
        Files.move(next, users, StandardCopyOption.REPLACE_EXISTING); // as an editor or a deploy replaces it
        awaitStatus(basic("sam:new-pw"), 200);
        assertEquals(401, admin(basic("sam:sha1-pw")).status(), "the old password is gone");
        assertEquals(401, admin(basic("bea:bcrypt-pw")).status(), "so is a user the new file does not name");

        io.kodiak.auth.BasicAuthRuntime rt = server.featureRuntime().basicAuth();
        Files.writeString(users, "sam:plaintext\n"); // a broken edit: refused, the last good users stay
        long polls = rt.polls();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (rt.polls() < polls + 2 && System.nanoTime() < deadline) { // two whole rounds: the file was read
            Thread.sleep(50);
        }
        assertTrue(rt.polls() >= polls + 2, "the file was polled");
        assertEquals(200, admin(basic("sam:new-pw")).status(), "still the last good file");
        Htpasswd.add(next, "s", "tom", "tom-pw");
        Files.move(next, users, StandardCopyOption.REPLACE_EXISTING);
        awaitStatus(basic("tom:tom-pw"), 200);
    }

    @Test
    void manyChecksAtOnceAreEachAnsweredAndAClientThatLeavesCostsNothingMore() throws Exception {
        for (int i = 0; i < 5; i++) { // clients that leave while their password is checked
            RawClient gone = RawClient.connect(server.boundAddress("front").getPort());
            gone.send("GET /admin/x HTTP/1.1\r\nHost: f\r\nAuthorization: " + basic("bea:gone-" + i) + "\r\n\r\n");
            gone.reset();
        }
        int n = 24;
        java.util.concurrent.ExecutorService clients = java.util.concurrent.Executors.newFixedThreadPool(n);
        try {
            java.util.List<java.util.concurrent.Future<Integer>> answers = new java.util.ArrayList<>();
            for (int i = 0; i < n; i++) {
                String credentials = i % 2 == 0 ? basic("bea:bcrypt-pw") : basic("bea:wrong-" + i); // distinct: no cache
                answers.add(clients.submit(() -> admin(credentials).status()));
            }
            for (int i = 0; i < n; i++) {
                assertEquals(i % 2 == 0 ? 200 : 401, answers.get(i).get(30, java.util.concurrent.TimeUnit.SECONDS), "request " + i);
            }
        } finally {
            clients.shutdownNow();
        }
        io.kodiak.auth.BasicAuthRuntime rt = server.featureRuntime().basicAuth();
        Conditions.await("every check done", () -> rt.pending() == 0, Duration.ofSeconds(10));
        assertEquals(n / 2, web.requestsReceived());
    }

    @Test
    void aReloadReadsTheFileAtOnceAndABrokenOneIsRefusedWithItsLine() throws Exception {
        Path next = users.resolveSibling("htpasswd.next");
        Htpasswd.add(next, "B", "zoe", "zoe-pw");
        Files.move(next, users, StandardCopyOption.REPLACE_EXISTING);
        server.reload(ConfigLoader.load(config));
        assertEquals(200, admin(basic("zoe:zoe-pw")).status(), "no wait for the poll");
        assertEquals(401, admin(basic("bea:bcrypt-pw")).status());

        Files.writeString(users, "zoe:hunter2\n");
        io.kodiak.config.ConfigException e = org.junit.jupiter.api.Assertions.assertThrows(
                io.kodiak.config.ConfigException.class, () -> ConfigLoader.load(config));
        assertTrue(e.getMessage().startsWith(users + ":1: listeners[0].routes[0].basic-auth.users-file: user \"zoe\": "),
                e.getMessage());
    }

    /** Asks until the answer is {@code status}, within 30 s (the file is polled every few seconds). */
    private void awaitStatus(String credentials, int status) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        int last;
        do {
            last = admin(credentials).status();
            if (last == status) {
                return;
            }
            Thread.sleep(100);
        } while (System.nanoTime() < deadline);
        assertEquals(status, last, "within 30 s");
    }
}
