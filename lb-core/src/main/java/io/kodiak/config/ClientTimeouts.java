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
 * @param bodyTotal     the longest a request body may take to arrive in all, from its first
 *                      expected byte, time Kodiak itself stopped reading left out; {@link Duration#ZERO}
 *                      turns it off (Apache {@code RequestReadTimeout body=MIN-MAX}'s MAX); 408
 * @param sendMinRate   the slowest a client may take a response, in bytes per second, measured
 *                      over successive windows of {@code send} while output waits for it; 0 turns
 *                      it off. Without it a client reading a few bytes just inside {@code send}
 *                      (a slow-read attack, slowhttptest {@code -X}) holds a connection and up to
 *                      {@code CLIENT_HIGH_WATER} of output for as long as it likes. The connection is
 *                      cut (access-log termination {@code cD}).
 */
public record ClientTimeouts(Duration requestHeader, Duration keepAlive, Duration body, Duration send, long bodyMinRate,
                             Duration bodyTotal, long sendMinRate) {
    /** Apache mod_reqtimeout's default minimum body rate. */
    public static final long DEFAULT_BODY_MIN_RATE = 500;
    /**
     * 100 bytes a second over a {@code send} window (6 KB a minute with the defaults): far below
     * the slowest link a person still uses (GPRS moves some KB a second), far above a slow-read
     * attacker's few bytes per read interval. See docs/configuration.md, "Slow clients".
     */
    public static final long DEFAULT_SEND_MIN_RATE = 100;

    public static final ClientTimeouts DEFAULTS = new ClientTimeouts(
            Duration.ofSeconds(10), Duration.ofSeconds(75), Duration.ofSeconds(60), Duration.ofSeconds(60));

    /** With the default minimum rates and no total body time. */
    public ClientTimeouts(Duration requestHeader, Duration keepAlive, Duration body, Duration send) {
        this(requestHeader, keepAlive, body, send, DEFAULT_BODY_MIN_RATE);
    }

    /** With the default minimum send rate and no total body time. */
    public ClientTimeouts(Duration requestHeader, Duration keepAlive, Duration body, Duration send, long bodyMinRate) {
        this(requestHeader, keepAlive, body, send, bodyMinRate, Duration.ZERO, DEFAULT_SEND_MIN_RATE);
    }

    /** These timeouts with {@code bodyTotal} (ZERO: none). */
    public ClientTimeouts withBodyTotal(Duration total) {
        return new ClientTimeouts(requestHeader, keepAlive, body, send, bodyMinRate, total, sendMinRate);
    }

    /** These timeouts with {@code sendMinRate} (0: none). */
    public ClientTimeouts withSendMinRate(long rate) {
        return new ClientTimeouts(requestHeader, keepAlive, body, send, bodyMinRate, bodyTotal, rate);
    }
}
