package io.kodiak.limit;

import io.kodiak.http.FixedResponse;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The answers of one limit rule beyond its limit: its status with {@code Retry-After} in whole
 * seconds (RFC 9110 §10.2.3; nginx sends none). Encoded once per distinct Retry-After up to
 * {@link #CACHED_SECONDS}, since under a flood refusing is the path every request takes.
 *
 * <p>Thread-safe: two threads may encode the same answer once each; either is kept.
 */
final class LimitAnswers {
    private static final int CACHED_SECONDS = 120;
    private static final byte[] BODY = "Too many requests\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] BODY_503 = "Service temporarily unavailable\n".getBytes(StandardCharsets.US_ASCII);

    private final int status;
    private final AtomicReferenceArray<FixedResponse> cache = new AtomicReferenceArray<>(CACHED_SECONDS + 1);

    LimitAnswers(int status) {
        this.status = status;
    }

    /** Whole seconds, rounded up, at least 1: a client that waits this long finds room. */
    static long seconds(long nanos) {
        return Math.max(1, (nanos + 999_999_999L) / 1_000_000_000L);
    }

    /** The answer for a request that could pass in {@code retryNanos}. */
    FixedResponse answer(long retryNanos) {
        long s = seconds(retryNanos);
        if (s > CACHED_SECONDS) {
            return encode(s);
        }
        FixedResponse r = cache.get((int) s);
        if (r == null) {
            r = encode(s);
            cache.set((int) s, r);
        }
        return r;
    }

    private FixedResponse encode(long seconds) {
        return new FixedResponse(status, "text/plain; charset=utf-8", status == 503 ? BODY_503 : BODY,
                List.of(Map.entry("Retry-After", Long.toString(seconds))));
    }
}
