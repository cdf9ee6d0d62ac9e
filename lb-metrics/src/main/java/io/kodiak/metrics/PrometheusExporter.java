package io.kodiak.metrics;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import io.prometheus.jmx.BuildInfoMetrics;
import io.prometheus.jmx.JmxCollector;
import io.prometheus.metrics.config.PrometheusProperties;
import io.prometheus.metrics.exporter.httpserver.DefaultHandler;
import io.prometheus.metrics.exporter.httpserver.HealthyHandler;
import io.prometheus.metrics.exporter.httpserver.MetricsHandler;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * Serves {@code /metrics} in the Prometheus text format with jmx_prometheus_javaagent's own parts:
 * its {@link JmxCollector} turns MBeans into metrics by a rules file, {@link JvmMetrics} adds the
 * {@code jvm_*} and {@code process_*} families, and its HTTP server serves them.
 *
 * <p>What {@code -javaagent:jmx_prometheus_javaagent.jar=HOST:PORT:rules.yaml} does at JVM start,
 * done once the configuration has been read instead, so that the address is a configuration key
 * (checked, and port 0 works for tests) rather than a JVM flag. Each exporter has its own registry.
 *
 * <p>The agent's handlers ({@code /metrics}, {@code /-/healthy}, {@code /}) are mounted on a JDK
 * {@link HttpServer} built here rather than by the agent's {@code HTTPServerFactory}, so that a
 * {@link Filter} (Kodiak's Host and Origin check) runs before each of them and can answer with a
 * body; the factory offers no such hook. What the factory would have read from the rules file's
 * {@code httpServer} section (threads, basic authentication, TLS) is therefore refused, not ignored.
 *
 * <p><b>Threading.</b> Requests are served on this exporter's own small daemon pool; {@link #close}
 * may be called from any thread.
 */
public final class PrometheusExporter implements AutoCloseable {

    /** The rules shipped with Kodiak, as a class-path resource. */
    public static final String RULES_RESOURCE = "io/kodiak/metrics/jmx-exporter.yaml";
    /** Scrapes are sequential per Prometheus; a few threads keep one slow client from stalling the others. */
    private static final int THREADS = 4;
    private static final AtomicInteger SERVERS = new AtomicInteger();

    private final HttpServer server;
    private final ExecutorService pool;
    private final InetSocketAddress address;
    private final Path tempRules;

    private PrometheusExporter(HttpServer server, ExecutorService pool, Path tempRules) {
        this.server = server;
        this.pool = pool;
        this.address = server.getAddress();
        this.tempRules = tempRules;
    }

    /**
     * Starts serving.
     *
     * @param address where to listen; port 0 picks a free port ({@link #address()} tells which)
     * @param rules   the exporter's rules file, or {@code null} for the shipped {@value #RULES_RESOURCE}
     * @throws IOException if the address cannot be bound or the rules file cannot be read or parsed,
     *                     with a message that says which
     */
    public static PrometheusExporter start(InetSocketAddress address, Path rules) throws IOException {
        return start(address, rules, null);
    }

    /**
     * Starts serving, with {@code filter} in front of every path.
     *
     * @param filter runs before each request's handler and may answer it instead, or {@code null}
     * @see #start(InetSocketAddress, Path)
     */
    public static PrometheusExporter start(InetSocketAddress address, Path rules, Filter filter) throws IOException {
        Path temp = null;
        Path file = rules;
        if (file == null) {
            temp = Files.createTempFile("kodiak-jmx-exporter", ".yaml");
            temp.toFile().deleteOnExit();
            try (InputStream in = PrometheusExporter.class.getClassLoader().getResourceAsStream(RULES_RESOURCE)) {
                if (in == null) {
                    throw new IOException("the class path lacks " + RULES_RESOURCE);
                }
                Files.copy(in, temp, StandardCopyOption.REPLACE_EXISTING);
            }
            file = temp;
        }
        try {
            PrometheusRegistry registry = new PrometheusRegistry();
            JmxCollector collector;
            try {
                collector = new JmxCollector(file.toFile(), JmxCollector.Mode.AGENT);
            } catch (Exception e) {
                throw new IOException("metrics rules " + (rules == null ? RULES_RESOURCE : rules) + ": " + e.getMessage(), e);
            }
            refuseHttpServerSection(file, rules == null ? RULES_RESOURCE : rules.toString());
            new BuildInfoMetrics().register(registry);
            JvmMetrics.builder().register(registry);
            collector.register(registry);
            HttpServer server;
            try {
                server = HttpServer.create(address, 3);
            } catch (IOException e) {
                throw new IOException("metrics: cannot listen on " + address.getAddress().getHostAddress() + ":" + address.getPort()
                        + ": " + e.getMessage(), e);
            }
            ExecutorService pool = threads();
            try {
                server.setExecutor(pool);
                PrometheusProperties properties = PrometheusProperties.get();
                mount(server, "/", new DefaultHandler(), filter);
                mount(server, "/metrics", new MetricsHandler(properties, registry), filter);
                mount(server, "/-/healthy", new HealthyHandler(), filter);
                server.start();
            } catch (RuntimeException e) {
                server.stop(0);
                pool.shutdownNow();
                throw new IOException("metrics: " + e.getMessage(), e);
            }
            return new PrometheusExporter(server, pool, temp);
        } catch (IOException | RuntimeException e) {
            if (temp != null) {
                Files.deleteIfExists(temp);
            }
            throw e;
        }
    }

    /** As the agent's {@code HTTPServer} registers its handlers, with {@code filter} in front. */
    private static void mount(HttpServer server, String path, HttpHandler handler, Filter filter) {
        var context = server.createContext(path, handler);
        if (filter != null) {
            context.getFilters().add(filter);
        }
    }

    private static ExecutorService threads() {
        int id = SERVERS.incrementAndGet();
        AtomicInteger n = new AtomicInteger();
        ThreadPoolExecutor pool = new ThreadPoolExecutor(THREADS, THREADS, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "kodiak-metrics-" + id + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }

    /**
     * The agent's factory reads {@code httpServer} (threads, authentication, ssl) from the rules
     * file; this exporter does not, and silently dropping a configured password or certificate
     * would be worse than refusing to start. Parsed with the agent's own (shaded) YAML parser, the
     * one that reads the rest of the file.
     */
    private static void refuseHttpServerSection(Path file, String shown) throws IOException {
        Object root;
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            root = new io.prometheus.jmx.shaded.org.yaml.snakeyaml.Yaml().load(in);
        } catch (RuntimeException e) {
            throw new IOException("metrics rules " + shown + ": " + e.getMessage(), e);
        }
        if (root instanceof Map<?, ?> m && m.containsKey("httpServer")) {
            throw new IOException("metrics rules " + shown + ": httpServer (the agent's own HTTP server settings: threads,"
                    + " authentication, ssl) is not supported: Kodiak serves /metrics itself; remove the section, and put"
                    + " TLS or authentication in front of it, or set metrics.listen: off and run the agent yourself");
        }
    }

    /** The address served, with the real port. */
    public InetSocketAddress address() {
        return address;
    }

    @Override
    public void close() {
        server.stop(0);
        pool.shutdownNow();
        if (tempRules != null) {
            try {
                Files.deleteIfExists(tempRules);
            } catch (IOException e) {
                // deleteOnExit tries again
            }
        }
    }
}
