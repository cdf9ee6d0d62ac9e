package io.kodiak.proxy;

import io.kodiak.Kodiak;
import io.kodiak.config.HealthCheckConfig;
import io.kodiak.config.MetricsConfig;
import io.kodiak.config.RetryConfig;
import io.kodiak.config.UpstreamConfig;
import io.kodiak.health.HealthCheckPolicy;
import io.kodiak.testing.Action;
import io.kodiak.testing.Loopback;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.ScriptedUpstream;
import io.kodiak.upstream.AdminState;
import io.kodiak.upstream.Upstream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

import javax.management.ObjectName;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What {@code /metrics} says after known traffic, over real sockets: counts by status class and by
 * error cause, retries, queue overflows, states, latency buckets, and series that follow runtime
 * changes. Each Kodiak here serves its own exporter on a free port.
 */
@Timeout(60)
class MetricsTest {
    private static final MetricsConfig ON = new MetricsConfig(true, new InetSocketAddress(Loopback.ADDRESS, 0), null);
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

    private ScriptedUpstream upstream(String name, java.util.function.Function<io.kodiak.testing.RecordedRequest, Action> handler)
            throws IOException {
        ScriptedUpstream u = ScriptedUpstream.start(name, handler);
        closeables.add(u);
        return u;
    }

    private Kodiak start(ProxyConfig c) throws IOException {
        Kodiak k = Kodiak.start(c.build().withMetrics(ON));
        closeables.add(k);
        return k;
    }

    private static int send(Kodiak k, String target) throws IOException {
        try (RawClient c = RawClient.connect(k.boundAddress(ProxyConfig.LISTENER).getPort())) {
            return c.get(target).status();
        }
    }

