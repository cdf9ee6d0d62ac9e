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
 * @param handshakes how long a handshake may take and how many may be in progress at once
 */
public record TlsConfig(List<CertFiles> files, ServerTls server, Hsts hsts, Handshakes handshakes) {
    public TlsConfig {
        files = List.copyOf(files);
        java.util.Objects.requireNonNull(handshakes, "handshakes");
    }

    public TlsConfig(List<CertFiles> files, ServerTls server, Hsts hsts) {
        this(files, server, hsts, Handshakes.DEFAULTS);
    }

    public TlsConfig(List<CertFiles> files, ServerTls server) {
        this(files, server, null);
    }

    /**
     * The bounds on handshakes, against slowloris at the TLS layer and handshake floods.
     *
     * @param timeout a connection whose handshake has not finished this long after Kodiak began
     *                reading it is closed; the request head's own timeout starts when it finishes
     * @param max     most handshakes in progress on the listener; a connection over the bound is
     *                accepted but not read until one finishes (actix's
     *                {@code max_concurrent_ssl_accept}, 256, leaves it in the backlog), and waits
     *                at most {@code timeout} for that
     */
    public record Handshakes(java.time.Duration timeout, int max) {
        /**
         * 10 s: a full handshake is two round trips and a few milliseconds of CPU, so even a
         * client on a 1 s-RTT mobile link is done in under 5 s; what takes longer is stalling on
         * purpose. Kodiak's {@code request-header} default is 10 s too (HAProxy's examples use
         * {@code timeout http-request 10s}), and ASP.NET Kestrel's handshake timeout is 10 s; nginx covers it with
         * {@code client_header_timeout}, 60 s. 256 at once: a JDK full handshake costs 1-2 ms of
         * CPU, so 256 queued is at most about half a second of work for two cores, and a
         * listener taking 1,000 handshakes a second at 100 ms each has about 100 in progress.
         */
        public static final Handshakes DEFAULTS = new Handshakes(java.time.Duration.ofSeconds(10), 256);
    }

    public TlsConfig withHandshakes(Handshakes h) {
        return new TlsConfig(files, server, hsts, h);
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
        return new TlsConfig(files, server, h, handshakes);
    }

    /**
     * One certificate chain file and its key file; or a PKCS#12 file ({@code cert} and {@code key}
     * both that file) and the file of its password ({@code null}: none).
     */
    public record CertFiles(Path cert, Path key, Path passwordFile, boolean pkcs12) {
        public CertFiles(Path cert, Path key) {
            this(cert, key, null, false);
        }

        public static CertFiles pkcs12(Path file, Path passwordFile) {
            return new CertFiles(file, file, passwordFile, true);
        }
    }

    /** Reads and checks {@code files} (each problem an {@link IOException} naming its file) and builds the server side. */
    public static TlsConfig load(List<CertFiles> files, Instant now) throws IOException {
        return load(files, now, null);
    }

    /** As {@link #load(List, Instant)}, asking clients for certificates as {@code clientAuth} says (null: not). */
    public static TlsConfig load(List<CertFiles> files, Instant now, io.kodiak.tls.ClientAuth clientAuth) throws IOException {
        return load(files, now, clientAuth, TlsEngine.AUTO, null);
    }

    /** As {@link #load(List, Instant, io.kodiak.tls.ClientAuth)}, with the holder of {@code tls.domains} (null: none). */
    static TlsConfig load(List<CertFiles> files, Instant now, io.kodiak.tls.ClientAuth clientAuth, TlsEngine engine,
                          io.kodiak.tls.ManagedKeys managed) throws IOException {
        return load(files, now, clientAuth, engine, managed, true);
    }

    static TlsConfig load(List<CertFiles> files, Instant now, io.kodiak.tls.ClientAuth clientAuth, TlsEngine engine,
                          io.kodiak.tls.ManagedKeys managed, boolean stapling) throws IOException {
        List<CertifiedKey> keys = new ArrayList<>();
        List<CertFiles> read = new ArrayList<>();
        java.util.Set<Path> pkcs12Read = new java.util.HashSet<>();
        for (CertFiles f : files) {
            if (!f.pkcs12()) {
                keys.add(CertifiedKey.load(f.cert(), f.key(), now));
                read.add(f);
            } else if (pkcs12Read.add(f.cert())) { // one entry per key of the file: read it once, for all of them
                for (CertifiedKey k : loadPkcs12(f, now)) {
                    keys.add(k);
                    read.add(f);
                }
            }
        }
        return of(read, keys, clientAuth, engine, managed, stapling);
    }

