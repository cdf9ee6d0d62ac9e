package io.kodiak.config;

import java.time.Duration;

/**
 * Client-side timeouts.
 *
 * @param requestHeader the whole request head must arrive within this time from its first byte
 *                      (HAProxy {@code timeout http-request}, nginx {@code client_header_timeout}); 408
 * @param keepAlive     an idle keep-alive client connection is closed after this (HAProxy
 *                      {@code timeout http-keep-alive}, nginx {@code keepalive_timeout})
 * @param body          the longest gap between two reads of a request body (nginx
 *                      {@code client_body_timeout}); 408
 * @param send          the longest time a write to the client makes no progress (nginx
 *                      {@code send_timeout}); the connection is closed
 */
public record ClientTimeouts(Duration requestHeader, Duration keepAlive, Duration body, Duration send) {
    public static final ClientTimeouts DEFAULTS = new ClientTimeouts(
            Duration.ofSeconds(10), Duration.ofSeconds(75), Duration.ofSeconds(60), Duration.ofSeconds(60));
}
