package io.kodiak.tls;

import java.security.GeneralSecurityException;
import java.time.Clock;
import java.util.List;
import javax.net.ssl.SSLEngine;

/**
 * A TLS listener's server side: its certificates behind an {@link SniKeyManager}, and every engine
 * it makes set up as Mozilla's "intermediate" configuration says (the one nginx and HAProxy users
 * copy from ssl-config.mozilla.org): TLS 1.2 and 1.3 only, AEAD suites with forward secrecy, the
 * client's order of preference (all of them are good), ALPN {@code http/1.1}, no 0-RTT, no
 * client-initiated renegotiation, session resumption by a session cache and TLS 1.3 tickets.
 *
 * <p>The engines are BoringSSL's ({@link OpenSslEngines}) or the JDK's ({@link JdkEngines}), as
 * {@link TlsEngine} chose; both keep every rule above.
 *
 * <p>Immutable and thread-safe; a reload builds a new one and new connections use it.
 */
public final class ServerTls {
    /** TLS 1.3 first, then TLS 1.2 with ECDSA before RSA, as Mozilla's intermediate list. */
    static final List<String> CIPHER_SUITES = List.of(
            "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
            "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
            "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256");
    static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");
    /**
     * The application protocols offered, as nginx does; {@code h2} joins when Kodiak speaks it.
     * {@code http/1.0} is there because the JDK ends a handshake whose ALPN lists do not meet, and
     * an HTTP/1.0 client offering only that (curl --http1.0) is served.
     */
    static final List<String> ALPN = List.of("http/1.1", "http/1.0");
    /** Sessions kept for resumption by ID (TLS 1.2); each is a few hundred bytes. */
    static final int SESSION_CACHE = 20_000;
    static final int SESSION_SECONDS = 24 * 3600;

    /** What makes one accepted connection's engine. */
    interface Engines {
        SSLEngine newEngine();

        /** The cipher suites the engines enable, in order, by their standard names. */
        List<String> cipherSuites();

        /** {@link TlsEngine#OPENSSL} or {@link TlsEngine#JDK}. */
        TlsEngine kind();
    }

    private final Engines engines;
    private final List<CertifiedKey> keys;
    private final ClientAuth clientAuth;
    private final TlsEngine configured;
    private final ManagedKeys managed;

    private final boolean stapling;

    private ServerTls(Engines engines, List<CertifiedKey> keys, ClientAuth clientAuth, TlsEngine configured, ManagedKeys managed,
                      boolean stapling) {
        this.stapling = stapling;
        this.managed = managed;
        this.engines = engines;
        this.keys = keys;
        this.clientAuth = clientAuth;
        this.configured = configured;
    }

    public static ServerTls of(List<CertifiedKey> keys) throws GeneralSecurityException {
        return of(keys, null);
    }

    /** @param clientAuth client certificates to ask for and verify, or {@code null} for none */
    public static ServerTls of(List<CertifiedKey> keys, ClientAuth clientAuth) throws GeneralSecurityException {
        return of(keys, clientAuth, TlsEngine.AUTO);
    }

    /**
     * @param engine which implementation; {@link TlsEngine#OPENSSL} where BoringSSL cannot load
     *               is an {@link IllegalStateException} that says why
     */
    public static ServerTls of(List<CertifiedKey> keys, ClientAuth clientAuth, TlsEngine engine)
            throws GeneralSecurityException {
        return of(keys, clientAuth, engine, null);
    }

    /** @param managed the certificates of the listener's {@code tls.domains} (ACME), or {@code null} */
    public static ServerTls of(List<CertifiedKey> keys, ClientAuth clientAuth, TlsEngine engine, ManagedKeys managed)
            throws GeneralSecurityException {
        return of(keys, clientAuth, engine, managed, true);
    }

    /** @param stapling whether the BoringSSL engine staples OCSP answers ({@code tls.ocsp-stapling}) */
    public static ServerTls of(List<CertifiedKey> keys, ClientAuth clientAuth, TlsEngine engine, ManagedKeys managed,
                               boolean stapling) throws GeneralSecurityException {
        List<CertifiedKey> copy = List.copyOf(keys);
        SniKeyManager keyManager = new SniKeyManager(copy, managed);
        TlsEngine resolved = engine.resolve();
        Engines engines = resolved == TlsEngine.OPENSSL
                ? new OpenSslEngines(keyManager, clientAuth, Clock.systemUTC(), stapling)
                : new JdkEngines(keyManager, clientAuth);
        return new ServerTls(engines, copy, clientAuth, engine, managed, stapling);
    }

    /** Whether OCSP answers are stapled (on the BoringSSL engine), as {@code tls.ocsp-stapling} says. */
    public boolean stapling() {
        return stapling;
    }

    /** The certificates of the listener's {@code tls.domains}, kept by the ACME manager, or {@code null}. */
    public ManagedKeys managed() {
        return managed;
    }

    /** A server engine for one accepted connection. */
    public SSLEngine newEngine() {
        return engines.newEngine();
    }

    public List<CertifiedKey> certificates() {
        return keys;
    }

    /** The client certificates asked for, or {@code null}. */
    public ClientAuth clientAuth() {
        return clientAuth;
    }

    /** The cipher suites the engines enable, in order. */
    public List<String> cipherSuites() {
        return engines.cipherSuites();
    }

    /** The implementation in use: {@link TlsEngine#OPENSSL} or {@link TlsEngine#JDK}. */
    public TlsEngine engine() {
        return engines.kind();
    }

    /** As configured: {@link TlsEngine#AUTO} too. */
    public TlsEngine configuredEngine() {
        return configured;
    }

    @Override
    public String toString() {
        return "ServerTls{engine=" + engines.kind() + ", certificates=" + keys.size() + ", clientAuth="
                + (clientAuth == null ? "none" : clientAuth.required() ? "required" : "optional") + "}";
    }
}
