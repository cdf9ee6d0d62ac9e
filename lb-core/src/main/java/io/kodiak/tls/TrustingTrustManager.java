package io.kodiak.tls;

import java.net.Socket;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * {@code verify: false}: any upstream certificate is accepted, as nginx does by default
 * ({@code proxy_ssl_verify off}) and HAProxy with {@code verify none}. The traffic is encrypted but
 * anyone on the path can pose as the upstream; the configuration reference says so.
 */
final class TrustingTrustManager extends X509ExtendedTrustManager {
    private static final X509Certificate[] NONE = new X509Certificate[0];

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws java.security.cert.CertificateException {
        throw new java.security.cert.CertificateException("an upstream connection has no clients to trust");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws java.security.cert.CertificateException {
        throw new java.security.cert.CertificateException("an upstream connection has no clients to trust");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws java.security.cert.CertificateException {
        throw new java.security.cert.CertificateException("an upstream connection has no clients to trust");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return NONE;
    }
}
