package io.kodiak.e2e;

import io.kodiak.Kodiak;
import io.kodiak.admin.Json;
import io.kodiak.config.ConfigLoader;
import io.kodiak.config.MetricsConfig;
import io.kodiak.testing.Gunicorn;
import io.kodiak.testing.Loopback;
import io.kodiak.testing.Prometheus;
import io.kodiak.testing.RawClient;
import io.kodiak.upstream.AdminState;
import io.kodiak.upstream.Upstream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.DoublePredicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Kodiak in front of three real Gunicorn instances, scraped by a real Prometheus: known traffic
 * (successes, client and server errors, slow requests, a drained upstream) must come out of
 * Prometheus's query API as sent, {@code histogram_quantile} over the bucket series must give a
 * p99 in the right bucket, and every query of the shipped Grafana dashboard must parse and
 * return data.
 */
@Timeout(180)
class GunicornPrometheusTest {
    private static final Path DASHBOARD = Path.of("..", "grafana", "dashboards", "kodiak.json");

    private final List<Gunicorn> instances = new ArrayList<>();
    private Kodiak kodiak;
    private Prometheus prometheus;
    @TempDir
    Path dir;

    @AfterEach
    void stop() {
        if (prometheus != null) {
            prometheus.close();
        }
        if (kodiak != null) {
            kodiak.close();
        }
        instances.forEach(Gunicorn::close);
    }

    @Test
    void prometheusSeesWhatWasSentAndTheDashboardQueriesAllReturnData() throws Exception {
        for (String name : List.of("g1", "g2", "g3")) {
            instances.add(Gunicorn.builder(name).workers(2).start());
        }
        String yaml = Gunicorn.kodiakYaml(instances, "");
        kodiak = Kodiak.start(ConfigLoader.parse(yaml, dir.resolve("kodiak.yaml"))
                .withMetrics(new MetricsConfig(true, new InetSocketAddress(Loopback.ADDRESS, 0), null)));
        int port = kodiak.boundAddress("web").getPort();
        prometheus = Prometheus.start(dir.resolve("prometheus"), List.of("127.0.0.1:" + kodiak.metricsAddress().getPort()));
        awaitValue("Prometheus scrapes Kodiak", "up{job=\"kodiak\"}", v -> v == 1);

        // Round-robin over three sync instances, one request at a time: each gets a third.
        int fast = 0;
        int slow = 0;
        int notFound = 0;
        int failed = 0;
        try (RawClient c = RawClient.connect(port)) {
            for (int i = 0; i < 150; i++) {
                assertEquals(200, c.get("/").status());
                fast++;
            }
            for (int i = 0; i < 12; i++) {
                assertEquals(200, c.get("/sleep?ms=150").status());
                slow++;
            }
            for (int i = 0; i < 9; i++) {
                assertEquals(404, c.get("/status?code=404").status());
                notFound++;
            }
            for (int i = 0; i < 6; i++) {
                assertEquals(500, c.get("/status?code=500").status());
                failed++;
            }
        }
        Upstream g3 = kodiak.upstream("app", "g3");
        kodiak.setAdminState(g3, AdminState.DRAIN);
        long g3AtDrain = g3.stats().requestCount();
        int afterDrain = 0;
        try (RawClient c = RawClient.connect(port)) {
            for (int i = 0; i < 30; i++) {
                assertEquals(200, c.get("/").status());
                afterDrain++;
            }
        }
        int total = fast + slow + notFound + failed + afterDrain;
        int ok = fast + slow + afterDrain;
        // The bucket series follow the 5 s snapshot and the 1 s scrape: wait until they have everything.
        awaitValue("the bucket counts reach Prometheus", "sum(kodiak_upstream_response_duration_seconds_count{pool=\"app\"})",
                v -> v == total);

        assertEquals(total, prometheus.value("sum(kodiak_pool_requests_total{pool=\"app\"})"));
        assertEquals(total, prometheus.value("sum(kodiak_upstream_requests_total{pool=\"app\"})"));
        assertEquals(total, prometheus.value("kodiak_listener_requests_total{listener=\"web\"}"));
        assertEquals(ok, prometheus.value("kodiak_pool_responses_total{pool=\"app\",code=\"2xx\"}"));
        assertEquals(notFound, prometheus.value("kodiak_pool_responses_total{pool=\"app\",code=\"4xx\"}"));
        assertEquals(failed, prometheus.value("kodiak_pool_responses_total{pool=\"app\",code=\"5xx\"}"));
        assertEquals(failed, prometheus.value("sum(kodiak_upstream_responses_total{pool=\"app\",code=\"5xx\"})"));
        assertEquals(0, prometheus.value("sum(kodiak_upstream_errors_total{pool=\"app\"})"), "no upstream failed");
        assertEquals(0, prometheus.value("kodiak_pool_retries_total{pool=\"app\"}"));
        // Before the drain the three shared the requests evenly; after it g3 got none.
        int beforeDrain = total - afterDrain;
        assertEquals(beforeDrain / 3, g3AtDrain);
        assertEquals(g3AtDrain, prometheus.value("kodiak_upstream_requests_total{pool=\"app\",upstream=\"g3\"}"));
        for (String g : List.of("g1", "g2")) {
            assertEquals(beforeDrain / 3 + afterDrain / 2,
                    prometheus.value("kodiak_upstream_requests_total{pool=\"app\",upstream=\"" + g + "\"}"), g);
        }
        assertEquals(1, prometheus.value("kodiak_upstream_state{pool=\"app\",upstream=\"g3\",state=\"drain\"}"));
        assertEquals(0, prometheus.value("kodiak_upstream_state{pool=\"app\",upstream=\"g3\",state=\"up\"}"));
        assertEquals(2, prometheus.value("kodiak_pool_available_upstreams{pool=\"app\"}"));
        assertEquals(1, prometheus.value("kodiak_pool_upstreams{pool=\"app\",state=\"drain\"}"));
        assertTrue(prometheus.value("sum(kodiak_upstream_checks_total{pool=\"app\",result=\"passed\"})") >= 3,
                "the default TCP checks ran");

        // 12 of 207 requests (5.8 %) slept 150 ms, the rest took a few ms: across all upstreams the
        // p99 lies in the (0.1, 0.25] bucket and the median below 25 ms.
        double p99 = prometheus.value("histogram_quantile(0.99, sum by (le) (kodiak_upstream_response_duration_seconds_buckets_total{pool=\"app\"}))");
        assertTrue(p99 > 0.1 && p99 <= 0.25, "p99 " + p99);
        double p50 = prometheus.value("histogram_quantile(0.5, sum by (le) (kodiak_pool_request_duration_seconds_buckets_total{pool=\"app\"}))");
        assertTrue(p50 > 0 && p50 < 0.025, "p50 " + p50);
        // HdrHistogram's window agrees: the upstream that served slow requests has a p99 of about 150 ms.
        double hdrMax = prometheus.value("max(kodiak_upstream_response_duration_quantile_seconds{pool=\"app\",quantile=\"0.99\"})");
        assertTrue(hdrMax > 0.14 && hdrMax < 0.25, "HdrHistogram p99 " + hdrMax);

        checkDashboard();
    }

