package io.kodiak.health;

import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * What one probe found.
 *
 * @param status        the outcome
 * @param detail        a human-readable explanation for logs, e.g. {@code "connect to /10.0.0.5:8000: Connection refused"}
 * @param durationNanos from the probe's start to its outcome
 * @param headers       response header fields the check was asked to capture ({@link HttpCheck#captureHeaders()}),
 *                      by lower-case name; empty for other checks
 */
public record ProbeResult(ProbeStatus status, String detail, long durationNanos, Map<String, String> headers) {

    public ProbeResult {
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(detail, "detail");
        headers = Map.copyOf(headers);
    }

    /** A result without captured headers. */
    public ProbeResult(ProbeStatus status, String detail, long durationNanos) {
        this(status, detail, durationNanos, Map.of());
    }

    /** @return whether this result counts as a passed check */
    public boolean passed() {
        return status.passed();
    }

    /** @return e.g. {@code "REFUSED in 0.412 ms: connect to /10.0.0.5:8000: Connection refused"} */
    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%s in %.3f ms: %s", status, durationNanos / 1e6, detail);
    }
}
