package io.kodiak.limit;

import io.kodiak.filter.RequestContext;
import io.kodiak.http.FieldEdits;

import java.nio.charset.StandardCharsets;

/**
 * The answer of one limit rule beyond its limit: its status with {@code Retry-After} in whole
 * seconds, rounded up (RFC 9110 §10.2.3; nginx sends none). Answered as Kodiak's other local
 * errors are, so the route's and listener's {@code error-pages} give its body.
 *
 * <p>Immutable; any thread.
 */
final class LimitAnswers {
    private static final byte[] BODY_429 = "Too many requests\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] BODY_OTHER = "Request refused: over a limit\n".getBytes(StandardCharsets.US_ASCII);

    private final int status;

    LimitAnswers(int status) {
        this.status = status;
    }

    /** Whole seconds, rounded up, at least 1: a client that waits this long finds room. */
    static long seconds(long nanos) {
        return Math.max(1, (nanos + 999_999_999L) / 1_000_000_000L);
    }

    /** Answers {@code request}, which could pass in {@code retryNanos}. */
    void refuse(RequestContext request, long retryNanos) {
        request.respond(status, "text/plain; charset=utf-8", status == 429 ? BODY_429 : BODY_OTHER,
                new FieldEdits().set("Retry-After", Long.toString(seconds(retryNanos))));
    }
}
