package io.kodiak.discovery;

import java.util.Map;

/**
 * A source as the admin API and the metrics show it.
 *
 * @param addresses          how many addresses the current set has
 * @param stale              whether the set is a last good one kept through failures
 * @param lastSuccessMillis  wall-clock time of the last successful answer, 0 before the first
 * @param lastError          the last failure's text, or {@code null}
 * @param nextRefreshMillis  wall-clock time of the next query (DNS), 0 for a watch
 * @param results            answers by result since start: {@code ok}, {@code nx}, {@code empty},
 *                           {@code timeout}, {@code servfail}, {@code refused}, {@code error},
 *                           {@code forbidden}, {@code reconnect}
 */
public record SourceStatus(int addresses, boolean stale, long lastSuccessMillis, String lastError,
                           long nextRefreshMillis, Map<String, Long> results) {
    public SourceStatus {
        results = Map.copyOf(results);
    }
}
