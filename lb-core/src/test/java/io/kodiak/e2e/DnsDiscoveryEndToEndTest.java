package io.kodiak.e2e;

import io.kodiak.Kodiak;
import io.kodiak.config.ConfigLoader;
import io.kodiak.testing.Loopback;
import io.kodiak.testing.Dnsmasq;
import io.kodiak.testing.Gunicorn;
import io.kodiak.testing.NumberedLoad;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.RawResponse;
import io.kodiak.upstream.PoolRuntime;
import io.kodiak.upstream.Upstream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * What issue 18 promises for DNS, with a real DNS server and real Gunicorn: dnsmasq answers for
 * {@code app.test} (TTL 1 s) and {@code _http._tcp.app.test}; five Gunicorn instances listen on
 * 127.0.0.2 to 127.0.0.6 at one port; Kodiak follows the name ({@code resolve: true}) in pool
 * {@code app} and the SRV record ({@code service:}) in pool {@code srv}, under a steady numbered
 * load on both. The records change under the load: scale up 2 to 4, scale down 4 to 2 with slow
 * requests in flight on the removed ones, the DNS server killed (the last good set is kept and
 * shown stale, requests still succeed), and back with an SRV weight change. No request fails.
 */
@Timeout(240)
class DnsDiscoveryEndToEndTest {
    private static final String TOKEN = "dns-discovery-test-token";
    private static final Duration WAIT = Duration.ofSeconds(30);
    @TempDir
    Path dir;
    private final List<Gunicorn> gunicorns = new ArrayList<>();
    private Dnsmasq dns;
    private Kodiak kodiak;
    private NumberedLoad appLoad;
    private NumberedLoad srvLoad;
    private ExecutorService slow;

    @AfterEach
    void stop() throws InterruptedException {
        if (appLoad != null) {
            appLoad.stop();
        }
        if (srvLoad != null) {
            srvLoad.stop();
        }
        if (slow != null) {
            slow.shutdownNow();
        }
        if (kodiak != null) {
            kodiak.close();
        }
        for (Gunicorn g : gunicorns) {
            g.kill();
        }
        if (dns != null) {
            dns.close();
        }
    }

    private static Map<String, List<String>> hosts(String... appAddresses) {
        Map<String, List<String>> h = new HashMap<>();
        h.put("app.test", List.of(appAddresses));
        for (int i = 2; i <= 6; i++) {
            h.put("a" + i + ".test", List.of("127.0.0." + i));
        }
        return h;
    }

    private static List<Dnsmasq.Srv> srv(int port, int weight2, int weight3) {
        return List.of(new Dnsmasq.Srv("_http._tcp.app.test", "a2.test", port, 10, weight2),
                new Dnsmasq.Srv("_http._tcp.app.test", "a3.test", port, 10, weight3));
    }

    private PoolRuntime pool(String name) {
        return kodiak.pool(name);
    }

