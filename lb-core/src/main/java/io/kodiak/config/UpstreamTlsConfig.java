package io.kodiak.config;

import io.kodiak.tls.UpstreamTls;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A pool's TLS to its upstreams ({@code pools.NAME.tls}), read and checked when the
 * configuration is loaded, with the client side built from it.
 *
 * @param ca         the CA bundle, or {@code null} for the JDK's trust store
 * @param verify     whether the upstream's chain and name are verified (default true)
 * @param serverName the name sent (SNI) and verified, or {@code null} for each upstream's host
 * @param clientCert the client certificate chain, or {@code null}
 * @param clientKey  its key, or {@code null}
 * @param client     the client side every upstream connection's engine comes from
 */
public record UpstreamTlsConfig(Path ca, boolean verify, String serverName, Path clientCert, Path clientKey,
                                UpstreamTls client) {
    /**
     * Equal when the same settings read the same certificates: a reload that re-reads a renewed
     * CA or client certificate is a change (new connections use it, pooled ones close), one that
     * reads the same bytes is not (pooled connections and TLS sessions stay).
     */
    @Override
    public boolean equals(Object o) {
        return o instanceof UpstreamTlsConfig t && verify == t.verify && Objects.equals(ca, t.ca)
                && Objects.equals(serverName, t.serverName) && Objects.equals(clientCert, t.clientCert)
                && Objects.equals(clientKey, t.clientKey) && Objects.equals(client.cas(), t.client.cas())
                && Objects.equals(client.clientKey() == null ? null : client.clientKey().chain(),
                        t.client.clientKey() == null ? null : t.client.clientKey().chain())
                && Objects.equals(client.clientKey() == null ? null : client.clientKey().key(),
                        t.client.clientKey() == null ? null : t.client.clientKey().key());
    }

    @Override
    public int hashCode() {
        return Objects.hash(ca, verify, serverName, clientCert, clientKey);
    }

    /** As the start-up summary and a reload's changes say it: {@code https verified against /etc/ca.pem as app.internal}. */
    @Override
    public String toString() {
        return "https " + (verify ? "verified against " + (ca == null ? "the JDK's trust store" : ca.toString())
                + (serverName == null ? "" : " as " + serverName) : "NOT verified")
                + (clientCert == null ? "" : ", client certificate " + clientCert);
    }
}
