package io.kodiak.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import javax.management.ObjectName;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shipped rules against the real exporter: MBeans in, Prometheus text out, over HTTP. */
class PrometheusExporterTest {

    private static final InetSocketAddress ANY_PORT = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    @Test
    void shippedRulesTurnEveryKindOfAttributeIntoItsPrometheusName() throws Exception {
        AtomicLong requests = new AtomicLong(7);
        LatencyRecorder latency = new LatencyRecorder("t");
        latency.record(3_000_000);       // 3 ms
        latency.record(40_000_000);      // 40 ms
        latency.record(2_000_000_000L);  // 2 s
        try (MetricsRegistry registry = new MetricsRegistry("io.kodiak", Duration.ofHours(1))) {
            registry.track(latency);
            registry.snapshotAll();
            ObjectName up = registry.name("Upstream", "pool", "web", "upstream", "127.0.0.1:8000");
            registry.register(up, MetricSet.builder("upstream web/127.0.0.1:8000")
                    .counter("requests_total", "attempts", requests::get)
                    .counter("responses_total", "code", "2xx", "responses by class", () -> 5)
                    .gauge("in_flight", "requests in flight", () -> 2)
                    .gauge("state", "state", "up", "1 for the current state", () -> 1)
                    .latency("response_duration", "response time", latency::lastSnapshot)
                    .build());
            ObjectName listener = registry.name("Listener", "listener", "public");
            registry.register(listener, MetricSet.builder("listener public")
                    .counter("connections_accepted_total", "accepted", () -> 3).build());
            ObjectName process = registry.name("Kodiak");
            registry.register(process, MetricSet.builder("kodiak")
                    .counter("reloads_total", "result", "ok", "reloads", () -> 1).build());

            try (PrometheusExporter exporter = PrometheusExporter.start(ANY_PORT, null)) {
                Map<String, Double> m = scrape(exporter.address());
                String labels = "pool=\"web\",upstream=\"127.0.0.1:8000\"";
                assertEquals(7.0, m.get("kodiak_upstream_requests_total{" + labels + "}"));
                assertEquals(5.0, m.get("kodiak_upstream_responses_total{code=\"2xx\"," + labels + "}"));
                assertEquals(2.0, m.get("kodiak_upstream_in_flight{" + labels + "}"));
                assertEquals(1.0, m.get("kodiak_upstream_state{pool=\"web\",state=\"up\",upstream=\"127.0.0.1:8000\"}"));
                assertEquals(0.0, m.get("kodiak_upstream_response_duration_seconds_buckets_total{le=\"0.001\"," + labels + "}"));
                assertEquals(1.0, m.get("kodiak_upstream_response_duration_seconds_buckets_total{le=\"0.005\"," + labels + "}"));
                assertEquals(2.0, m.get("kodiak_upstream_response_duration_seconds_buckets_total{le=\"0.05\"," + labels + "}"));
                assertEquals(2.0, m.get("kodiak_upstream_response_duration_seconds_buckets_total{le=\"1\"," + labels + "}"));
                assertEquals(3.0, m.get("kodiak_upstream_response_duration_seconds_buckets_total{le=\"2.5\"," + labels + "}"));
                assertEquals(3.0, m.get("kodiak_upstream_response_duration_seconds_buckets_total{le=\"+Inf\"," + labels + "}"));
                assertEquals(3.0, m.get("kodiak_upstream_response_duration_seconds_count{" + labels + "}"));
                assertEquals(2.043, m.get("kodiak_upstream_response_duration_seconds_sum{" + labels + "}"), 0.005);
                assertEquals(2.0, m.get("kodiak_upstream_response_duration_quantile_seconds{pool=\"web\",quantile=\"0.99\",upstream=\"127.0.0.1:8000\"}"), 0.005);
                assertEquals(0.040, m.get("kodiak_upstream_response_duration_quantile_seconds{pool=\"web\",quantile=\"0.5\",upstream=\"127.0.0.1:8000\"}"), 0.001);
                assertEquals(3.0, m.get("kodiak_listener_connections_accepted_total{listener=\"public\"}"));
                assertEquals(1.0, m.get("kodiak_reloads_total{result=\"ok\"}"));
                assertTrue(m.keySet().stream().anyMatch(k -> k.startsWith("jvm_memory_used_bytes")), "JVM metrics from the agent");

                requests.set(9);
                registry.unregister(listener);
                Map<String, Double> again = scrape(exporter.address());
                assertEquals(9.0, again.get("kodiak_upstream_requests_total{" + labels + "}"), "values are read at each scrape");
                assertFalse(again.keySet().stream().anyMatch(k -> k.startsWith("kodiak_listener_")), "an unregistered MBean leaves /metrics");
            }
        }
    }

