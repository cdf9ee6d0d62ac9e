package io.kodiak.config;

import java.time.Duration;
import java.util.Objects;

/**
 * Passive health (Envoy's outlier detection): when live traffic shows an upstream failing, take it
 * out of the selection for a while.
 *
 * @param consecutiveFailures failed requests in a row that eject an upstream; 0 turns detection off
 * @param count5xx            whether a 5xx response counts as a failure (connect errors, resets,
 *                            timeouts and invalid responses always do)
 * @param baseEjectionTime    how long the first ejection lasts; the n-th lasts n times as long
 * @param maxEjectionTime     the longest an ejection lasts; also how long an upstream must go without
 *                            one before its count starts over
 * @param maxEjectionPercent  the most of the pool ejected at once (one upstream always may be)
 */
public record OutlierConfig(int consecutiveFailures, boolean count5xx, Duration baseEjectionTime,
                            Duration maxEjectionTime, int maxEjectionPercent) {

    /** Envoy's defaults: 5 in a row, 30 s, at most 300 s, at most 10 % of the pool (at least one upstream). */
    public static final OutlierConfig DEFAULTS = new OutlierConfig(5, false, Duration.ofSeconds(30),
            Duration.ofSeconds(300), 10);

    /** No ejections. */
    public static final OutlierConfig OFF = new OutlierConfig(0, false, Duration.ofSeconds(30), Duration.ofSeconds(300), 10);

    public OutlierConfig {
        Objects.requireNonNull(baseEjectionTime, "baseEjectionTime");
        Objects.requireNonNull(maxEjectionTime, "maxEjectionTime");
        if (consecutiveFailures < 0 || maxEjectionPercent < 0 || maxEjectionPercent > 100) {
            throw new IllegalArgumentException("consecutive-failures >= 0 and max-ejection-percent 0-100");
        }
    }

    @Override
    public String toString() {
        return consecutiveFailures == 0 ? "outlier detection off"
                : "eject after " + consecutiveFailures + " failures for " + Values.format(baseEjectionTime) + " x n";
    }
}
