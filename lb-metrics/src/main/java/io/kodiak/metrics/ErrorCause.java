package io.kodiak.metrics;

import java.util.Locale;

/**
 * Why an exchange with a target failed before a usable response arrived. A closed set, so that it can
 * be a bounded Prometheus label.
 */
public enum ErrorCause {
    /** The target actively refused the connection (TCP RST to the SYN). */
    CONNECT_REFUSED,
    /** No connection within the connect timeout (for TLS, connected and handshaken). */
    CONNECT_TIMEOUT,
    /** Connected, but the TLS handshake failed: the upstream's certificate did not verify, or the upstream refused ours. */
    TLS_HANDSHAKE,
    /** An established connection was reset or closed before the response was complete. */
    RESET,
    /** The connection was established but the response (or its next chunk) did not arrive in time. */
    TIMEOUT,
    /** The target sent something that is not a valid response. */
    INVALID_RESPONSE;

    private final String label = name().toLowerCase(Locale.ROOT);

    /** @return the lower-case name, for a metric label, e.g. {@code connect_refused} */
    public String label() {
        return label;
    }
}
