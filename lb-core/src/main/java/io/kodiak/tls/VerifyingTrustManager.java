package io.kodiak.tls;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Verifies an upstream's certificate with the JDK's own checks (the chain against the CAs, then
 * the name, as the engine's endpoint identification asks), and when they refuse it, says which of
 * the two failed: the JDK's messages ("No subject alternative DNS name matching x found", "PKIX
 * path building failed") do not tell an operator which setting to look at. The second check runs
 * only after a failure, so a good certificate is verified once.
 */
final class VerifyingTrustManager extends X509ExtendedTrustManager {
    private final X509ExtendedTrustManager jdk;

    VerifyingTrustManager(X509ExtendedTrustManager jdk) {
        this.jdk = jdk;
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        try {
            jdk.checkServerTrusted(chain, authType, engine);
        } catch (CertificateException e) {
            throw explain(chain, authType, engine == null ? null : engine.getPeerHost(), e);
        }
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        jdk.checkServerTrusted(chain, authType, socket); // engines only; here for the interface
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        jdk.checkServerTrusted(chain, authType);
    }

    private CertificateException explain(X509Certificate[] chain, String authType, String name, CertificateException e) {
        try {
            jdk.checkServerTrusted(chain, authType); // the chain alone: no name, no session constraints
        } catch (CertificateException chainFailed) {
            return new UpstreamCertificateException("upstream certificate is not trusted ("
                    + rootCause(chainFailed) + "): is tls.ca the CA that signed it?");
        }
        if (chain.length == 0) {
            return e;
        }
        return new UpstreamCertificateException("upstream certificate does not match server-name " + name
                + " (it is for " + String.join(", ", names(chain[0])) + ")");
    }

    private static String rootCause(Throwable t) {
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage();
    }

    /** The certificate's DNS and IP subject alternative names, or its subject when it has none. */
    static List<String> names(X509Certificate leaf) {
        List<String> out = new ArrayList<>();
        try {
            Collection<List<?>> alt = leaf.getSubjectAlternativeNames();
            if (alt != null) {
                for (List<?> entry : alt) {
                    Object type = entry.get(0);
                    if (Integer.valueOf(2).equals(type) || Integer.valueOf(7).equals(type)) { // dNSName, iPAddress
                        out.add(String.valueOf(entry.get(1)));
                    }
                }
            }
        } catch (java.security.cert.CertificateParsingException ignored) {
            // no readable alternative names: the subject says what it is for
        }
        if (out.isEmpty()) {
            out.add(leaf.getSubjectX500Principal().getName());
        }
        return out;
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        throw new CertificateException("an upstream connection has no clients to trust");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        throw new CertificateException("an upstream connection has no clients to trust");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        throw new CertificateException("an upstream connection has no clients to trust");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return jdk.getAcceptedIssuers();
    }
}
