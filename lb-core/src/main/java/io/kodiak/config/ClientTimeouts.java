package io.kodiak.config;

import java.time.Duration;

/**
 * Client-side timeouts.
 *
 * @param requestHeader the whole request head must arrive within this time from its first byte
 *                      (HAProxy {@code timeout http-request}, nginx {@code client_header_timeout}); 408
 * @param keepAlive     an idle keep-alive client connection is closed after this (HAProxy
 *                      {@code timeout http-keep-alive}, nginx {@code keepalive_timeout})
 * @param body          the longest gap between two reads of request body data (nginx
 *                      {@code client_body_timeout}); 408. Chunk framing and extensions are no data.
 * @param send          the longest time a write to the client makes no progress (nginx
 *                      {@code send_timeout}); the connection is closed. A connection closing with
 *                      bytes still queued gets this long in all to take them, then it is cut.
 * @param bodyMinRate   the slowest a request body may arrive, in bytes per second averaged since
 *                      its first byte (or since Kodiak last resumed reading it), checked once
 *                      {@code body} has passed; 0 turns it off (Apache's {@code MinRate}); 408.
 *                      Without it a client trickling a byte per {@code body} holds a connection,
 *                      a buffer and maybe a temp file for as long as it likes.
 */
public record ClientTimeouts(Duration requestHeader, Duration keepAlive, Duration body, Duration send, long bodyMinRate) {
    /** Apache mod_reqtimeout's default minimum body rate. */
    public static final long DEFAULT_BODY_MIN_RATE = 500;

    public static final ClientTimeouts DEFAULTS = new ClientTimeouts(
            Duration.ofSeconds(10), Duration.ofSeconds(75), Duration.ofSeconds(60), Duration.ofSeconds(60));

    /** With the default minimum body rate. */
    public ClientTimeouts(Duration requestHeader, Duration keepAlive, Duration body, Duration send) {
        this(requestHeader, keepAlive, body, send, DEFAULT_BODY_MIN_RATE);
    }
}
