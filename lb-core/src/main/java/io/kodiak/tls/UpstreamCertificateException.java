package io.kodiak.tls;

import java.security.cert.CertificateException;

/**
 * An upstream's certificate failed verification, with the reason in words: it fails the handshake
 * (the JDK wraps it), and {@link UpstreamTls#failureReason} finds it again for the log. It has no
 * cause, so that it is the deepest of the chain: what a log that reports the root cause shows.
 */
public final class UpstreamCertificateException extends CertificateException {
    private static final long serialVersionUID = 1L;

    UpstreamCertificateException(String message) {
        super(message);
    }
}
