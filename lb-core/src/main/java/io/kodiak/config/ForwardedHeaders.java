package io.kodiak.config;

import io.kodiak.http.Forwarding;

/**
 * Which forwarding headers Kodiak adds to requests it sends upstream.
 *
 * @param xForwardedFor   append the client address to {@code X-Forwarded-For}
 * @param xForwardedProto set {@code X-Forwarded-Proto} to the listener's scheme
 * @param xForwardedHost  set {@code X-Forwarded-Host} to the request's {@code Host}
 * @param forwarded       append an RFC 7239 {@code Forwarded} element (for, proto, host)
 * @param xForwardedPort  set {@code X-Forwarded-Port} to the port the client connected to (off by
 *                        default, as in nginx, HAProxy and Caddy; Django's {@code USE_X_FORWARDED_PORT}
 *                        and Werkzeug's {@code ProxyFix(x_port=1)} read it)
 */
public record ForwardedHeaders(boolean xForwardedFor, boolean xForwardedProto, boolean xForwardedHost,
                               boolean forwarded, boolean xForwardedPort) implements Forwarding {
    public static final ForwardedHeaders DEFAULTS = new ForwardedHeaders(true, true, true, false, false);

    /** Without {@code X-Forwarded-Port}. */
    public ForwardedHeaders(boolean xForwardedFor, boolean xForwardedProto, boolean xForwardedHost, boolean forwarded) {
        this(xForwardedFor, xForwardedProto, xForwardedHost, forwarded, false);
    }
}
