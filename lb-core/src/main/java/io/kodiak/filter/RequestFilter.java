package io.kodiak.filter;

/**
 * The request phase's extension point (Pingora's {@code request_filter}, an nginx access or
 * rewrite phase handler, an Envoy decoder filter): runs once per request after the head is read
 * and routed, before the body is read and before any upstream is picked. It can inspect the
 * head, change the fields sent upstream, send the request to another pool, or answer it itself.
 *
 * <p><b>Threading.</b> Called on the client connection's selector thread with its lock held. It
 * must not block: no I/O, no sleeping, no waiting on another thread's lock. Filters are shared by
 * every connection of their listener or route, so they must be thread-safe; per-request state
 * belongs in the context. Filters run in their configured order: the listener's, then the
 * route's; the first that answers ends the phase.
 */
public interface RequestFilter {
    /**
     * @return {@link Verdict#CONTINUE} to go on, {@link Verdict#RESPONDED} after calling
     *         {@link RequestContext#respond}, or {@link Verdict#SUSPENDED} after
     *         {@link RequestContext#suspend()} (the filter resumes the phase later)
     */
    Verdict onRequest(RequestContext request);

    /** What a request filter decided. */
    enum Verdict { CONTINUE, RESPONDED, SUSPENDED }
}
