package io.kodiak;

import io.kodiak.config.AdminConfig;
import io.kodiak.config.MetricsConfig;
import io.kodiak.demo.DemoUpstream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The demo's {@code /metrics} after some requests carries every metric the README's table lists,
 * and nothing named {@code kodiak_*} that the table leaves out: the table and the code cannot drift.
 */
@Timeout(60)
class DemoMetricsTest {
    private static final Path README = Path.of("..", "README.md");
    private static final Pattern NAME = Pattern.compile("`((?:kodiak_|…_)[a-z0-9_]+\\*?)`");

    private final List<DemoUpstream> upstreams = new ArrayList<>();
    private Kodiak kodiak;

    @AfterEach
    void stop() {
        if (kodiak != null) {
            kodiak.close();
        }
        upstreams.forEach(DemoUpstream::close);
    }

    @Test
    void everyDocumentedMetricIsServedAndEveryServedOneIsDocumented() throws Exception {
        for (int i = 1; i <= 3; i++) {
            upstreams.add(DemoUpstream.start("demo-" + i));
        }
        InetSocketAddress any = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        kodiak = Kodiak.start(Main.demoConfig(any, upstreams).withAdmin(AdminConfig.OFF)
                .withMetrics(new MetricsConfig(true, any, null)));
        int port = kodiak.boundAddress("demo").getPort();
        for (int i = 0; i < 9; i++) {
            assertEquals(200, get("http://127.0.0.1:" + port + "/").code());
        }
        kodiak.metrics().snapshotAll();
        Response metrics = get("http://127.0.0.1:" + kodiak.metricsAddress().getPort() + "/metrics");
        assertEquals(200, metrics.code());
        Set<String> served = new LinkedHashSet<>();
        for (String line : metrics.body().split("\n")) {
            if (line.startsWith("kodiak_")) {
                served.add(line.substring(0, line.indexOf(line.contains("{") ? '{' : ' ')));
            }
        }
        assertTrue(metrics.body().contains("\njvm_memory_used_bytes{"), "JVM metrics");
        assertTrue(metrics.body().contains("kodiak_pool_requests_total{pool=\"demo\"} 9.0"), "the requests sent");
        assertTrue(metrics.body().contains("kodiak_pool_responses_total{code=\"2xx\",pool=\"demo\"} 9.0"));

        Set<String> documented = documented(Files.readString(README));
        List<String> missing = documented.stream().filter(n -> !served.contains(n)).toList();
        List<String> undocumented = served.stream().filter(n -> !documented.contains(n)).toList();
        assertTrue(missing.isEmpty(), "in the README but not served: " + missing);
        assertTrue(undocumented.isEmpty(), "served but not in the README's table: " + undocumented);
    }

    /** The metric names in the README's table, with {@code …_x} and {@code _*} expanded. */
    static Set<String> documented(String readme) {
        Set<String> names = new LinkedHashSet<>();
        for (String row : readme.split("\n")) {
            if (!row.startsWith("| `kodiak_")) {
                continue;
            }
            String cell = row.substring(2, row.indexOf(" |", 2));
            Matcher m = NAME.matcher(cell);
            String prefix = null;
            while (m.find()) {
                String name = m.group(1);
                if (name.startsWith("…_")) {
                    name = prefix + name.substring(1);
                } else {
                    prefix = name.substring(0, name.indexOf('_', "kodiak_".length()));
                }
                if (name.endsWith("_seconds_*")) {
                    String base = name.substring(0, name.length() - "_seconds_*".length());
                    names.add(base + "_seconds_buckets_total");
                    names.add(base + "_seconds_sum");
                    names.add(base + "_seconds_count");
                    names.add(base + "_quantile_seconds");
                } else {
                    names.add(name);
                }
            }
        }
        return names;
    }

    private record Response(int code, String body) {
    }

    private static Response get(String url) throws Exception {
        HttpURLConnection c = (HttpURLConnection) new URL(url).openConnection();
        c.setConnectTimeout(5000);
        c.setReadTimeout(5000);
        int code = c.getResponseCode();
        try (InputStream in = code < 400 ? c.getInputStream() : c.getErrorStream()) {
            return new Response(code, in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }
}
