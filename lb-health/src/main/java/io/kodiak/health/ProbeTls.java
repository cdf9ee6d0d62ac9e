package io.kodiak.health;

import javax.net.ssl.SSLEngine;

/**
 * TLS for a check's connection: whoever configures the target makes each connection's client
 * engine, with its verification, server name and client certificate already set (this library
 * only runs it). Implementations are compared with {@code equals}: equal ones are the same
 * settings for the same target.
 */
@FunctionalInterface
public interface ProbeTls {
    /** A client engine for one check's connection. */
    SSLEngine newEngine();
}
