package io.kodiak.http;

/**
 * Which forwarding fields {@link RequestEncoder} adds to a request it sends upstream. The
 * listener's configuration ({@code io.kodiak.config.ForwardedHeaders}) implements it, so the codec
 * needs nothing of the configuration model.
 */
public interface Forwarding {
    /** Append the client address to {@code X-Forwarded-For}. */
    boolean xForwardedFor();

    /** Set {@code X-Forwarded-Proto} to the listener's scheme. */
    boolean xForwardedProto();

    /** Set {@code X-Forwarded-Host} to the request's {@code Host}. */
    boolean xForwardedHost();

    /** Append an RFC 7239 {@code Forwarded} element (for, proto, host). */
    boolean forwarded();

    /** Set {@code X-Forwarded-Port} to the port the client connected to. */
    default boolean xForwardedPort() {
        return false;
    }
}
