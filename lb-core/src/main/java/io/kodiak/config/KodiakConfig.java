package io.kodiak.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The whole, validated configuration of one Kodiak process. Immutable.
 *
 * @param source    the file it was read from, or {@code null} for quick mode and the demo
 * @param listeners the client-facing listeners, in file order
 * @param pools     the upstream pools by name, in file order
 * @param admin     the admin API's listener and state file
 * @param metrics   whether metrics are recorded, and where {@code /metrics} is served
 * @param version   identifies the configuration: the first 12 hex digits of the SHA-256 of the
 *                  file's text, or {@code built-in}
 * @param shutdownGrace how long SIGTERM waits for requests in flight before it closes the rest
 *                  ({@code shutdown-grace}; HAProxy's {@code hard-stop-after}, nginx's {@code worker_shutdown_timeout})
 * @param temp      the process's temp directory and the budget of all temp files
 * @param acme      where the certificates of listeners' {@code tls.domains} come from
 * @param warnings  what is valid but probably not meant (routes that can never match), each as
 *                  {@code FILE:LINE: key.path: problem}; {@code check}, {@code run} and reloads print them
 * @param resolvers the {@code resolvers:} entries by name, {@code default} always among them (the
 *                  system's resolver unless the file says otherwise)
 * @param kubernetes how to reach the Kubernetes API ({@code kubernetes:}), for pools' Kubernetes sources
 */
public record KodiakConfig(Path source, List<ListenerConfig> listeners, Map<String, PoolConfig> pools,
                           AdminConfig admin, MetricsConfig metrics, String version, java.time.Duration shutdownGrace,
                           TempConfig temp, io.kodiak.acme.AcmeSettings acme, List<String> warnings,
                           Map<String, io.kodiak.discovery.DnsSettings> resolvers,
                           io.kodiak.discovery.KubernetesSettings kubernetes) {
    /** {@code shutdown-grace} when the file does not say: 15 s, or {@code -Dkodiak.grace.seconds}. */
    public static final java.time.Duration DEFAULT_SHUTDOWN_GRACE =
            java.time.Duration.ofSeconds(Long.getLong("kodiak.grace.seconds", 15));

    public KodiakConfig {
        listeners = List.copyOf(listeners);
        pools = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(pools));
        java.util.Objects.requireNonNull(admin, "admin");
        java.util.Objects.requireNonNull(metrics, "metrics");
        java.util.Objects.requireNonNull(version, "version");
        java.util.Objects.requireNonNull(shutdownGrace, "shutdownGrace");
        java.util.Objects.requireNonNull(temp, "temp");
        java.util.Objects.requireNonNull(acme, "acme");
        warnings = List.copyOf(warnings);
        java.util.Map<String, io.kodiak.discovery.DnsSettings> r = new java.util.LinkedHashMap<>(resolvers);
        r.putIfAbsent("default", io.kodiak.discovery.DnsSettings.DEFAULTS);
        resolvers = java.util.Collections.unmodifiableMap(r);
        java.util.Objects.requireNonNull(kubernetes, "kubernetes");
    }

    /** Without {@code resolvers} or {@code kubernetes} sections: their defaults. */
    public KodiakConfig(Path source, List<ListenerConfig> listeners, Map<String, PoolConfig> pools,
                        AdminConfig admin, MetricsConfig metrics, String version, java.time.Duration shutdownGrace,
                        TempConfig temp, io.kodiak.acme.AcmeSettings acme, List<String> warnings) {
        this(source, listeners, pools, admin, metrics, version, shutdownGrace, temp, acme, warnings, Map.of(),
                io.kodiak.discovery.KubernetesSettings.DEFAULTS);
    }

    /** Without warnings. */
    public KodiakConfig(Path source, List<ListenerConfig> listeners, Map<String, PoolConfig> pools, AdminConfig admin,
                        MetricsConfig metrics, String version, java.time.Duration shutdownGrace, TempConfig temp,
                        io.kodiak.acme.AcmeSettings acme) {
        this(source, listeners, pools, admin, metrics, version, shutdownGrace, temp, acme, List.of());
    }

    /** Without an {@code acme} section: its defaults. */
    public KodiakConfig(Path source, List<ListenerConfig> listeners, Map<String, PoolConfig> pools, AdminConfig admin,
                        MetricsConfig metrics, String version, java.time.Duration shutdownGrace, TempConfig temp) {
        this(source, listeners, pools, admin, metrics, version, shutdownGrace, temp, io.kodiak.acme.AcmeSettings.defaults());
    }

    /** The certificates the ACME manager keeps, one holder per listener with {@code tls.domains}. */
    public List<io.kodiak.tls.ManagedKeys> managedKeys() {
        return listeners.stream().filter(l -> l.tls() != null && l.tls().server().managed() != null)
                .map(l -> l.tls().server().managed()).toList();
    }

    /** A built-in configuration without an admin listener or metrics (tests, embedding). */
    public KodiakConfig(Path source, List<ListenerConfig> listeners, Map<String, PoolConfig> pools) {
        this(source, listeners, pools, AdminConfig.OFF, MetricsConfig.OFF, "built-in", DEFAULT_SHUTDOWN_GRACE,
                TempConfig.DEFAULTS);
    }

    public KodiakConfig withAdmin(AdminConfig a) {
        return new KodiakConfig(source, listeners, pools, a, metrics, version, shutdownGrace, temp, acme, warnings, resolvers, kubernetes);
    }

    /** The same configuration with {@code l} for its listeners (certificates re-read from disk). */
    public KodiakConfig withListeners(List<ListenerConfig> l) {
        return new KodiakConfig(source, l, pools, admin, metrics, version, shutdownGrace, temp, acme, warnings, resolvers, kubernetes);
    }

    /** The same configuration with {@code p} for its pools. */
    public KodiakConfig withPools(Map<String, PoolConfig> p) {
        return new KodiakConfig(source, listeners, p, admin, metrics, version, shutdownGrace, temp, acme, warnings, resolvers, kubernetes);
    }

    /** The same configuration with {@code r} for its {@code resolvers} ({@code default} added if missing). */
    public KodiakConfig withResolvers(Map<String, io.kodiak.discovery.DnsSettings> r) {
        return new KodiakConfig(source, listeners, pools, admin, metrics, version, shutdownGrace, temp, acme, warnings, r, kubernetes);
    }

    public KodiakConfig withMetrics(MetricsConfig m) {
        return new KodiakConfig(source, listeners, pools, admin, m, version, shutdownGrace, temp, acme, warnings, resolvers, kubernetes);
    }

    /** Where this configuration came from, for messages: the file name or "quick mode". */
    public String origin() {
        return source == null ? "(built-in)" : source.toString();
    }
}
