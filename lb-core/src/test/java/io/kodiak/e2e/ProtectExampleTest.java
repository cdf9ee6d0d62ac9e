package io.kodiak.e2e;

import io.kodiak.config.ConfigLoader;
import io.kodiak.config.KodiakConfig;
import io.kodiak.testing.Gunicorn;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.RawResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code examples/protect.yaml} as it is, in front of three real Gunicorn instances of a Flask app:
 * {@code /admin/} behind basic authentication from {@code examples/htpasswd} (demo/demo),
 * {@code /api/} limited to 10 requests a second per client address with a burst of 5 (429 beyond),
 * {@code /.env} and {@code /wp-admin} denied by the bundled request rules, everything else proxied.
 *
 * <p>Only the addresses change, as in {@link EdgeExampleTest}: the listener binds port 0, the pool
 * names the Gunicorn instances, admin and metrics are off (tests never bind fixed ports). The
 * users file is read from the example's directory, as {@code kodiak run -c examples/protect.yaml}
 * reads it.
 */
@Timeout(120)
class ProtectExampleTest {
    private static final Path PROTECT = ExampleFile.ROOT.resolve("examples/protect.yaml");
    private static ExampleFile example;
    private static int port;

    @BeforeAll
    static void start() throws Exception {
        example = new ExampleFile("protect.yaml");
        port = example.port("edge");
    }

    @AfterAll
    static void stop() {
        if (example != null) {
            example.close();
        }
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void theFileAsItIsIsValidWithoutWarnings() throws Exception {
        KodiakConfig c = ConfigLoader.load(PROTECT);
        assertEquals(List.of(), c.warnings());
        assertEquals(8080, c.listeners().get(0).address().getPort());
    }

    @Test
    void adminNeedsTheDemoUserAndTheAppGetsTheNameNotThePassword() throws Exception {
        try (RawClient c = RawClient.connect(port)) {
            RawResponse none = c.get("/admin/");
            assertEquals(401, none.status());
            assertEquals("Basic realm=\"Admin\", charset=\"UTF-8\"", none.header("WWW-Authenticate"));
            assertNull(none.header("X-Instance"), "the app never saw it");

            RawResponse wrong = c.exchange("GET /admin/ HTTP/1.1\r\nHost: shop\r\nAuthorization: "
                    + basic("demo", "guess") + "\r\n\r\n");
            assertEquals(401, wrong.status());

            for (int i = 0; i < 3; i++) {
                RawResponse ok = c.exchange("GET /admin/ HTTP/1.1\r\nHost: shop\r\nAuthorization: "
                        + basic("demo", "demo") + "\r\n\r\n");
                assertEquals(200, ok.status());
                assertNotNull(ok.header("X-Instance"));
                assertTrue(ok.bodyString().contains("user=demo password-seen=no"), ok.bodyString());
            }
        }
    }

    @Test
    void apiAllowsOnePlusABurstOfFiveAtOnceThenAnswers429WithRetryAfterPerClient() throws Exception {
        InetAddress other = InetAddress.getByName("127.0.0.3");
        int requests = 60;
        StringBuilder burst = new StringBuilder();
        for (int i = 0; i < requests; i++) {
            burst.append("GET /api/items HTTP/1.1\r\nHost: shop\r\n\r\n");
        }
        int passed = 0;
        int limited = 0;
        String retryAfter = null;
        long began = System.nanoTime();
        try (RawClient c = RawClient.connectFrom(InetAddress.getByName("127.0.0.2"), port)) {
            c.send(burst.toString()); // pipelined: as fast as the client can send them
            for (RawResponse r : c.readResponses(requests)) {
                if (r.status() == 200) {
                    passed++;
                } else {
                    assertEquals(429, r.status(), r.toString());
                    limited++;
                    retryAfter = r.header("Retry-After");
                    assertNull(r.header("X-Instance"), "a refused request never reaches the app");
                }
            }
        }
        double seconds = (System.nanoTime() - began) / 1e9;
        // 1 + burst 5 at once, then at most 10 a second more while the run lasted (and one for rounding).
        assertTrue(passed >= 6, "passed " + passed);
        assertTrue(passed <= 6 + (int) Math.ceil(seconds * 10) + 1, "passed " + passed + " in " + seconds + " s");
        assertEquals(requests, passed + limited);
        assertTrue(limited > 0, "none limited in " + seconds + " s");
        assertNotNull(retryAfter, "a 429 says when to come back");
        assertTrue(Integer.parseInt(retryAfter) >= 1);
        try (RawClient c = RawClient.connectFrom(other, port)) {
            assertEquals(200, c.get("/api/items").status(), "another client address has its own allowance");
        }
    }

    @Test
    void scannerProbesAreDeniedByTheBundledRulesAndNeverReachTheApp() throws Exception {
        try (RawClient c = RawClient.connect(port)) {
            for (String probe : List.of("/.env", "/wp-admin", "/wp-admin/", "/wp-admin/install.php", "/.git/config",
                    "/static/..%2f..%2fetc/passwd")) {
                RawResponse r = c.get(probe);
                assertEquals(403, r.status(), probe);
                assertNull(r.header("X-Instance"), probe + " reached the app");
            }
            assertEquals(200, c.get("/").status(), "the connection goes on");
        }
    }

    @Test
    void everythingElseIsProxiedRoundRobin() throws Exception {
        Map<String, Integer> served = new HashMap<>();
        try (RawClient c = RawClient.connect(port)) {
            for (int i = 0; i < 9; i++) {
                RawResponse r = c.get("/");
                assertEquals(200, r.status());
                served.merge(r.header("X-Instance"), 1, Integer::sum);
            }
            assertEquals(404, c.get("/missing").status(), "the app's own 404");
        }
        assertEquals(Map.of("app-1", 3, "app-2", 3, "app-3", 3), served);
    }
}
