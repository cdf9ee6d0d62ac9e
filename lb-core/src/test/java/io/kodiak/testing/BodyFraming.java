package io.kodiak.testing;

/** How a message's body length was determined on the wire (RFC 9112 section 6.3). */
public enum BodyFraming {
    /** No body: a request without length headers, or a HEAD, 1xx, 204 or 304 response. */
    NONE,
    /** {@code Content-Length}. */
    CONTENT_LENGTH,
    /** {@code Transfer-Encoding: chunked}. */
    CHUNKED,
    /** A response body that ends when the server closes the connection. */
    CLOSE_DELIMITED
}