    /** Every PromQL expression in the shipped dashboard parses and returns at least one series. */
    @SuppressWarnings("unchecked")
    private void checkDashboard() throws Exception {
        Map<String, Object> dashboard = (Map<String, Object>) Json.parse(Files.readString(DASHBOARD));
        assertEquals("kodiak", dashboard.get("uid"));
        List<String> problems = new ArrayList<>();
        int queries = 0;
        for (Object o : (List<Object>) dashboard.get("panels")) {
            Map<String, Object> panel = (Map<String, Object>) o;
            if ("row".equals(panel.get("type"))) {
                continue;
            }
            List<Object> targets = (List<Object>) panel.get("targets");
            if (targets == null || targets.isEmpty()) {
                problems.add(panel.get("title") + ": no query");
                continue;
            }
            for (Object t : targets) {
                String expr = (String) ((Map<String, Object>) t).get("expr");
                // What Grafana substitutes: All for the variables, a rate window covering this test's traffic.
                String promql = expr.replace("$pool", ".*").replace("$upstream", ".*").replace("$__rate_interval", "2m");
                queries++;
                try {
                    if (prometheus.query(promql).isEmpty()) {
                        problems.add(panel.get("title") + ": no data for " + promql);
                    }
                } catch (IllegalStateException e) {
                    problems.add(panel.get("title") + ": " + e.getMessage());
                }
            }
        }
        assertTrue(queries >= 20, queries + " queries");
        assertTrue(problems.isEmpty(), String.join("\n", problems));
        for (Object v : (List<Object>) ((Map<String, Object>) dashboard.get("templating")).get("list")) {
            Map<String, Object> variable = (Map<String, Object>) v;
            if ("query".equals(variable.get("type"))) {
                String def = (String) variable.get("definition");
                // label_values(METRIC, LABEL) is Grafana's; the series it reads must exist.
                String metric = def.substring("label_values(".length(), def.lastIndexOf(',')).replace("$pool", ".*");
                assertFalse(prometheus.query(metric).isEmpty(), "variable " + variable.get("name") + ": no series for " + metric);
            }
        }
    }

    private void awaitValue(String what, String promql, DoublePredicate ok) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
        double last = Double.NaN;
        while (System.nanoTime() < deadline) {
            last = prometheus.value(promql);
            if (ok.test(last)) {
                return;
            }
            Thread.sleep(250);
        }
        fail(what + ": " + promql + " is " + last + " after 40 s\n" + prometheus.log());
    }
}
