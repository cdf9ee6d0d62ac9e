package io.kodiak.proxy;

import io.kodiak.Kodiak;
import io.kodiak.config.ConfigLoader;
import io.kodiak.config.MetricsConfig;
import io.kodiak.testing.Action;
import io.kodiak.testing.Loopback;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.RawResponse;
import io.kodiak.testing.ScriptedUpstream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import javax.management.ObjectName;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Rate and concurrency limits over real sockets: nginx's {@code limit_req} burst and
 * {@code nodelay} counted exactly on a slow rate, the rate itself counted over a bounded run with
 * tolerances, delayed requests held (never answered before their time), {@code limit_conn} against
 * a slow upstream, keys by header and cookie, the access log's {@code RR}, the zones' MBeans, and
 * zones kept across a reload that leaves them unchanged.
 */
@Timeout(60)
class RateLimitTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    /** The rules file of this tree (the lb-metrics jar built into lb-core's classpath may be older). */
    private static final Path RULES = Path.of("..", "lb-metrics", "src", "main", "resources", "io", "kodiak", "metrics",
            "jmx-exporter.yaml").toAbsolutePath().normalize();
    private static final MetricsConfig METRICS_ON = new MetricsConfig(true, new InetSocketAddress(Loopback.ADDRESS, 0), RULES);
    @TempDir
    Path dir;
    private ScriptedUpstream app;
    private Kodiak kodiak;
    private final ConcurrentLinkedQueue<Long> arrivals = new ConcurrentLinkedQueue<>();
    private volatile CountDownLatch hold = new CountDownLatch(0);

    @AfterEach
    void stop() {
        hold.countDown();
        if (kodiak != null) {
            kodiak.close();
        }
        if (app != null) {
            app.close();
        }
    }

    private Path write(String zones, String route, String accessLog) throws Exception {
        return write(zones, route, accessLog, "");
    }

    private Path write(String zones, String route, String accessLog, String listenerExtra) throws Exception {
        if (app == null) {
            app = ScriptedUpstream.start("app", r -> {
                arrivals.add(System.nanoTime());
                try {
                    hold.await(20, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return Action.ok("hello\n");
            });
        }
        Path file = dir.resolve("kodiak.yaml");
        Files.writeString(file, "admin: {listen: off, state-file: off}\nmetrics: off\n" + zones
                + "listeners:\n  - name: web\n    address: 127.0.0.1:0\n"
                + (accessLog == null ? "" : "    access-log: " + accessLog + "\n") + listenerExtra
                + "    routes: [" + route + "]\n"
                + "pools:\n  app: {health-check: {type: none}, upstreams: [{name: app, address: \"" + app.hostPort() + "\"}]}\n");
        return file;
    }

    private void start(String zones, String route) throws Exception {
        start(zones, route, null);
    }

    private void start(String zones, String route, String accessLog) throws Exception {
        kodiak = Kodiak.start(ConfigLoader.load(write(zones, route, accessLog)).withMetrics(METRICS_ON));
    }

    private RawClient client() throws Exception {
        return RawClient.connect(kodiak.boundAddress("web").getPort());
    }

    /** Sends {@code n} requests one after another on one connection: their statuses. */
    private List<RawResponse> sequential(int n, String fields) throws Exception {
        List<RawResponse> out = new ArrayList<>();
        try (RawClient c = client()) {
            for (int i = 0; i < n; i++) {
                out.add(c.exchange("GET /" + i + " HTTP/1.1\r\nHost: t\r\n" + fields + "\r\n"));
            }
        }
        return out;
    }

    private static long count(List<RawResponse> rs, int status) {
        return rs.stream().filter(r -> r.status() == status).count();
    }

    @Test
    void withNodelayExactlyOnePlusBurstPassThenEachGets429WithRetryAfter() throws Exception {
        // 1r/m: nothing drains during the run, so the count is exact.
        start("rate-limits:\n  per-client: {key: \"$remote_addr\", rate: 1r/m}\n",
                "{pool: app, rate-limit: {zone: per-client, burst: 5, nodelay: true}}",
                "{target: " + dir.resolve("access.json") + ", format: json}");
        List<RawResponse> rs = sequential(30, "");
        for (int i = 0; i < 6; i++) {
            assertEquals(200, rs.get(i).status(), "request " + i);
        }
        for (int i = 6; i < 30; i++) {
            RawResponse r = rs.get(i);
            assertEquals(429, r.status(), "request " + i);
            long retry = Long.parseLong(r.header("Retry-After"));
            assertTrue(retry >= 1 && retry <= 60, "a slot frees within one interval (60 s): " + retry);
            assertEquals("Too many requests\n", r.bodyString());
        }
        assertNull(rs.get(0).header("Retry-After"));
        assertEquals(6, app.requestsReceived());
        ObjectName zone = new ObjectName("io.kodiak:type=RateLimit,zone=\"per-client\"");
        Conditions.await("the zone counted all", () -> attribute(zone, "requests_total.result=rejected") == 24, WAIT);
        assertEquals(6L, attribute(zone, "requests_total.result=passed"));
        assertEquals(0L, attribute(zone, "requests_total.result=delayed"));
        assertEquals(1.0, ((Number) ManagementFactory.getPlatformMBeanServer().getAttribute(zone, "keys")).doubleValue());
        String scrape;
        try (RawClient m = RawClient.connect(kodiak.metricsAddress().getPort())) {
            scrape = m.exchange("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").bodyString();
        }
        assertTrue(scrape.contains("kodiak_rate_limit_requests_total{result=\"rejected\",zone=\"per-client\"} 24.0"), scrape);
        assertTrue(scrape.contains("kodiak_rate_limit_requests_total{result=\"passed\",zone=\"per-client\"} 6.0"), scrape);
        assertTrue(scrape.contains("kodiak_rate_limit_keys{zone=\"per-client\"} 1.0"), scrape);
        assertTrue(scrape.contains("kodiak_rate_limit_evictions_total{zone=\"per-client\"} 0.0"), scrape);
        Path log = dir.resolve("access.json");
        Conditions.await("30 log lines", () -> lines(log).size() == 30, WAIT);
        assertTrue(lines(log).get(29).contains("\"termination\":\"RR\""), lines(log).get(29));
        assertTrue(lines(log).get(29).contains("\"status\":429"), lines(log).get(29));
        assertTrue(lines(log).get(0).contains("\"termination\":\"--\""), lines(log).get(0));
    }

    private static long attribute(ObjectName name, String attribute) {
        try {
            return ((Number) ManagementFactory.getPlatformMBeanServer().getAttribute(name, attribute)).longValue();
        } catch (javax.management.JMException e) {
            return -1;
        }
    }

    private static List<String> lines(Path p) {
        try {
            return Files.exists(p) ? Files.readAllLines(p, StandardCharsets.UTF_8) : List.of();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void overAFewSecondsAboutTheRatePasses() throws Exception {
        start("rate-limits:\n  z: {key: \"$remote_addr\", rate: 20r/s}\n", "{pool: app, rate-limit: {zone: z, nodelay: true}}");
        int passed = 0;
        int sent = 0;
        long start = System.nanoTime();
        try (RawClient c = client()) {
            while (System.nanoTime() - start < 2_000_000_000L && sent < 100_000) {
                RawResponse r = c.exchange("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
                sent++;
                if (r.status() == 200) {
                    passed++;
                } else {
                    assertEquals(429, r.status());
                }
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        // A leaky bucket never lets more than 1 + burst + rate * elapsed through; a client that
        // keeps asking gets close to it (the tolerance covers a loaded machine's slow sends: a
        // client slower than the rate has nearly every request let through).
        assertTrue(passed <= 1 + 20 * seconds + 1, passed + " passed in " + seconds + " s of " + sent);
        assertTrue(passed >= Math.min(0.9 * sent, 0.7 * 20 * seconds), passed + " passed in " + seconds + " s of " + sent);
    }

    @Test
    void withoutNodelayTheBurstIsDelayedNotRefusedAndNeverSentEarly() throws Exception {
        start("rate-limits:\n  z: {key: \"$remote_addr\", rate: 10r/s}\n", "{pool: app, rate-limit: {zone: z, burst: 3}}");
        ExecutorService pool = Executors.newFixedThreadPool(5);
        try {
            List<Future<Integer>> results = new ArrayList<>();
            CountDownLatch go = new CountDownLatch(1);
            for (int i = 0; i < 5; i++) {
                results.add(pool.submit(() -> {
                    try (RawClient c = client()) {
                        go.await();
                        return c.get("/").status();
                    }
                }));
            }
            long start = System.nanoTime(); // no request reaches Kodiak before this
            go.countDown();
            List<Integer> statuses = new ArrayList<>();
            for (Future<Integer> f : results) {
                statuses.add(f.get(20, TimeUnit.SECONDS));
            }
            statuses.sort(null);
            assertEquals(List.of(200, 200, 200, 200, 429), statuses, "1 + burst pass, the fifth is refused");
            // The first passes at its arrival t0; the others are released at t0 + 100, 200 and 300 ms
            // (each waits its excess, less what drained before it came). The timer never fires early,
            // so the last reaches the app at least 300 ms after the requests were let go.
            List<Long> at = new ArrayList<>(arrivals);
            at.sort(null);
            assertEquals(4, at.size());
            assertTrue(at.get(3) - start >= 300_000_000L, "last after " + (at.get(3) - start) / 1_000_000 + " ms");
            assertTrue(at.get(2) - start >= 200_000_000L, "third after " + (at.get(2) - start) / 1_000_000 + " ms");
            ObjectName zone = new ObjectName("io.kodiak:type=RateLimit,zone=\"z\"");
            assertEquals(3L, attribute(zone, "requests_total.result=delayed"));
            assertEquals(1L, attribute(zone, "requests_total.result=passed"));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void concurrencyLimitCountsRequestsInProgressAndGivesThemBack() throws Exception {
        hold = new CountDownLatch(1);
        start("concurrency-limits:\n  inflight: {key: \"$remote_addr\"}\n", "{pool: app, concurrency-limit: {zone: inflight, max: 2}}");
        RawClient a = client();
        RawClient b = client();
        a.send("GET /a HTTP/1.1\r\nHost: t\r\n\r\n");
        b.send("GET /b HTTP/1.1\r\nHost: t\r\n\r\n");
        app.await("two at the app", () -> app.requestsInProgress() == 2, WAIT);
        RawResponse third;
        try (RawClient c = client()) {
            third = c.get("/c");
        }
        assertEquals(429, third.status());
        assertEquals("1", third.header("Retry-After"));
        hold.countDown();
        assertEquals(200, a.readResponse().status());
        assertEquals(200, b.readResponse().status());
        a.close();
        b.close();
        // Both were given back: two more may be in progress at once again.
        ObjectName zone = new ObjectName("io.kodiak:type=ConcurrencyLimit,zone=\"inflight\"");
        Conditions.await("given back", () -> attribute(zone, "in_flight") == 0, WAIT);
        assertEquals(200, sequential(1, "").get(0).status());
        assertEquals(3L, attribute(zone, "requests_total.result=passed"));
        assertEquals(1L, attribute(zone, "requests_total.result=rejected"));
    }

    @Test
    void aClientGoneWhileItsRequestIsAtTheAppGivesItsSlotBack() throws Exception {
        hold = new CountDownLatch(1);
        start("concurrency-limits:\n  inflight: {key: \"$remote_addr\"}\n", "{pool: app, concurrency-limit: {zone: inflight, max: 1}}");
        RawClient a = client();
        a.send("GET /a HTTP/1.1\r\nHost: t\r\n\r\n");
        app.await("at the app", () -> app.requestsInProgress() == 1, WAIT);
        a.close();
        ObjectName zone = new ObjectName("io.kodiak:type=ConcurrencyLimit,zone=\"inflight\"");
        Conditions.await("given back when the exchange ended", () -> attribute(zone, "in_flight") == 0, WAIT);
        hold.countDown();
        assertEquals(200, sequential(1, "").get(0).status());
    }

    @Test
    void keysByHeaderAndByCookieAndAnEmptyKeyIsNotLimited() throws Exception {
        start("rate-limits:\n  token: {key: \"$http_x_api_key\", rate: 1r/m}\n  session: {key: \"$cookie_session\", rate: 1r/m}\n",
                "{pool: app, rate-limit: [{zone: token}, {zone: session}]}");
        assertEquals(List.of(200, 429), statuses(sequential(2, "X-Api-Key: a\r\n")));
        assertEquals(List.of(200, 429), statuses(sequential(2, "X-Api-Key: b\r\n")));
        assertEquals(List.of(200, 200, 200), statuses(sequential(3, "")), "no key: not limited (nginx)");
        assertEquals(List.of(200, 429), statuses(sequential(2, "Cookie: theme=dark; session=s1\r\n")));
        // Refused by the cookie's zone: the token's bucket was not charged, so c still has its request.
        assertEquals(List.of(429), statuses(sequential(1, "Cookie: session=s1\r\nX-Api-Key: c\r\n")));
        assertEquals(List.of(200), statuses(sequential(1, "X-Api-Key: c\r\n")));
    }

    private static List<Integer> statuses(List<RawResponse> rs) {
        return rs.stream().map(RawResponse::status).toList();
    }

    @Test
    void aReloadKeepsAnUnchangedZoneAndStartsAChangedOneAfresh() throws Exception {
        String zones = "rate-limits:\n  z: {key: \"$remote_addr\", rate: 1r/m}\n";
        String route = "{pool: app, rate-limit: {zone: z, burst: 1, nodelay: true}}";
        start(zones, route);
        assertEquals(List.of(200, 200, 429), statuses(sequential(3, "")));
        write(zones, route + ", {path: /other, pool: app}", null);
        kodiak.reload();
        assertEquals(List.of(429), statuses(sequential(1, "")), "the zone kept its buckets");
        write(zones.replace("1r/m", "2r/m"), route, null);
        kodiak.reload();
        assertEquals(List.of(200), statuses(sequential(1, "")), "a changed zone starts afresh");
    }

    /**
     * A reload that builds a changed zone and then fails (a new listener's address is taken)
     * leaves the running zone as it was: reloading the running file after it does not reset it.
     */
    @Test
    void aFailedReloadChangesNoZone() throws Exception {
        String zones = "rate-limits:\n  z: {key: \"$remote_addr\", rate: 1r/m}\n";
        String route = "{pool: app, rate-limit: {zone: z, burst: 1, nodelay: true}}";
        start(zones, route);
        assertEquals(List.of(200, 200, 429), statuses(sequential(3, "")));
        try (java.net.ServerSocket busy = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Path f = write(zones.replace("1r/m", "2r/m"), route, null);
            Files.writeString(f, Files.readString(f).replace("pools:\n", "  - name: other\n    address: 127.0.0.1:"
                    + busy.getLocalPort() + "\n    routes: [" + route + "]\npools:\n"));
            org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class, kodiak::reload);
        }
        assertEquals(List.of(429), statuses(sequential(1, "")), "the failed reload left the zone serving");
        write(zones, route, null);
        kodiak.reload();
        assertEquals(List.of(429), statuses(sequential(1, "")), "the running zone is unchanged: its buckets are kept");
    }

    /** A zone a reload adds has its MBean as soon as the reload returns (the zones are committed before the metrics sync). */
    @Test
    void aZoneAddedByAReloadIsInTheMetricsAtOnce() throws Exception {
        String zones = "rate-limits:\n  z: {key: \"$remote_addr\", rate: 1r/m}\n";
        start(zones, "{pool: app, rate-limit: {zone: z}}");
        ObjectName added = new ObjectName("io.kodiak:type=RateLimit,zone=\"added-by-reload\"");
        assertEquals(-1L, attribute(added, "max_keys"));
        write(zones + "  added-by-reload: {key: \"$remote_addr\", rate: 1r/m, max-keys: 77}\n",
                "{pool: app, rate-limit: [{zone: z}, {zone: added-by-reload}]}", null);
        kodiak.reload();
        assertEquals(77L, attribute(added, "max_keys"));
    }

    @Test
    void theRefusalTakesTheRoutesErrorPage() throws Exception {
        Path page = dir.resolve("busy.html");
        Files.writeString(page, "<p>slow down</p>\n");
        start("rate-limits:\n  z: {key: \"$remote_addr\", rate: 1r/m}\n",
                "{pool: app, rate-limit: {zone: z, status: 503}, error-pages: {503: " + page + "}}");
        List<RawResponse> rs = sequential(2, "");
        assertEquals(503, rs.get(1).status());
        assertEquals("<p>slow down</p>\n", rs.get(1).bodyString());
        assertTrue(rs.get(1).header("Retry-After") != null);
    }

    @Test
    void aListenersLimitRunsBeforeItsRoutesAndBothApply() throws Exception {
        kodiak = Kodiak.start(ConfigLoader.load(write("rate-limits:\n  all: {key: \"$remote_addr\", rate: 1r/m}\n"
                        + "  api: {key: \"$route\", rate: 1r/m}\n",
                "{path-prefix: /api/, name: api, pool: app, rate-limit: {zone: api}}, {pool: app}", null,
                "    rate-limit: {zone: all, burst: 2, nodelay: true}\n")));
        try (RawClient c = client()) {
            assertEquals(200, c.get("/api/a").status());
            assertEquals(429, c.get("/api/b").status(), "the route's zone, keyed on $route: one per minute");
            // The listener's zone charged all three (a route's refusal does not give its charge back).
            assertEquals(200, c.get("/other").status(), "third of the listener's 1 + burst 2");
            assertEquals(429, c.get("/other").status(), "the listener's zone is spent");
        }
    }
}