    @Test
    void countsByStatusClassLatencyBucketsAndBytesMatchTheTrafficSent() throws Exception {
        ScriptedUpstream a = upstream("a", r -> r.target().startsWith("/missing") ? Action.respond(404, "no\n")
                : r.target().startsWith("/fail") ? Action.respond(503, "down\n") : Action.ok("hello\n"));
        Kodiak k = start(ProxyConfig.to(a));
        for (int i = 0; i < 5; i++) {
            assertEquals(200, send(k, "/"));
        }
        for (int i = 0; i < 3; i++) { // each with a field named with '_': dropped, and counted
            try (RawClient c = RawClient.connect(k.boundAddress(ProxyConfig.LISTENER).getPort())) {
                assertEquals(404, c.exchange("GET /missing HTTP/1.1\r\nHost: t\r\nX_Trace: " + i + "\r\n\r\n").status());
            }
        }
        for (int i = 0; i < 2; i++) {
            assertEquals(503, send(k, "/fail"));
        }
        // The pool counts a request once its last byte is written, which the selector thread may
        // finish just after the client has read it: wait for the tenth before the snapshot.
        io.kodiak.metrics.RequestStats client = k.pool(ProxyConfig.POOL).clientStats();
        Conditions.await("the pool has counted all ten", () -> Arrays.stream(io.kodiak.metrics.StatusClass.values())
                .mapToLong(client::responseCount).sum() == 10, Duration.ofSeconds(5));
        k.metrics().snapshotAll(); // close the latency interval now rather than at the next 5 s tick
        Map<String, Double> m = scrape(k);
        String p = ProxyConfig.POOL;
        assertEquals(10.0, m.get(metric("kodiak_pool_requests_total", "pool", p)));
        assertEquals(5.0, m.get(metric("kodiak_pool_responses_total", "pool", p, "code", "2xx")));
        assertEquals(3.0, m.get(metric("kodiak_pool_responses_total", "pool", p, "code", "4xx")));
        assertEquals(2.0, m.get(metric("kodiak_pool_responses_total", "pool", p, "code", "5xx")));
        assertEquals(10.0, m.get(metric("kodiak_upstream_requests_total", "pool", p, "upstream", "a")));
        assertEquals(5.0, m.get(metric("kodiak_upstream_responses_total", "pool", p, "upstream", "a", "code", "2xx")));
        assertEquals(2.0, m.get(metric("kodiak_upstream_responses_total", "pool", p, "upstream", "a", "code", "5xx")));
        assertEquals(0.0, m.get(metric("kodiak_upstream_errors_total", "pool", p, "upstream", "a", "cause", "reset")));
        assertEquals(10.0, m.get(metric("kodiak_listener_requests_total", "listener", ProxyConfig.LISTENER)));
        assertEquals(10.0, m.get(metric("kodiak_listener_connections_accepted_total", "listener", ProxyConfig.LISTENER)));
        assertEquals(3.0, m.get(metric("kodiak_listener_dropped_header_fields_total", "listener", ProxyConfig.LISTENER)));
        assertTrue(m.get(metric("kodiak_upstream_received_bytes_total", "pool", p, "upstream", "a")) > 10 * 30);
        assertTrue(m.get(metric("kodiak_upstream_sent_bytes_total", "pool", p, "upstream", "a")) > 10 * 20);
        // Every request took under 60 s and over 0: the +Inf bucket is the count, and the buckets never decrease.
        for (String family : List.of("kodiak_upstream_response_duration_seconds", "kodiak_upstream_first_byte_duration_seconds")) {
            assertEquals(10.0, m.get(metric(family + "_count", "pool", p, "upstream", "a")), family);
            assertEquals(10.0, m.get(metric(family + "_buckets_total", "pool", p, "upstream", "a", "le", "+Inf")), family);
            assertEquals(10.0, m.get(metric(family + "_buckets_total", "pool", p, "upstream", "a", "le", "60")), family);
            double previous = 0;
            for (String le : List.of("0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "30", "60")) {
                double v = m.get(metric(family + "_buckets_total", "pool", p, "upstream", "a", "le", le));
                assertTrue(v >= previous, family + " le=" + le + " " + v + " < " + previous);
                previous = v;
            }
        }
        assertEquals(10.0, m.get(metric("kodiak_pool_request_duration_seconds_count", "pool", p)));
        double p99 = m.get(metric("kodiak_upstream_response_duration_quantile_seconds", "pool", p, "upstream", "a", "quantile", "0.99"));
        assertTrue(p99 > 0 && p99 < 5, "p99 " + p99);
        assertEquals(1.0, m.get(metric("kodiak_upstream_connect_duration_seconds_count", "pool", p, "upstream", "a")),
                "one connection, kept alive for the others");
        assertEquals(1.0, m.get(metric("kodiak_upstream_connections", "pool", p, "upstream", "a", "state", "idle")));
        assertEquals(0.0, m.get(metric("kodiak_upstream_connections", "pool", p, "upstream", "a", "state", "active")));
        assertEquals(1.0, m.get(metric("kodiak_upstream_state", "pool", p, "upstream", "a", "state", "up")));
        assertEquals(0.0, m.get(metric("kodiak_upstream_state", "pool", p, "upstream", "a", "state", "down")));
        assertEquals(1.0, m.get(metric("kodiak_pool_available_upstreams", "pool", p)));
        assertTrue(m.keySet().stream().anyMatch(key -> key.startsWith("jvm_memory_used_bytes{")), "JVM metrics");
    }

    @Test
    void eachFailureCountsUnderItsCause() throws Exception {
        ScriptedUpstream b = upstream("b", r -> switch (r.target()) {
            case "/reset" -> Action.reset();
            case "/bad" -> Action.raw("HTTP/1.1 2OO Fine\r\n\r\n");
            case "/slow" -> Action.stall(Duration.ofSeconds(3));
            default -> Action.ok("ok\n");
        });
        Kodiak k = start(ProxyConfig.to(b).responseTimeout(Duration.ofMillis(300))
                .upstream("dead", ScriptedUpstream.unusedPort(), 1));
        // Round-robin over b and dead: every request to dead is refused and goes on to b (connect
        // failures are always retried on the next upstream), so count what b and dead each saw.
        assertEquals(502, send(k, "/reset"));
        assertEquals(502, send(k, "/bad"));
        assertEquals(504, send(k, "/slow"));
        assertEquals(200, send(k, "/"));
        Map<String, Double> m = scrape(k);
        String p = ProxyConfig.POOL;
        assertEquals(1.0, m.get(metric("kodiak_upstream_errors_total", "pool", p, "upstream", "b", "cause", "reset")));
        assertEquals(1.0, m.get(metric("kodiak_upstream_errors_total", "pool", p, "upstream", "b", "cause", "invalid_response")));
        assertEquals(1.0, m.get(metric("kodiak_upstream_errors_total", "pool", p, "upstream", "b", "cause", "timeout")));
        double refused = m.get(metric("kodiak_upstream_errors_total", "pool", p, "upstream", "dead", "cause", "connect_refused"));
        assertTrue(refused >= 1, "refused " + refused);
        assertEquals(refused, m.get(metric("kodiak_upstream_requests_total", "pool", p, "upstream", "dead")));
        assertEquals(4.0, m.get(metric("kodiak_upstream_requests_total", "pool", p, "upstream", "b")));
        assertEquals(1.0, m.get(metric("kodiak_upstream_responses_total", "pool", p, "upstream", "b", "code", "2xx")));
        assertEquals(3.0, m.get(metric("kodiak_pool_responses_total", "pool", p, "code", "5xx")), "the clients got 502, 502, 504");
        assertEquals(1.0, m.get(metric("kodiak_pool_responses_total", "pool", p, "code", "2xx")));
        assertEquals(4.0, m.get(metric("kodiak_pool_requests_total", "pool", p)));
    }

    @Test
    void retriesAndQueueOverflowsAreCounted() throws Exception {
        ScriptedUpstream x = upstream("x", r -> Action.reset());
        ScriptedUpstream y = upstream("y", r -> r.target().equals("/hold") ? Action.sequence(Action.stall(Duration.ofMillis(800)),
                Action.ok("held\n")) : Action.ok("y\n"));
        Kodiak k = start(ProxyConfig.to(x, y).retries(new RetryConfig(1, true, true, java.util.Set.of(), 100, 100)));
        for (int i = 0; i < 4; i++) {
            assertEquals(200, send(k, "/"), "a reset on x is retried on y");
        }
        Map<String, Double> m = scrape(k);
        String p = ProxyConfig.POOL;
        double resets = m.get(metric("kodiak_upstream_errors_total", "pool", p, "upstream", "x", "cause", "reset"));
        assertTrue(resets >= 1, "x was tried");
        assertEquals(resets, m.get(metric("kodiak_pool_retries_total", "pool", p)), "one retry per reset");
        assertEquals(4.0, m.get(metric("kodiak_upstream_responses_total", "pool", p, "upstream", "y", "code", "2xx")));
        assertEquals(4.0, m.get(metric("kodiak_pool_responses_total", "pool", p, "code", "2xx")));

        k.close(); // one Kodiak with metrics per JVM at a time: the MBean names are the pool's
        // Queue overflow: one upstream, one request at a time, no queue.
        ScriptedUpstream z = upstream("z", r -> r.target().equals("/hold") ? Action.sequence(Action.stall(Duration.ofMillis(800)),
                Action.ok("held\n")) : Action.ok("z\n"));
        Kodiak q = start(ProxyConfig.to(z).maxConnections(1).queue(0, Duration.ofSeconds(1)));
        CompletableFuture<Integer> held = CompletableFuture.supplyAsync(() -> {
            try {
                return send(q, "/hold");
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        Conditions.await("the first request is at z", () -> z.requestsInProgress() == 1, Duration.ofSeconds(5));
        assertEquals(503, send(q, "/"));
        assertEquals(200, held.join());
        Map<String, Double> mq = scrape(q);
        assertEquals(1.0, mq.get(metric("kodiak_pool_queue_rejections_total", "pool", p, "reason", "full")));
        assertEquals(0.0, mq.get(metric("kodiak_pool_queue_rejections_total", "pool", p, "reason", "timeout")));
        assertEquals(1.0, mq.get(metric("kodiak_upstream_max_connections", "pool", p, "upstream", "z")));
    }

    @Test
    void seriesFollowAdminStatesAndRuntimeChangesAndHealthChecksAreCounted() throws Exception {
        ScriptedUpstream a = upstream("a", r -> Action.ok("a\n"));
        ScriptedUpstream b = upstream("b", r -> Action.ok("b\n"));
        Kodiak k = start(ProxyConfig.to(a).healthCheck(new HealthCheckConfig(HealthCheckConfig.Type.TCP,
                HealthCheckPolicy.DEFAULTS.withIntervals(Duration.ofMillis(100), Duration.ofMillis(100), Duration.ofMillis(100)).withTimeout(Duration.ofMillis(100)), null)));
        String p = ProxyConfig.POOL;
        Upstream ua = k.upstream(p, "a");
        Conditions.await("a check passed", () -> ua.checks(true) >= 1, Duration.ofSeconds(5));
        k.setAdminState(ua, AdminState.DRAIN);
        Map<String, Double> m = scrape(k);
        assertEquals(1.0, m.get(metric("kodiak_upstream_state", "pool", p, "upstream", "a", "state", "drain")));
        assertEquals(0.0, m.get(metric("kodiak_upstream_state", "pool", p, "upstream", "a", "state", "up")));
        assertEquals(0.0, m.get(metric("kodiak_upstream_available", "pool", p, "upstream", "a")));
        assertEquals(1.0, m.get(metric("kodiak_pool_upstreams", "pool", p, "state", "drain")));
        assertTrue(m.get(metric("kodiak_upstream_checks_total", "pool", p, "upstream", "a", "result", "passed")) >= 1);

        Upstream ub = k.addUpstream(p, new UpstreamConfig("b", "127.0.0.1", b.port(), 1));
        m = scrape(k);
        assertEquals(0.0, m.get(metric("kodiak_upstream_requests_total", "pool", p, "upstream", "b")), "b's series appear");
        k.removeUpstream(ub).get();
        m = scrape(k);
        assertFalse(m.containsKey(metric("kodiak_upstream_requests_total", "pool", p, "upstream", "b")), "and go with it");
        assertTrue(m.containsKey(metric("kodiak_upstream_requests_total", "pool", p, "upstream", "a")));
    }

    @Test
    void aListenersAccessLogCountsWrittenDroppedAndFailedLines(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        ScriptedUpstream a = upstream("a", r -> Action.ok("a\n"));
        java.nio.file.Path file = dir.resolve("access.log");
        Kodiak k = start(ProxyConfig.to(a).accessLog(io.kodiak.config.AccessLogConfig.target(file.toString(), null)));
        String l = ProxyConfig.LISTENER;
        Map<String, Double> m = scrape(k);
        assertEquals(0.0, m.get(metric("kodiak_access_log_written_total", "listener", l)), "there from the start");
        assertEquals(0.0, m.get(metric("kodiak_access_log_dropped_total", "listener", l)));
        assertEquals(0.0, m.get(metric("kodiak_access_log_failed_total", "listener", l)));

        io.kodiak.accesslog.AccessLog log = k.accessLogs().get(0);
        for (int i = 0; i < 3; i++) {
            log.log(AccessLogListenerTest.entry(l, "/" + i)); // as the data path will
        }
        Conditions.await("three lines written", () -> log.written() == 3, Duration.ofSeconds(10));
        assertEquals(3.0, scrape(k).get(metric("kodiak_access_log_written_total", "listener", l)));
        Conditions.await("and flushed", () -> {
            try {
                return java.nio.file.Files.readAllLines(file).size() == 3;
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, Duration.ofSeconds(10));
    }

    @Test
    void aListenerWithoutAccessLogHasNoAccessLogSeries() throws Exception {
        ScriptedUpstream a = upstream("a", r -> Action.ok("a\n"));
        Kodiak k = start(ProxyConfig.to(a));
        assertTrue(scrape(k).keySet().stream().noneMatch(key -> key.startsWith("kodiak_access_log_")));
    }

    @Test
    void metricsOffRecordsNothingAndRegistersNothing() throws Exception {
        ScriptedUpstream a = upstream("a", r -> Action.ok("a\n"));
        Kodiak k = Kodiak.start(ProxyConfig.to(a).build().withMetrics(MetricsConfig.OFF));
        closeables.add(k);
        assertEquals(200, send(k, "/"));
        assertNull(k.metricsAddress());
        assertNull(k.metrics());
        assertEquals(0, k.upstream(ProxyConfig.POOL, "a").stats().requestCount(), "nothing timed or counted");
        assertTrue(ManagementFactory.getPlatformMBeanServer().queryNames(new ObjectName("io.kodiak:*"), null).isEmpty());
    }

    @Test
    void aSecondKodiakWithMetricsInOneJvmIsRefusedAndTheFirstGoesOn() throws Exception {
        ScriptedUpstream a = upstream("a", r -> Action.ok("a\n"));
        Kodiak first = start(ProxyConfig.to(a));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> start(ProxyConfig.to(a)));
        assertTrue(e.getMessage().contains("already registered"), e.getMessage());
        assertEquals(200, send(first, "/"));
        assertEquals(1.0, scrape(first).get(metric("kodiak_pool_requests_total", "pool", ProxyConfig.POOL)));
    }

    /** A sample's key as the exporter writes it: labels sorted by name. */
    static String metric(String name, String... labels) {
        TreeMap<String, String> sorted = new TreeMap<>();
        for (int i = 0; i < labels.length; i += 2) {
            sorted.put(labels[i], labels[i + 1]);
        }
        if (sorted.isEmpty()) {
            return name;
        }
        StringBuilder sb = new StringBuilder(name).append('{');
        sorted.forEach((key, v) -> sb.append(key).append("=\"").append(v).append("\","));
        sb.setLength(sb.length() - 1);
        return sb.append('}').toString();
    }

    /** Every sample of {@code /metrics}. */
    static Map<String, Double> scrape(Kodiak k) throws IOException {
        HttpURLConnection c = (HttpURLConnection) new URL("http://127.0.0.1:" + k.metricsAddress().getPort() + "/metrics")
                .openConnection();
        c.setConnectTimeout(5000);
        c.setReadTimeout(5000);
        assertEquals(200, c.getResponseCode());
        String text;
        try (InputStream in = c.getInputStream()) {
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        Map<String, Double> samples = new HashMap<>();
        Arrays.stream(text.split("\n")).filter(line -> !line.isEmpty() && !line.startsWith("#")).forEach(line -> {
            int space = line.lastIndexOf(' ');
            samples.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
        });
        return samples;
    }
}