    /** The pool's upstreams by their address's last octet (2 for 127.0.0.2). */
    private Map<Integer, Upstream> byOctet(String pool) {
        return pool(pool).upstreams().stream().collect(Collectors.toMap(
                u -> Integer.parseInt(u.addressText().split("[.:]")[3]), u -> u));
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline >= 0) {
                fail("not " + what + " within " + WAIT);
            }
            Thread.sleep(20);
        }
    }

    private String adminGet(String path) throws IOException {
        try (RawClient c = RawClient.connect(kodiak.adminAddress().getPort())) {
            RawResponse r = c.exchange("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + TOKEN + "\r\n\r\n");
            assertEquals(200, r.status(), r.bodyString());
            return r.bodyString();
        }
    }

    private String scrape() throws IOException {
        java.net.HttpURLConnection c = (java.net.HttpURLConnection) new java.net.URL("http://127.0.0.1:"
                + kodiak.metricsAddress().getPort() + "/metrics").openConnection();
        c.setConnectTimeout(5000);
        c.setReadTimeout(5000);
        assertEquals(200, c.getResponseCode());
        try (java.io.InputStream in = c.getInputStream()) {
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    @Test
    void poolsFollowTheRecordsUnderLoadWithoutAFailedRequest() throws Exception {
        int port = Loopback.portFreeOn(2, 6); // five instances share it
        for (int i = 2; i <= 6; i++) {
            gunicorns.add(Gunicorn.builder("g" + i).host("127.0.0." + i).port(port)
                    .workerClass(Gunicorn.WorkerClass.GTHREAD).threads(8).start()); // slow requests leave threads for the rest
        }
        dns = Dnsmasq.builder().ttl(1).hosts(hosts("127.0.0.2", "127.0.0.3")).srv(srv(port, 10, 10).get(0))
                .srv(srv(port, 10, 10).get(1)).start();
        String yaml = """
                admin:
                  listen: 127.0.0.1:0
                  token: %s
                  state-file: off
                metrics: {listen: 127.0.0.1:0}
                resolvers:
                  default: {nameservers: ["%s"], timeout: 300ms, attempts: 1, min-ttl: 1s, max-ttl: 2s}
                listeners:
                  - name: web
                    address: 127.0.0.1:0
                    routes: [{path-prefix: /, pool: app}]
                  - name: web-srv
                    address: 127.0.0.1:0
                    routes: [{path-prefix: /, pool: srv}]
                pools:
                  app:
                    health-check: {type: http, path: /, interval: 200ms, timeout: 500ms, rise: 1, fall: 2, jitter: 0%%}
                    slow-start: 5s
                    upstreams:
                      - {address: "app.test:%d", resolve: true, name: app}
                  srv:
                    upstreams:
                      - {service: "_http._tcp.app.test"}
                """.formatted(TOKEN, dns.nameserver(), port);
        kodiak = Kodiak.start(ConfigLoader.parse(yaml, dir.resolve("kodiak.yaml")));
        await("app follows app.test's two addresses", () -> byOctet("app").keySet().equals(Set.of(2, 3))
                && pool("app").selection().members().size() == 2);
        await("srv follows the SRV record's two targets", () -> byOctet("srv").keySet().equals(Set.of(2, 3)));
        assertEquals("app[127.0.0.2:" + port + "]", byOctet("app").get(2).name());
        assertEquals("_http._tcp.app.test[127.0.0.3:" + port + "]", byOctet("srv").get(3).name());
        String metrics = scrape();
        assertTrue(metrics.contains("kodiak_discovery_addresses{pool=\"app\",source=\"dns app.test:" + port + "\",} 2.0")
                || metrics.contains("kodiak_discovery_addresses{pool=\"app\",source=\"dns app.test:" + port + "\"} 2.0"), metrics);
        assertTrue(metrics.contains("kodiak_discovery_resolutions_total{pool=\"srv\",result=\"ok\",source=\"dns srv _http._tcp.app.test\""),
                metrics);
        try (RawClient c = RawClient.connect(kodiak.adminAddress().getPort())) {
            RawResponse r = c.exchange("DELETE /v1/pools/app/upstreams/app%5B127.0.0.2:" + port + "%5D HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Authorization: Bearer " + TOKEN + "\r\nContent-Length: 0\r\n\r\n");
            assertEquals(409, r.status(), r.bodyString());
            assertTrue(r.bodyString().contains("discovered by dns app.test:" + port + ": change DNS, or drain it"), r.bodyString());
        }

        appLoad = NumberedLoad.start(kodiak.boundAddress("web").getPort(), 2, 20, Duration.ofMinutes(3));
        srvLoad = NumberedLoad.start(kodiak.boundAddress("web-srv").getPort(), 2, 20, Duration.ofMinutes(3));
        appLoad.awaitMore(50, WAIT);
        srvLoad.awaitMore(50, WAIT);

        // Scale up 2 -> 4: the new ones wait for their first check, then ramp up through slow start.
        dns.setHosts(hosts("127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"));
        await("app has four upstreams", () -> byOctet("app").size() == 4);
        Upstream four = byOctet("app").get(4);
        Upstream fiveAdded = byOctet("app").get(5);
        await("127.0.0.4 and .5 passed their first check", () -> {
            // At every poll: none is in rotation before a passed check took it from DOWN to UP. (Counted by
            // the transition, not the check's record, which the checker writes just after announcing it.)
            for (Upstream u : List.of(four, fiveAdded)) {
                assertTrue(!u.available() || u.transitions(true) > 0, u.name() + " available before a passed check: " + u.lastCheck());
            }
            return four.available() && fiveAdded.available();
        });
        assertTrue(four.slowStarting(), "an address added after the first set ramps up (slow start)");
        long from = appLoad.nextSeq();
        appLoad.awaitMore(200, WAIT);
        for (int i : List.of(4, 5)) {
            Gunicorn g = gunicorns.get(i - 2);
            long got = NumberedLoad.seqs(g.awaitAccessLogLines(1, WAIT)).stream().filter(s -> s >= from).count();
            assertTrue(got > 0, g.name() + " served part of the load after the scale-up");
        }

        // Scale down 4 -> 2 with slow requests in flight everywhere: those on the removed ones finish.
        Upstream five = byOctet("app").get(5);
        await("the slow starts are over", () -> !four.slowStarting() && !five.slowStarting());
        slow = Executors.newFixedThreadPool(24);
        List<Future<RawResponse>> slowOnes = new ArrayList<>();
        int web = kodiak.boundAddress("web").getPort();
        // 24, about six per instance: the background load takes turns of the round-robin too, and an
        // upstream's in-flight count includes it, so stopping early when .4 and .5 look busy could leave
        // one of them without a slow request (a flake seen under load).
        for (int i = 0; i < 24; i++) {
            slowOnes.add(slow.submit(() -> {
                try (RawClient c = RawClient.connect(web)) {
                    return c.get("/sleep?ms=3000");
                }
            }));
            Thread.sleep(50);
        }
        await("slow requests in flight at 127.0.0.4 and .5", () -> four.inFlight() > 0 && five.inFlight() > 0);
        dns.setHosts(hosts("127.0.0.2", "127.0.0.3"));
        await("app is back to two upstreams", () -> byOctet("app").keySet().equals(Set.of(2, 3)));
        assertTrue(four.removed() && five.removed());
        long afterDown = appLoad.nextSeq();
        Set<String> slowFrom = new java.util.TreeSet<>();
        for (Future<RawResponse> f : slowOnes) {
            RawResponse r = f.get(30, TimeUnit.SECONDS);
            assertEquals(200, r.status(), "a slow request finished: " + r);
            slowFrom.add(r.header("X-Instance"));
        }
        assertTrue(slowFrom.contains("g4") && slowFrom.contains("g5"), "slow requests on the removed ones finished: " + slowFrom);
        appLoad.awaitMore(100, WAIT);
        for (int i : List.of(4, 5)) {
            Gunicorn g = gunicorns.get(i - 2);
            List<Long> late = NumberedLoad.seqs(g.accessLogLines()).stream().filter(s -> s >= afterDown).toList();
            assertEquals(List.of(), late, g.name() + " got load issued after it left DNS");
        }

        // The DNS server goes away: the last good set is kept (stale), and requests still succeed.
        dns.stop();
        await("app's source is stale", () -> kodiak.sources("app").values().iterator().next().stale());
        String view = adminGet("/v1/pools/app");
        assertTrue(view.replace(" ", "").contains("\"stale\":true"), view);
        assertTrue(view.matches("(?s).*\"source\"\\s*:\\s*\"dns app\\.test:" + port + "\".*"), "sources and upstreams name it: " + view);
        assertEquals(Set.of(2, 3), byOctet("app").keySet(), "the last good set is kept");
        long whileDown = appLoad.ok();
        appLoad.awaitMore(100, WAIT);
        srvLoad.awaitMore(100, WAIT);
        assertTrue(appLoad.ok() > whileDown);
        // On loopback a stopped server is "port unreachable" (result error); elsewhere a timeout.
        assertTrue(kodiak.sources("app").values().iterator().next().results().entrySet().stream()
                .filter(e -> !e.getKey().equals("ok")).mapToLong(Map.Entry::getValue).sum() > 0,
                "the failures are counted: " + kodiak.sources("app"));

        // Back, with an SRV weight change (dnsmasq re-reads --srv-host only at a start): 3:1.
        dns.restart(srv(port, 30, 10));
        await("app's source is fresh again", () -> !kodiak.sources("app").values().iterator().next().stale());
        await("srv takes the new weights", () -> byOctet("srv").get(2).weight() == 1000 && byOctet("srv").get(3).weight() == 333);
        Upstream s2 = byOctet("srv").get(2);
        Upstream s3 = byOctet("srv").get(3);
        long r2 = s2.requests();
        long r3 = s3.requests();
        srvLoad.awaitMore(400, WAIT);
        double share = (double) (s2.requests() - r2) / ((s2.requests() - r2) + (s3.requests() - r3));
        assertTrue(share > 0.65 && share < 0.85, "127.0.0.2 gets about 3/4 of the srv pool's requests: " + share);

        appLoad.stop();
        srvLoad.stop();
        assertEquals(List.of(), appLoad.failures().stream().limit(5).toList(), appLoad.failures().size() + " of "
                + (appLoad.ok() + appLoad.failures().size()) + " app requests failed");
        assertEquals(List.of(), srvLoad.failures().stream().limit(5).toList(), srvLoad.failures().size() + " of "
                + (srvLoad.ok() + srvLoad.failures().size()) + " srv requests failed");
    }
}
