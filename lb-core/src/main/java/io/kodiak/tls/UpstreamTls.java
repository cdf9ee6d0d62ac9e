package io.kodiak.tls;

import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * A pool's client side of TLS to its upstreams (nginx's {@code proxy_ssl_*}, HAProxy's
 * {@code server ... ssl verify required ca-file sni crt}): one context whose engines speak TLS 1.2
 * and 1.3, send the server name (SNI) unless it is an IP literal, verify the upstream's chain
 * against the CA bundle (or the JDK's trust store) and its name (the DNS or IP subject alternative
 * names) unless verification is off, and present a client certificate if one is configured.
 *
 * <p>Session resumption is the JDK's client session cache, keyed by the name and port each engine
 * is made for: a new connection to the same upstream resumes where the upstream allows it.
 *
 * <p>Immutable and thread-safe; a reload that changes the settings builds a new one.
 */
public final class UpstreamTls {
    static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

    private final SSLContext context;
    private final boolean verify;
    private final String serverName;
    private final List<X509Certificate> cas;
    private final CertifiedKey clientKey;

    private UpstreamTls(SSLContext context, boolean verify, String serverName, List<X509Certificate> cas,
                        CertifiedKey clientKey) {
        this.context = context;
        this.verify = verify;
        this.serverName = serverName;
        this.cas = cas;
        this.clientKey = clientKey;
    }

    /**
     * @param cas        the CAs an upstream's chain must lead to, or {@code null} for the JDK's trust store
     * @param verify     check the chain and the name; {@code false} accepts any certificate (nginx's
     *                   default, and a man in the middle's delight)
     * @param serverName the name sent and verified, or {@code null} for each upstream's host as configured
     * @param clientKey  the certificate presented when the upstream asks for one, or {@code null}
     */
    public static UpstreamTls of(List<X509Certificate> cas, boolean verify, String serverName, CertifiedKey clientKey)
            throws GeneralSecurityException {
        TrustManager trust = verify ? new VerifyingTrustManager(defaultTrust(cas)) : new TrustingTrustManager();
        KeyManager[] keys = clientKey == null ? null : new KeyManager[] {new ClientKeyManager(clientKey)};
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keys, new TrustManager[] {trust}, null);
        return new UpstreamTls(context, verify, serverName, cas == null ? null : List.copyOf(cas), clientKey);
    }

    private static X509ExtendedTrustManager defaultTrust(List<X509Certificate> cas) throws GeneralSecurityException {
        TrustManager[] managers;
        if (cas == null) {
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init((KeyStore) null); // the JDK's cacerts (or javax.net.ssl.trustStore)
            managers = tmf.getTrustManagers();
        } else {
            managers = TrustStores.of(cas);
        }
        for (TrustManager t : managers) {
            if (t instanceof X509ExtendedTrustManager x) {
                return x;
            }
        }
        throw new GeneralSecurityException("the JDK offers no X.509 trust manager");
    }

    /** The name sent and verified for an upstream whose configured host is {@code host}. */
    public String nameFor(String host) {
        return serverName != null ? serverName : host;
    }

    /** A client engine for one connection to an upstream configured as {@code host}:{@code port}. */
    public SSLEngine newEngine(String host, int port) {
        String name = nameFor(host);
        SSLEngine engine = context.createSSLEngine(name, port); // the peer host names the session for resumption
        engine.setUseClientMode(true);
        SSLParameters p = engine.getSSLParameters();
        p.setProtocols(PROTOCOLS.toArray(new String[0]));
        p.setServerNames(sni(name));
        if (verify) {
            // The JDK checks the name against the SNI name, or for an IP literal against the IP SANs.
            p.setEndpointIdentificationAlgorithm("HTTPS");
        }
        engine.setSSLParameters(p);
        return engine;
    }

    /** The context the engines come from (Grizzly's filter wants one at hand). */
    public SSLContext context() {
        return context;
    }

    public boolean verify() {
        return verify;
    }

    /** The configured {@code server-name}, or {@code null} for each upstream's host. */
    public String serverName() {
        return serverName;
    }

    /** The configured CAs, or {@code null} for the JDK's trust store. */
    public List<X509Certificate> cas() {
        return cas;
    }

    /** The client certificate, or {@code null}. */
    public CertifiedKey clientKey() {
        return clientKey;
    }

    /**
     * The SNI for {@code name}: none for an IP literal (RFC 6066), nor for a host name SNI cannot
     * carry (a compose service name with {@code _}): the certificate is still checked against it.
     * The JDK would send none for a name without a dot ({@code localhost}); Kodiak sends it.
     */
    private static List<javax.net.ssl.SNIServerName> sni(String name) {
        if (isIpLiteral(name)) {
            return List.of();
        }
        try {
            return List.of(new SNIHostName(name));
        } catch (IllegalArgumentException notAnSniName) {
            return List.of();
        }
    }

    /** Whether {@code name} can go in SNI (letters, digits, '-' and '.'; an IP address cannot). */
    public static boolean sendableAsSni(String name) {
        return !sni(name).isEmpty();
    }

    static boolean isIpLiteral(String name) {
        return name.indexOf(':') >= 0 || name.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}");
    }

    /**
     * Why a handshake failed, in words for the log: the verification's own reason when it was
     * the certificate ({@code upstream certificate does not match server-name api.internal}), else
     * the TLS layer's (an alert from the upstream, a protocol mismatch).
     */
    public static String failureReason(Throwable t) {
        Throwable deepest = t;
        for (Throwable c = t; c != null && c.getCause() != c; c = c.getCause()) {
            if (c instanceof UpstreamCertificateException) {
                return c.getMessage();
            }
            deepest = c;
        }
        String m = deepest.getMessage() != null ? deepest.getMessage() : deepest.getClass().getSimpleName();
        return "TLS handshake failed: " + m;
    }

    @Override
    public String toString() {
        return "UpstreamTls[" + (verify ? "verify" : "no verify") + (serverName == null ? "" : ", " + serverName)
                + (cas == null ? ", system CAs" : ", " + cas.size() + " CA(s)") + (clientKey == null ? "" : ", client cert") + "]";
    }
}
