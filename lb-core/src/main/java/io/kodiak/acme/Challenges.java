package io.kodiak.acme;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;

/**
 * The challenges being validated right now, which the listeners answer: HTTP-01 tokens on plain
 * listeners ({@code /.well-known/acme-challenge/TOKEN}), TLS-ALPN-01 certificates on TLS ones (a
 * handshake that offers only {@code acme-tls/1} for a domain being validated). An entry lives from
 * the moment the manager asks the CA to validate until the validation ends, seconds; there are
 * never more than the configured domains' worth.
 *
 * <p>Thread-safe: the manager's thread writes, selector threads read.
 */
public final class Challenges {
    /** RFC 8737: the only protocol a TLS-ALPN-01 validation offers. */
    public static final String ACME_TLS_1 = "acme-tls/1";
    /** RFC 8555 section 8.3: where HTTP-01 validations look. */
    public static final String HTTP_PREFIX = "/.well-known/acme-challenge/";

    private final Map<String, String> http = new ConcurrentHashMap<>();
    private final Map<String, SSLContext> alpn = new ConcurrentHashMap<>();

    /** The key authorization to answer at {@code HTTP_PREFIX + token}, or {@code null}. */
    public String httpAnswer(String token) {
        return http.get(token);
    }

    public boolean anyHttp() {
        return !http.isEmpty();
    }

    void putHttp(String token, String keyAuthorization) {
        http.put(token, keyAuthorization);
    }

    /** For tests of the listeners' side: a TLS-ALPN-01 validation certificate as if one were going on. */
    public void putAlpnForTest(String domain, X509Certificate cert, KeyPair key) throws GeneralSecurityException {
        putAlpn(domain, cert, key);
    }

    /** For tests of the listeners' side: a token as if a validation were going on. */
    public void putHttpForTest(String token, String keyAuthorization) {
        putHttp(token, keyAuthorization);
    }

    void removeHttp(String token) {
        http.remove(token);
    }

    public boolean anyAlpn() {
        return !alpn.isEmpty();
    }

    /** Whether a TLS-ALPN-01 validation of {@code domain} is going on. */
    public boolean hasAlpn(String domain) {
        return domain != null && alpn.containsKey(domain);
    }

    /**
     * A server engine that presents the validation certificate for {@code domain} and speaks only
     * {@code acme-tls/1}, or {@code null} when none is pending. The CA closes the connection after
     * the handshake; nothing is served over it.
     */
    public SSLEngine alpnEngine(String domain) {
        SSLContext c = domain == null ? null : alpn.get(domain);
        if (c == null) {
            return null;
        }
        SSLEngine e = c.createSSLEngine();
        e.setUseClientMode(false);
        SSLParameters p = e.getSSLParameters();
        p.setProtocols(new String[] {"TLSv1.3", "TLSv1.2"});
        p.setApplicationProtocols(new String[] {ACME_TLS_1});
        e.setSSLParameters(p);
        return e;
    }

    /** @return the context published, for {@link #removeAlpn} */
    SSLContext putAlpn(String domain, X509Certificate cert, KeyPair key) throws GeneralSecurityException {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try {
            ks.load(null, null);
        } catch (java.io.IOException e) {
            throw new GeneralSecurityException(e);
        }
        char[] pw = "challenge".toCharArray(); // in memory only, for the JDK's key manager
        ks.setKeyEntry("challenge", key.getPrivate(), pw, new X509Certificate[] {cert});
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, pw);
        SSLContext c = SSLContext.getInstance("TLS");
        c.init(kmf.getKeyManagers(), null, null);
        alpn.put(domain, c);
        return c;
    }

    /** Withdraws {@code domain}'s validation if it is still {@code published} (a newer one of another manager stays). */
    void removeAlpn(String domain, SSLContext published) {
        if (published != null) {
            alpn.remove(domain, published);
        }
    }
}
