package io.kodiak.config;

import java.util.Set;

/**
 * When a request whose upstream failed before any byte of a response reached the client is sent
 * to another upstream.
 *
 * <p>A refused or timed-out connect is always retried: the request was never sent, so this is safe
 * for any method, and it costs no attempt. So is a pooled connection found closed before any
 * response byte, once, on a new connection, except for a non-idempotent request that was written
 * whole: the upstream may have run it before its connection closed (a Gunicorn worker that died
 * after the work), so it is not repeated unless {@code nonIdempotent} (nginx since 1.9.13). The causes here are the ones after which the upstream may have
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
 * @param nonIdempotent POST, PATCH and other non-idempotent requests are retried too, after the
 *                      upstream may have processed them (nginx {@code proxy_next_upstream non_idempotent})
 */
public record RetryConfig(int attempts, boolean onReset, boolean onTimeout, Set<Integer> onStatus,
                          int budgetPercent, int minPerSecond, boolean nonIdempotent) {

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

    /** Without {@code non-idempotent}, the default. */
    public RetryConfig(int attempts, boolean onReset, boolean onTimeout, Set<Integer> onStatus,
                       int budgetPercent, int minPerSecond) {
        this(attempts, onReset, onTimeout, onStatus, budgetPercent, minPerSecond, false);
    }

    /**
     * Whether a request with this method may be sent again after its upstream may have processed
     * it: an idempotent method, or any when the pool opted in with {@code non-idempotent}.
     */
    public boolean mayRepeat(String method) {
        return nonIdempotent || idempotent(method);
    }

    /** Whether a method may be repeated after the upstream may have processed it (RFC 9110 9.2.2). */
    public static boolean idempotent(String method) {
        return switch (method) {
            case "GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE" -> true;
            default -> false;
        };
    }
}
