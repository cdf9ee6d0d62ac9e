package io.kodiak.metrics;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

import io.prometheus.jmx.BuildInfoMetrics;
import io.prometheus.jmx.JmxCollector;
import io.prometheus.jmx.common.http.HTTPServerFactory;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
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
 */
public final class PrometheusExporter implements AutoCloseable {

    /** The rules shipped with Kodiak, as a class-path resource. */
    public static final String RULES_RESOURCE = "io/kodiak/metrics/jmx-exporter.yaml";

    private final HTTPServer server;
    private final InetSocketAddress address;
    private final Path tempRules;

    private PrometheusExporter(HTTPServer server, InetSocketAddress address, Path tempRules) {
        this.server = server;
        this.address = address;
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
            new BuildInfoMetrics().register(registry);
            JvmMetrics.builder().register(registry);
            collector.register(registry);
            HTTPServer server;
            try {
                server = new HTTPServerFactory().createHTTPServer(address.getAddress(), address.getPort(), registry, file.toFile());
            } catch (IOException e) {
                throw new IOException("metrics: cannot listen on " + address.getAddress().getHostAddress() + ":" + address.getPort()
                        + ": " + e.getMessage(), e);
            } catch (Exception e) {
                throw new IOException("metrics: " + e.getMessage(), e);
            }
            return new PrometheusExporter(server, new InetSocketAddress(address.getAddress(), server.getPort()), temp);
        } catch (IOException | RuntimeException e) {
            if (temp != null) {
                Files.deleteIfExists(temp);
            }
            throw e;
        }
    }

    /** The address served, with the real port. */
    public InetSocketAddress address() {
        return address;
    }

    @Override
    public void close() {
        server.stop();
        if (tempRules != null) {
            try {
                Files.deleteIfExists(tempRules);
            } catch (IOException e) {
                // deleteOnExit tries again
            }
        }
    }
}
