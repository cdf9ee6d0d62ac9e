package io.kodiak.tls;

import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;

/**
 * A TLS listener's server side: its certificates behind an {@link SniKeyManager}, and every engine
 * it makes set up as Mozilla's "intermediate" configuration says (the one nginx and HAProxy users
 * copy from ssl-config.mozilla.org): TLS 1.2 and 1.3 only, AEAD suites with forward secrecy, the
 * client's order of preference (all of them are good), ALPN {@code http/1.1}.
 *
 * <p>What the JDK decides process-wide is set once, before the first context, unless the operator
 * set it: the key exchange groups (X25519, P-256, P-384 as Mozilla's list, and P-521) and the refusal of
 * client-initiated renegotiation (TLS 1.2; TLS 1.3 has none). The JDK's TLS has no 0-RTT. Session
 * resumption is the JDK's: a bounded session cache and, for TLS 1.3, stateless tickets whose key it
 * rotates hourly ({@code jdk.tls.server.statelessKeyTimeout}).
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

    static {
        // Mozilla's three, and P-521: the JDK will not use an EC certificate on a curve that is
        // not an enabled group in TLS 1.2, so without it a P-521 certificate would load and fail.
        setUnlessSet("jdk.tls.namedGroups", "x25519,secp256r1,secp384r1,secp521r1");
        setUnlessSet("jdk.tls.rejectClientInitiatedRenegotiation", "true");
    }

    private final SSLContext context;
    private final String[] suites;
    private final List<CertifiedKey> keys;
    private final ClientAuth clientAuth;
    private final io.kodiak.tls.ManagedKeys managed;

    private ServerTls(SSLContext context, String[] suites, List<CertifiedKey> keys, ClientAuth clientAuth,
                      io.kodiak.tls.ManagedKeys managed) {
        this.managed = managed;
        this.context = context;
        this.suites = suites;
        this.keys = keys;
        this.clientAuth = clientAuth;
    }

    public static ServerTls of(List<CertifiedKey> keys) throws GeneralSecurityException {
        return of(keys, null);
    }

    /** @param clientAuth client certificates to ask for and verify, or {@code null} for none */
    public static ServerTls of(List<CertifiedKey> keys, ClientAuth clientAuth) throws GeneralSecurityException {
        return of(keys, clientAuth, null);
    }

    /** @param managed the certificates of the listener's {@code tls.domains} (ACME), or {@code null} */
    public static ServerTls of(List<CertifiedKey> keys, ClientAuth clientAuth, io.kodiak.tls.ManagedKeys managed)
            throws GeneralSecurityException {
        SSLContext context = SSLContext.getInstance("TLS");
        javax.net.ssl.TrustManager[] trust = null;
        if (clientAuth != null) {
            java.security.KeyStore store = java.security.KeyStore.getInstance("PKCS12");
            try {
                store.load(null, null);
            } catch (java.io.IOException e) {
                throw new GeneralSecurityException(e);
            }
            for (int i = 0; i < clientAuth.cas().size(); i++) {
                store.setCertificateEntry("ca" + i, clientAuth.cas().get(i));
            }
            javax.net.ssl.TrustManagerFactory tmf =
                    javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(store);
            trust = tmf.getTrustManagers();
        }
        context.init(new KeyManager[] {new SniKeyManager(keys, managed)}, trust, null);
        context.getServerSessionContext().setSessionCacheSize(SESSION_CACHE);
        context.getServerSessionContext().setSessionTimeout(SESSION_SECONDS);
        Set<String> supported = Set.of(context.getSupportedSSLParameters().getCipherSuites());
        List<String> suites = new ArrayList<>();
        for (String s : CIPHER_SUITES) {
            if (supported.contains(s)) {
                suites.add(s);
            }
        }
        return new ServerTls(context, suites.toArray(new String[0]), List.copyOf(keys), clientAuth, managed);
    }

    /** A server engine for one accepted connection. */
    public SSLEngine newEngine() {
        SSLEngine engine = context.createSSLEngine();
        engine.setUseClientMode(false);
        SSLParameters p = engine.getSSLParameters();
        p.setProtocols(PROTOCOLS.toArray(new String[0]));
        p.setCipherSuites(suites.clone());
        p.setUseCipherSuitesOrder(false); // Mozilla intermediate: every suite is strong, the client knows its hardware
        p.setApplicationProtocols(ALPN.toArray(new String[0]));
        if (clientAuth != null) {
            if (clientAuth.required()) {
                p.setNeedClientAuth(true);
            } else {
                p.setWantClientAuth(true);
            }
        }
        engine.setSSLParameters(p);
        return engine;
    }

    /** The context, for what needs one beside the engines (Grizzly's filter wants it at hand). */
    public SSLContext context() {
        return context;
    }

    public List<CertifiedKey> certificates() {
        return keys;
    }

    /** The certificates of the listener's {@code tls.domains}, kept by the ACME manager, or {@code null}. */
    public io.kodiak.tls.ManagedKeys managed() {
        return managed;
    }

    /** The client certificates asked for, or {@code null}. */
    public ClientAuth clientAuth() {
        return clientAuth;
    }

    /** The cipher suites the engines enable, in order. */
    public List<String> cipherSuites() {
        return Arrays.asList(suites.clone());
    }

    private static void setUnlessSet(String property, String value) {
        if (System.getProperty(property) == null) {
            System.setProperty(property, value);
        }
    }
}
