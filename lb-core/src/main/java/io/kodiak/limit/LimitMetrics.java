package io.kodiak.limit;

import io.kodiak.metrics.MetricSet;

/**
 * The metrics of a limit zone, one MBean each: {@code io.kodiak:type=RateLimit,zone="Z"} exported
 * as {@code kodiak_rate_limit_requests_total{zone, result="passed|delayed|rejected"}},
 * {@code kodiak_rate_limit_evictions_total{zone}} and {@code kodiak_rate_limit_keys{zone}}, and
 * {@code io.kodiak:type=ConcurrencyLimit,zone="Z"} as
 * {@code kodiak_concurrency_limit_requests_total{zone, result="passed|rejected|full"}},
 * {@code kodiak_concurrency_limit_in_flight{zone}}, {@code ..._keys} and {@code ..._evictions_total}.
 * The counters live in the zone, so a reload that keeps the zone keeps them.
 */
public final class LimitMetrics {
    private LimitMetrics() {
    }

    public static MetricSet of(RateZone z) {
        return MetricSet.builder("rate limit zone " + z.config().name())
                .counter("requests_total", "result", "passed", "Requests the zone let through at once", z::passed)
                .counter("requests_total", "result", "delayed", "Requests the zone let through after a delay (burst without nodelay)",
                        z::delayed)
                .counter("requests_total", "result", "rejected", "Requests refused over the rate and burst", z::rejected)
                .counter("evictions_total", "Keys whose state was evicted to make room for a new key (max-keys)", z::evictions)
                .gauge("keys", "Keys whose state the zone holds (at most max-keys)", z::keys)
                .gauge("max_keys", "The zone's max-keys", () -> z.config().maxKeys())
                .build();
    }

    public static MetricSet of(ConcurrencyZone z) {
        return MetricSet.builder("concurrency limit zone " + z.config().name())
                .counter("requests_total", "result", "passed", "Requests counted in", z::passed)
                .counter("requests_total", "result", "rejected", "Requests refused over a key's max", z::rejected)
                .counter("requests_total", "result", "full",
                        "Requests refused because every slot of the key's part of the zone had requests in progress", z::full)
                .counter("evictions_total", "Idle keys evicted to make room for a new key (max-keys)", z::evictions)
                .gauge("keys", "Keys the zone holds (at most max-keys)", z::keys)
                .gauge("in_flight", "Requests in progress counted by the zone", z::inFlight)
                .gauge("max_keys", "The zone's max-keys", () -> z.config().maxKeys())
                .build();
    }
}
