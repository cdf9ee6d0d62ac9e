package io.kodiak.config;

import java.util.Set;

/**
 * When a request whose upstream failed before any byte of a response reached the client is sent
 * to another upstream.
 *
 * <p>A refused or timed-out connect, and a pooled connection found closed before it carried the
 * request, are always retried: the request was never processed, so this is safe for any method,
 * and it costs no attempt. The causes here are the ones after which the upstream may have
 * processed the request; they are retried only for idempotent methods (RFC 9110 9.2.2: GET, HEAD,
 * OPTIONS, TRACE, PUT, DELETE), only with a buffered body, only on an upstream not tried yet, and
 * only within the budget.
 *
 * @param attempts      retries after the first attempt; 0 for none
 * @param onReset       the connection closed or reset before a complete response head
 * @param onTimeout     no response head within the response timeout (or the request could not be sent in time)
 * @param onStatus      response statuses that are retried instead of relayed (502, 503, 504)
 * @param budgetPercent retries may add at most this share of the pool's requests over the last 10 s
 * @param minPerSecond  retries allowed per second however few requests there were
 */
public record RetryConfig(int attempts, boolean onReset, boolean onTimeout, Set<Integer> onStatus,
                          int budgetPercent, int minPerSecond) {

    /** The statuses {@code on} may list. */
    public static final Set<Integer> RETRIABLE_STATUSES = Set.of(502, 503, 504);

    /** Two retries on reset and timeout, within 20 % of requests plus 3 per second (Envoy's budget defaults). */
    public static final RetryConfig DEFAULTS = new RetryConfig(2, true, true, Set.of(), 20, 3);

    public RetryConfig {
        onStatus = Set.copyOf(onStatus);
        if (!RETRIABLE_STATUSES.containsAll(onStatus)) {
            throw new IllegalArgumentException("only 502, 503 and 504 can be retried: " + onStatus);
        }
        if (attempts < 0 || budgetPercent < 0 || minPerSecond < 0) {
            throw new IllegalArgumentException("attempts, budget and min-per-second must not be negative");
        }
    }

    /** Whether a method may be repeated after the upstream may have processed it (RFC 9110 9.2.2). */
    public static boolean idempotent(String method) {
        return switch (method) {
            case "GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE" -> true;
            default -> false;
        };
    }
}
