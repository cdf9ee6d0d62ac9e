package io.kodiak.config;

import java.time.Duration;

/**
 * Upstream-side timeouts.
 *
 * @param connect  TCP connect; on expiry the next upstream is tried (HAProxy {@code timeout connect},
 *                 nginx {@code proxy_connect_timeout})
 * @param response from the request being fully sent to the response head being received; on expiry
 *                 504 (HAProxy {@code timeout server} for the first byte)
 * @param read     the longest gap between two reads of the response body; on expiry the client
 *                 connection is closed so the truncation is visible (nginx {@code proxy_read_timeout})
 * @param send     the longest time a write of the request to the upstream makes no progress (nginx
 *                 {@code proxy_send_timeout}); on expiry 504
 */
public record UpstreamTimeouts(Duration connect, Duration response, Duration read, Duration send) {
    public static final UpstreamTimeouts DEFAULTS = new UpstreamTimeouts(
            Duration.ofSeconds(3), Duration.ofSeconds(60), Duration.ofSeconds(60), Duration.ofSeconds(60));
}
