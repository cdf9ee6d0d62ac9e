package io.kodiak.route;

import io.kodiak.config.RespondConfig;
import io.kodiak.filter.RequestContext;
import io.kodiak.filter.RequestFilter;
import io.kodiak.http.FixedResponse;

/**
 * A route's {@code respond}: the same answer to every request, without an upstream (nginx
 * {@code return 200 "text"}, HAProxy {@code http-request return}). The answer is encoded once
 * ({@link FixedResponse}); per request only {@code Date}, {@code Server}, the echoed request ID
 * and {@code Connection} are added, in one array and one write.
 *
 * <p>Immutable and thread-safe; runs on a selector thread and never blocks.
 */
public final class RespondFilter implements RequestFilter {
    private final FixedResponse answer;

    public RespondFilter(RespondConfig c) {
        this.answer = new FixedResponse(c.status(), c.contentType(), c.body(), c.headers());
    }

    @Override
    public Verdict onRequest(RequestContext r) {
        r.respond(answer);
        return Verdict.RESPONDED;
    }

    @Override
    public String toString() {
        return "RespondFilter[" + answer + "]";
    }
}
