package io.kodiak.testing;

import io.kodiak.admin.Json;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real Prometheus server (Debian's {@code prometheus} package) on {@code 127.0.0.1}, scraping
 * given targets every second, queried through its HTTP API. Its data and log live in a directory
 * of the test's. If Prometheus is not installed the test is skipped, unless the {@code CI}
 * environment variable is set, in which case it fails.
 */
public final class Prometheus implements AutoCloseable {
    private final Process process;
    private final int port;
    private final Path log;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    /** One series of an instant query's result: its labels and value. */
    public record Sample(Map<String, Object> labels, double value) {
        public String label(String name) {
            return (String) labels.get(name);
        }
    }

    private Prometheus(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    /**
     * Starts Prometheus scraping {@code targets} ({@code host:port}, path {@code /metrics}) every
     * second, and waits until it is ready.
     */
    public static Prometheus start(Path dir, List<String> targets) throws IOException, InterruptedException {
        Tools.require("prometheus", "--version", "prometheus");
        Files.createDirectories(dir);
        StringBuilder config = new StringBuilder("""
                global:
                  scrape_interval: 1s
                  evaluation_interval: 1s
                scrape_configs:
                  - job_name: kodiak
                    static_configs:
                      - targets: [""");
        config.append(String.join(", ", targets.stream().map(t -> "\"" + t + "\"").toList())).append("]\n");
        Path file = Files.writeString(dir.resolve("prometheus.yml"), config.toString());
        // Prometheus cannot say which port it took for :0, so take a free one; only this test uses it.
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, Loopback.ADDRESS)) {
            port = s.getLocalPort();
        }
        Path log = dir.resolve("prometheus.log");
        Process p = new ProcessBuilder("prometheus", "--config.file=" + file, "--storage.tsdb.path=" + dir.resolve("data"),
                "--web.listen-address=127.0.0.1:" + port)
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        Prometheus prom = new Prometheus(p, port, log);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            if (!p.isAlive()) {
                throw new IllegalStateException("prometheus exited with " + p.exitValue() + ":\n" + Files.readString(log));
            }
            try {
                if (prom.get("/-/ready").statusCode() == 200) {
                    return prom;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            if (System.nanoTime() > deadline) {
                prom.close();
                throw new IllegalStateException("prometheus not ready in 30 s:\n" + Files.readString(log));
            }
            Thread.sleep(100);
        }
    }

    private HttpResponse<String> get(String pathAndQuery) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + pathAndQuery))
                .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    /**
     * Runs an instant query.
     *
     * @return the result's series (a scalar result is one sample without labels)
     * @throws IllegalStateException if Prometheus answers with an error (e.g. the query does not parse)
     */
    @SuppressWarnings("unchecked")
    public List<Sample> query(String promql) throws IOException, InterruptedException {
        HttpResponse<String> r = get("/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
        Map<String, Object> body;
        try {
            body = (Map<String, Object>) Json.parse(r.body());
        } catch (Json.ParseException e) {
            throw new IllegalStateException("not JSON from Prometheus for " + promql + ": " + r.body(), e);
        }
        if (r.statusCode() != 200 || !"success".equals(body.get("status"))) {
            throw new IllegalStateException("query " + promql + " failed: " + r.statusCode() + " " + r.body());
        }
        Map<String, Object> data = (Map<String, Object>) body.get("data");
        List<Sample> samples = new ArrayList<>();
        if ("scalar".equals(data.get("resultType"))) {
            samples.add(new Sample(Map.of(), number(((List<Object>) data.get("result")).get(1))));
            return samples;
        }
        for (Object o : (List<Object>) data.get("result")) {
            Map<String, Object> series = (Map<String, Object>) o;
            List<Object> value = (List<Object>) series.get("value");
            samples.add(new Sample((Map<String, Object>) series.get("metric"), number(value.get(1))));
        }
        return samples;
    }

    /** The single value of a query that yields one series, or NaN if it yields none. */
    public double value(String promql) throws IOException, InterruptedException {
        List<Sample> s = query(promql);
        if (s.size() > 1) {
            throw new IllegalStateException(promql + " gave " + s.size() + " series: " + s);
        }
        return s.isEmpty() ? Double.NaN : s.get(0).value();
    }

    private static double number(Object text) {
        String s = (String) text;
        return switch (s) {
            case "NaN" -> Double.NaN;
            case "+Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            default -> Double.parseDouble(s);
        };
    }

    /** Prometheus's own log, for failure messages. */
    public String log() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(cannot read " + log + ": " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
