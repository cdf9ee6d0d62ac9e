package io.kodiak.config;

import io.kodiak.tls.CertifiedKey;
import io.kodiak.tls.ServerTls;
import io.kodiak.tls.TlsEngine;

import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A listener's TLS: its certificates, read and checked when the configuration is loaded (so a bad
 * file fails {@code kodiak check}, the start and a reload, never a handshake), and the server side
 * built from them.
 *
 * @param files  each certificate's chain and key file, as configured (for messages and reloads)
 * @param server the server side every new connection's engine comes from
 * @param hsts   the {@code Strict-Transport-Security} sent on every response, or {@code null}
 */
public record TlsConfig(List<CertFiles> files, ServerTls server, Hsts hsts) {
    public TlsConfig {
        files = List.copyOf(files);
    }

    public TlsConfig(List<CertFiles> files, ServerTls server) {
        this(files, server, null);
    }

    /**
     * HSTS (RFC 6797): browsers use only HTTPS for the host for {@code maxAgeSeconds}.
     *
     * @param includeSubdomains the same for every subdomain
     * @param preload           asks to be put in the browsers' built-in lists (hstspreload.org
     *                          wants a year and subdomains)
     */
    public record Hsts(long maxAgeSeconds, boolean includeSubdomains, boolean preload) {
        public String headerValue() {
            return "max-age=" + maxAgeSeconds + (includeSubdomains ? "; includeSubDomains" : "") + (preload ? "; preload" : "");
        }
    }

    public TlsConfig withHsts(Hsts h) {
        return new TlsConfig(files, server, h);
    }

    /** One certificate chain file and its key file. */
    public record CertFiles(Path cert, Path key) {
    }

    /** Reads and checks {@code files} (each problem an {@link IOException} naming its file) and builds the server side. */
    public static TlsConfig load(List<CertFiles> files, Instant now) throws IOException {
        return load(files, now, null);
    }

    /** As {@link #load(List, Instant)}, asking clients for certificates as {@code clientAuth} says (null: not). */
    public static TlsConfig load(List<CertFiles> files, Instant now, io.kodiak.tls.ClientAuth clientAuth) throws IOException {
        List<CertifiedKey> keys = new ArrayList<>();
        for (CertFiles f : files) {
            keys.add(CertifiedKey.load(f.cert(), f.key(), now));
        }
        return of(files, keys, clientAuth);
    }

    /** The server side of {@code keys}, read already from {@code files} (in the same order). */
    public static TlsConfig of(List<CertFiles> files, List<CertifiedKey> keys, io.kodiak.tls.ClientAuth clientAuth)
            throws IOException {
        return of(files, keys, clientAuth, TlsEngine.AUTO);
    }

    /**
     * As {@link #of(List, List, io.kodiak.tls.ClientAuth)}, on the {@code engine} chosen.
     *
     * @throws IllegalStateException if the engine is {@code openssl} and BoringSSL cannot load here
     */
    public static TlsConfig of(List<CertFiles> files, List<CertifiedKey> keys, io.kodiak.tls.ClientAuth clientAuth,
                               TlsEngine engine) throws IOException {
        try {
            return new TlsConfig(files, ServerTls.of(keys, clientAuth, engine));
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot set up TLS: " + e.getMessage(), e);
        }
    }

    public List<CertifiedKey> certificates() {
        return server.certificates();
    }

    /**
     * Equal when the same files were read and gave the same certificates: a reload that re-reads
     * renewed files is a change, one that reads the same bytes is not.
     */
    @Override
    public boolean equals(Object o) {
        return o instanceof TlsConfig t && files.equals(t.files) && java.util.Objects.equals(hsts, t.hsts)
                && java.util.Objects.equals(server.clientAuth(), t.server.clientAuth())
                && server.configuredEngine() == t.server.configuredEngine()
                && certificates().stream().map(k -> k.leaf()).toList().equals(t.certificates().stream().map(k -> k.leaf()).toList());
    }

    @Override
    public int hashCode() {
        return files.hashCode();
    }
}