    @Test
    void aTakenNameIsRefusedWithAMessageThatSaysWhy() {
        try (MetricsRegistry a = new MetricsRegistry("io.kodiak.test", Duration.ofHours(1));
             MetricsRegistry b = new MetricsRegistry("io.kodiak.test", Duration.ofHours(1))) {
            ObjectName n = a.name("Pool", "pool", "web");
            a.register(n, MetricSet.builder("p").gauge("x", "x", () -> 1).build());
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> b.register(n, MetricSet.builder("p").gauge("x", "x", () -> 1).build()));
            assertTrue(e.getMessage().contains("already registered"), e.getMessage());
        }
    }

    @Test
    void badNamesAreRefusedWhenTheSetIsBuilt() {
        MetricSet.Builder b = MetricSet.builder("x");
        assertThrows(IllegalArgumentException.class, () -> b.counter("requests", "no _total", () -> 1));
        assertThrows(IllegalArgumentException.class, () -> b.gauge("open_total", "a gauge named like a counter", () -> 1));
        assertThrows(IllegalArgumentException.class, () -> b.gauge("in_flight", "code", "2:xx", "':' ends the value for the rules", () -> 1));
        b.gauge("in_flight", "x", () -> 1);
        assertThrows(IllegalArgumentException.class, () -> b.gauge("in_flight", "x", () -> 1));
    }

    @Test
    void anAddressInUseAndABrokenRulesFileAreReportedNotFatal(@TempDir Path dir) throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            IOException e = assertThrows(IOException.class, () -> PrometheusExporter.start(
                    new InetSocketAddress(InetAddress.getLoopbackAddress(), taken.getLocalPort()), null));
            assertTrue(e.getMessage().contains("cannot listen on 127.0.0.1:" + taken.getLocalPort()), e.getMessage());
        }
        Path broken = Files.writeString(dir.resolve("rules.yaml"), "rules:\n  - pattern: [unclosed\n");
        IOException e = assertThrows(IOException.class, () -> PrometheusExporter.start(ANY_PORT, broken));
        assertTrue(e.getMessage().contains(broken.toString()), e.getMessage());
    }

    @Test
    void theAgentsHttpServerSectionIsRefusedNotSilentlyIgnored(@TempDir Path dir) throws Exception {
        // The agent's own server would ask for this password; dropping it would serve /metrics without one.
        Path rules = Files.writeString(dir.resolve("rules.yaml"), """
                httpServer:
                  authentication:
                    basic: {username: prometheus, password: secret}
                rules: []
                """);
        IOException e = assertThrows(IOException.class, () -> PrometheusExporter.start(ANY_PORT, rules));
        assertTrue(e.getMessage().startsWith("metrics rules " + rules + ": httpServer "), e.getMessage());
    }

    @Test
    void aFilterRunsBeforeEveryPathAndMayAnswerInstead() throws Exception {
        com.sun.net.httpserver.Filter refuseAll = new com.sun.net.httpserver.Filter() {
            @Override
            public void doFilter(com.sun.net.httpserver.HttpExchange exchange, Chain chain) throws IOException {
                byte[] body = "no\n".getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(421, body.length);
                exchange.getResponseBody().write(body);
                exchange.close();
            }

            @Override
            public String description() {
                return "refuses everything";
            }
        };
        try (PrometheusExporter exporter = PrometheusExporter.start(ANY_PORT, null, refuseAll)) {
            for (String path : new String[] {"/metrics", "/", "/-/healthy"}) {
                HttpURLConnection c = (HttpURLConnection) new URL("http://127.0.0.1:" + exporter.address().getPort() + path)
                        .openConnection();
                assertEquals(421, c.getResponseCode(), path);
            }
        }
    }

    /** Every sample line of /metrics, keyed by name and labels as written. */
    static Map<String, Double> scrape(InetSocketAddress address) throws IOException {
        HttpURLConnection c = (HttpURLConnection) new URL("http://127.0.0.1:" + address.getPort() + "/metrics").openConnection();
        c.setConnectTimeout(5000);
        c.setReadTimeout(5000);
        assertEquals(200, c.getResponseCode());
        String text;
        try (InputStream in = c.getInputStream()) {
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        Map<String, Double> samples = new HashMap<>();
        for (String line : text.split("\n")) {
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int space = line.lastIndexOf(' ');
            samples.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
        }
        return samples;
    }
}
