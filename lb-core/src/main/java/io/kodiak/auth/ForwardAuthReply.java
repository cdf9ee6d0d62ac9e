package io.kodiak.auth;

import io.kodiak.http.HeaderFields;

/**
 * What came of one forward-auth subrequest: the auth service's answer (its status, fields and,
 * for a denial, its body), or why there is none.
 *
 * @param status  the answer's status; 0 when there is none
 * @param fields  the answer's fields; null when there is none
 * @param body    a denial's body (401, 403, 3xx), else empty
 * @param failure null for an answer; else {@link Failure#UNAVAILABLE} (no upstream of the pool could
 *                take it) or {@link Failure#ERROR} (connect, reset, timeout, a malformed or oversized answer)
 * @param reason  why, for the log; null for an answer
 */
public record ForwardAuthReply(int status, HeaderFields fields, byte[] body, Failure failure, String reason) {
    private static final byte[] NONE = new byte[0];

    /** Why a subrequest has no answer. */
    public enum Failure { UNAVAILABLE, ERROR }

    public static ForwardAuthReply answered(int status, HeaderFields fields, byte[] body) {
        return new ForwardAuthReply(status, fields, body == null ? NONE : body, null, null);
    }

    public static ForwardAuthReply unavailable(String reason) {
        return new ForwardAuthReply(0, null, NONE, Failure.UNAVAILABLE, reason);
    }

    public static ForwardAuthReply error(String reason) {
        return new ForwardAuthReply(0, null, NONE, Failure.ERROR, reason);
    }

    /**
     * Whether an answer of {@code status} goes back to the client, body included: 401, 403 and the
     * redirects (a login page). nginx passes 401 and 403; Traefik every non-2xx; Kodiak both
     * denials and redirects, and treats the rest (404, 5xx...) as the auth service failing.
     */
    public static boolean isDenial(int status) {
        return status == 401 || status == 403 || status == 301 || status == 302 || status == 303
                || status == 307 || status == 308;
    }

    @Override
    public String toString() {
        return failure == null ? "ForwardAuthReply[" + status + ", " + body.length + " bytes]"
                : "ForwardAuthReply[" + failure + ": " + reason + "]";
    }
}
