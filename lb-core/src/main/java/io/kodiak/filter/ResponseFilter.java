package io.kodiak.filter;

/**
 * The response phase's extension point (Pingora's {@code response_filter} and
 * {@code response_body_filter}, an Envoy encoder filter): runs once when the upstream's final
 * response head arrives, before anything goes to the client. It can change the fields and
 * rewrite the body as a stream (compression, substitution) by returning a {@link BodyTransform}.
 * Not called for Kodiak's own answers nor for a WebSocket 101.
 *
 * <p><b>Threading.</b> As {@link RequestFilter}: on a selector thread with the connection's lock
 * held, never blocking; shared, so thread-safe; run in order, listener then route.
 */
public interface ResponseFilter {
    /**
     * @return a transform for this response's body, or null to pass it unchanged. A transformed
     *         body has no known length: it goes chunked to an HTTP/1.1 client, to the close for
     *         HTTP/1.0, and the upstream's {@code Content-Length} is dropped.
     */
    BodyTransform onResponse(ResponseContext response);

    /**
     * Whether this filter applies a content coding (compression): such a filter runs after every
     * other response filter, so it encodes the body the client gets, and there is one per
     * response: a route's replaces its listener's ({@link Filters#then}).
     */
    default boolean encodesBody() {
        return false;
    }
}
