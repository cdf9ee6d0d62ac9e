package io.kodiak.config;

import java.time.Duration;

/**
 * The keep-alive pool of upstream connections, per upstream.
 *
 * @param maxIdle     most idle connections kept per upstream (nginx {@code keepalive}); 0 disables reuse
 * @param idleTimeout an idle pooled connection is closed after this; keep it shorter than the
 *                    upstream's own keep-alive (Gunicorn's default is 2 s) so Kodiak never reuses a
 *                    connection the upstream is closing
 */
public record ConnectionPoolConfig(int maxIdle, Duration idleTimeout) {
    public static final ConnectionPoolConfig DEFAULTS = new ConnectionPoolConfig(32, Duration.ofMillis(1500));
}
