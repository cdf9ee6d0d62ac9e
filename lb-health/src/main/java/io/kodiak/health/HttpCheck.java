package io.kodiak.health;

import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * What an HTTP check sends and what it accepts: HAProxy's {@code option httpchk METHOD PATH} with
 * {@code http-check send hdr Host} and {@code http-check expect status|string}.
 *
 * @param method       the request method, e.g. {@code GET} or {@code HEAD}
 * @param path         the request target, starting with {@code /}
 * @param host         the {@code Host} header, or {@code null} for the target's address
 * @param expectStatus the statuses that pass; HAProxy's default is 2xx and 3xx
 * @param expectBody   text the first {@link HttpProbeClient#MAX_BODY_BYTES} bytes of the body must
 *                     contain, or {@code null} to accept any body
 * @param captureHeaders response header fields to pass on in {@link ProbeResult#headers()} (by
 *                     lower-case name), for the caller's own use: how a node reports its state
 */
public record HttpCheck(String method, String path, String host, List<StatusRange> expectStatus, String expectBody,
                        Set<String> captureHeaders) {

    /** 2xx and 3xx pass, as with HAProxy's {@code option httpchk}. */
    public static final List<StatusRange> DEFAULT_STATUS = List.of(new StatusRange(200, 399));

    /** {@code GET /}, any Host, 2xx or 3xx, any body. */
    public static final HttpCheck DEFAULTS = new HttpCheck("GET", "/", null, DEFAULT_STATUS, null);

    /** A check that captures no headers. */
    public HttpCheck(String method, String path, String host, List<StatusRange> expectStatus, String expectBody) {
        this(method, path, host, expectStatus, expectBody, Set.of());
    }

    public HttpCheck {
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(path, "path");
        if (!path.startsWith("/")) {
            throw new IllegalArgumentException("path must start with /: " + path);
        }
        expectStatus = List.copyOf(expectStatus);
        Set<String> lower = new java.util.HashSet<>();
        for (String h : captureHeaders) {
            lower.add(h.toLowerCase(java.util.Locale.ROOT));
        }
        captureHeaders = Set.copyOf(lower);
        if (expectStatus.isEmpty()) {
            throw new IllegalArgumentException("expectStatus must not be empty");
        }
    }

    /** @return whether a response with this status passes */
    public boolean accepts(int status) {
        for (StatusRange r : expectStatus) {
            if (r.contains(status)) {
                return true;
            }
        }
        return false;
    }

    /** An inclusive range of statuses, e.g. 200-299; a single status has {@code from == to}. */
    public record StatusRange(int from, int to) {
        public StatusRange {
            if (from < 100 || to > 599 || from > to) {
                throw new IllegalArgumentException("status range must lie within 100-599, low to high: " + from + "-" + to);
            }
        }

        public boolean contains(int status) {
            return status >= from && status <= to;
        }

        @Override
        public String toString() {
            return from == to ? Integer.toString(from) : from + "-" + to;
        }
    }
}
