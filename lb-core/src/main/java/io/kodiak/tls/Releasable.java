package io.kodiak.tls;

/**
 * An engine that holds memory outside the Java heap (BoringSSL's) and must be given back when its
 * connection ends. A Kodiak type, so that the TLS filter can ask without netty on the class path.
 */
public interface Releasable {
    /** Gives the engine's memory back; {@code true} if this was the last reference. */
    boolean release();
}
