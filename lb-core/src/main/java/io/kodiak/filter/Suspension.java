package io.kodiak.filter;

/**
 * A request phase paused by a {@link RequestFilter} that cannot decide at once: a rate limit that
 * delays a request (nginx {@code limit_req} without {@code nodelay}), a tarpit that holds one
 * before its 403, an authentication that waits for a password hash worked out on another thread
 * or for an auth service's answer (nginx {@code auth_request}). Got from
 * {@link RequestContext#suspend()}; the filter then returns {@link RequestFilter.Verdict#SUSPENDED}.
 *
 * <p>While suspended, no thread waits: the connection reads nothing more of the request (what
 * the client sends meanwhile waits within the session's bound on pending bytes), and the request
 * phase goes on when the filter resumes it. Nothing else times a suspension out: a filter that
 * suspends must resume within a bound of its own (a timeout on its subrequest, the delay it
 * chose) or the request waits until the client gives up.
 *
 * <p>Threading: {@link #resume} and {@link #resumeAfter} may be called from any thread; the step
 * runs later on the client connection's selector thread with its lock held, as the suspended
 * filter did. Only the first resume counts; one after the request is gone (the client closed, the
 * exchange ended) does nothing.
 */
public interface Suspension {
    /**
     * Goes on with {@code step}, run as the suspended filter would have run: its verdict is that
     * filter's ({@code CONTINUE}: the next filter; {@code RESPONDED}: its answer; {@code SUSPENDED}
     * after another {@link RequestContext#suspend()}: wait again).
     */
    void resume(RequestFilter step);

    /** Goes on with the next filter, as if the suspended filter had returned {@code CONTINUE}. */
    default void proceed() {
        resume(request -> RequestFilter.Verdict.CONTINUE);
    }

    /** As {@link #resume}, once {@code delayNanos} have passed (a timer: no thread waits). */
    void resumeAfter(long delayNanos, RequestFilter step);

    /**
     * Whether the request is gone (its client closed, or the exchange ended otherwise): work done
     * for it (a subrequest, a hash) may stop. A resume then does nothing.
     */
    boolean cancelled();
}
