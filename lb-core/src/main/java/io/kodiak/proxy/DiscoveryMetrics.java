package io.kodiak.proxy;

import io.kodiak.discovery.SourceStatus;
import io.kodiak.metrics.MetricSet;

import java.util.List;

/**
 * One discovery source's MBean, {@code io.kodiak:type=Discovery,pool="P",source="S"}:
 * {@code kodiak_discovery_resolutions_total{pool,source,result}} (HAProxy's resolvers counters
 * {@code valid}, {@code nx}, {@code timeout}, {@code refused}...), {@code kodiak_discovery_addresses}
 * and {@code kodiak_discovery_stale} (1 while a failing source's last good set is kept).
 *
 * <p>Every attribute reads the watch's status when scraped; the results are a fixed list, so the
 * label stays bounded whatever a source reports.
 */
final class DiscoveryMetrics {
    /** The results a source counts ({@link SourceStatus#results()}): DNS's, then Kubernetes'. */
    static final List<String> RESULTS = List.of("ok", "nx", "empty", "timeout", "servfail", "refused", "error",
            "forbidden", "reconnect");

    private DiscoveryMetrics() {
    }

    static MetricSet of(DiscoveryRuntime.Source s) {
        MetricSet.Builder b = MetricSet.builder("discovery " + s.pool() + "/" + s.id());
        for (String r : RESULTS) {
            b.counter("resolutions_total", "result", r, "Answers and failures of the source (DNS queries, Kubernetes watch events), by result",
                    () -> s.status().results().getOrDefault(r, 0L));
        }
        return b.gauge("addresses", "Addresses in the source's current set", () -> s.status().addresses())
                .gauge("stale", "1 while the source fails and its last good set is kept", () -> s.status().stale() ? 1 : 0)
                .gauge("last_success_seconds", "Unix time of the source's last successful answer, 0 before the first",
                        () -> s.status().lastSuccessMillis() / 1000.0)
                .build();
    }
}