    /** Every key entry of a PKCS#12 file, with its password from its file. */
    public static List<CertifiedKey> loadPkcs12(CertFiles f, Instant now) throws IOException {
        char[] password = f.passwordFile() == null ? new char[0] : io.kodiak.tls.PasswordFile.read(f.passwordFile());
        try {
            return io.kodiak.tls.Pkcs12Files.load(f.cert(), password, now);
        } finally {
            java.util.Arrays.fill(password, '\0');
        }
    }

    /** The server side of {@code keys}, read already from {@code files} (in the same order). */
    public static TlsConfig of(List<CertFiles> files, List<CertifiedKey> keys, io.kodiak.tls.ClientAuth clientAuth)
            throws IOException {
        return of(files, keys, clientAuth, TlsEngine.AUTO, null);
    }

    /** As {@link #of(List, List, io.kodiak.tls.ClientAuth)}, with the certificates of {@code tls.domains} (null: none). */
    public static TlsConfig of(List<CertFiles> files, List<CertifiedKey> keys, io.kodiak.tls.ClientAuth clientAuth,
                               io.kodiak.tls.ManagedKeys managed) throws IOException {
        return of(files, keys, clientAuth, TlsEngine.AUTO, managed);
    }

    /**
     * As {@link #of(List, List, io.kodiak.tls.ClientAuth)}, on the {@code engine} chosen.
     *
     * @throws IllegalStateException if the engine is {@code openssl} and BoringSSL cannot load here
     */
    public static TlsConfig of(List<CertFiles> files, List<CertifiedKey> keys, io.kodiak.tls.ClientAuth clientAuth,
                               TlsEngine engine) throws IOException {
        return of(files, keys, clientAuth, engine, null);
    }

    /** The whole of it: files' certificates, client certificates, engine and the holder of {@code tls.domains}. */
    public static TlsConfig of(List<CertFiles> files, List<CertifiedKey> keys, io.kodiak.tls.ClientAuth clientAuth,
                               TlsEngine engine, io.kodiak.tls.ManagedKeys managed) throws IOException {
        return of(files, keys, clientAuth, engine, managed, true);
    }

    /** @param stapling {@code tls.ocsp-stapling} */
    public static TlsConfig of(List<CertFiles> files, List<CertifiedKey> keys, io.kodiak.tls.ClientAuth clientAuth,
                               TlsEngine engine, io.kodiak.tls.ManagedKeys managed, boolean stapling) throws IOException {
        try {
            return new TlsConfig(files, ServerTls.of(keys, clientAuth, engine, managed, stapling));
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot set up TLS: " + e.getMessage(), e);
        }
    }

    public List<CertifiedKey> certificates() {
        return server.certificates();
    }

    /** Every file this TLS was read from: each certificate chain and key, and the client CAs' file. */
    public List<Path> sourceFiles() {
        List<Path> all = new ArrayList<>();
        for (CertFiles f : files) {
            all.add(f.cert());
            all.add(f.key());
            if (f.passwordFile() != null) {
                all.add(f.passwordFile());
            }
        }
        if (server.clientAuth() != null && server.clientAuth().caFile() != null) {
            all.add(server.clientAuth().caFile());
        }
        return all;
    }

    /**
     * The same TLS read again from its files, with the same settings, checked as at start (an
     * {@link IOException} naming the file at fault): what a certificate renewed on disk becomes.
     */
    public TlsConfig reread(Instant now) throws IOException {
        io.kodiak.tls.ClientAuth auth = server.clientAuth();
        if (auth != null && auth.caFile() != null) {
            auth = auth.reread();
        }
        return load(files, now, auth, server.configuredEngine(), server.managed(), server.stapling())
                .withHsts(hsts).withHandshakes(handshakes);
    }

    /** The same settings with another server side (a reload that found the same certificates keeps the old one). */
    public TlsConfig withServer(ServerTls s) {
        return new TlsConfig(files, s, hsts, handshakes);
    }

    /**
     * Whether {@code o} read the same files and got the same certificates and client CAs: then
     * its server side, with its session cache and ticket keys, can stay.
     */
    public boolean sameCertificates(TlsConfig o) {
        return o != null && files.equals(o.files) && java.util.Objects.equals(server.clientAuth(), o.server.clientAuth())
                && java.util.Objects.equals(server.managed(), o.server.managed())
                && server.configuredEngine() == o.server.configuredEngine() && server.stapling() == o.server.stapling()
                && certificates().stream().map(k -> k.leaf()).toList().equals(o.certificates().stream().map(k -> k.leaf()).toList());
    }

    /**
     * Equal when the same files were read and gave the same certificates, with the same settings:
     * a reload that re-reads renewed files is a change, one that reads the same bytes is not.
     */
    @Override
    public boolean equals(Object o) {
        return o instanceof TlsConfig t && sameCertificates(t) && java.util.Objects.equals(hsts, t.hsts)
                && handshakes.equals(t.handshakes);
    }

    @Override
    public int hashCode() {
        return files.hashCode();
    }
}
