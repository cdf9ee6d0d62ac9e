package io.kodiak.config;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;

/**
 * Metrics ({@code metrics} in the file): whether Kodiak records and publishes them as MBeans, and
 * where its built-in Prometheus endpoint serves {@code /metrics}.
 *
 * @param enabled whether requests are timed and counted and the MBeans registered; {@code metrics: off}
 *                turns everything off, recording included
 * @param listen  the {@code /metrics} address, or {@code null} for no built-in endpoint (the MBeans are
 *                still there, for your own {@code -javaagent} or JMX client)
 * @param rules   the exporter's rules file, or {@code null} for the one shipped with Kodiak
 * @param allowedHosts names {@code /metrics} answers in {@code Host} besides localhost, 127.x.x.x,
 *                [::1] and the listen address ({@code metrics.allowed-hosts}; see {@link io.kodiak.admin.HostGuard})
 */
public record MetricsConfig(boolean enabled, InetSocketAddress listen, Path rules, List<String> allowedHosts) {
    /** Where {@code /metrics} is served by default: loopback only, jmx_prometheus_javaagent's usual port 9404. */
    public static final InetSocketAddress DEFAULT_LISTEN = new InetSocketAddress("127.0.0.1", 9404);

    /** Nothing recorded, registered or served: the embedding default (tests). */
    public static final MetricsConfig OFF = new MetricsConfig(false, null, null);

    /** On, served on {@link #DEFAULT_LISTEN} with the shipped rules. */
    public static final MetricsConfig DEFAULT = new MetricsConfig(true, DEFAULT_LISTEN, null);

    public MetricsConfig {
        allowedHosts = List.copyOf(allowedHosts);
        if (!enabled && (listen != null || rules != null || !allowedHosts.isEmpty())) {
            throw new IllegalArgumentException("metrics off cannot have an address, rules or allowed hosts");
        }
    }

    /** No allowed hosts beyond the loopback names and the listen address. */
    public MetricsConfig(boolean enabled, InetSocketAddress listen, Path rules) {
        this(enabled, listen, rules, List.of());
    }

    /** @return whether {@code /metrics} is served */
    public boolean serves() {
        return listen != null;
    }

    @Override
    public String toString() {
        return !enabled ? "metrics off" : listen == null ? "metrics on (MBeans only)"
                : "metrics on " + listen.getHostString() + ":" + listen.getPort()
                + (allowedHosts.isEmpty() ? "" : ", also as " + String.join(", ", allowedHosts))
                + (rules == null ? "" : ", rules " + rules);
    }
}
