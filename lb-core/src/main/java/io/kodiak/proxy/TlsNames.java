package io.kodiak.proxy;

import io.kodiak.config.TlsConfig;
import io.kodiak.tls.CertifiedKey;
import io.kodiak.tls.SniKeyManager;
import org.glassfish.grizzly.Connection;
import org.glassfish.grizzly.ssl.SSLUtils;

import java.security.cert.Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSession;

/**
 * What a TLS connection's handshake settled, that its requests are checked against: the server
 * name the client asked for (SNI) and the certificate it was given. A request whose {@code Host}
 * is another name that certificate does not cover is answered 421 (Misdirected Request, RFC 9110
 * §15.5.20): the client reached this connection for one name and asks for another (domain
 * fronting), which the routes would otherwise serve under a certificate that never vouched for it.
 * A name the certificate covers too (a wildcard, or a second SAN) is fine: browsers reuse
 * connections that way.
 *
 * <p>Made once per connection, at its first request; immutable.
 */
final class TlsNames {
    static final TlsNames NONE = new TlsNames(null, null);

    private final String sni;
    private final CertifiedKey served;

    private TlsNames(String sni, CertifiedKey served) {
        this.sni = sni;
        this.served = served;
    }

    /** @param tls the listener's TLS when the connection was accepted (its certificates served it) */
    static TlsNames of(Connection<?> c, TlsConfig tls) {
        SSLEngine engine = SSLUtils.getSSLEngine(c);
        if (engine == null || tls == null) {
            return NONE;
        }
        SSLSession session = engine.getSession();
        Certificate[] local = session.getLocalCertificates();
        CertifiedKey served = null;
        if (local != null && local.length > 0) {
            for (CertifiedKey k : tls.certificates()) {
                if (k.leaf().equals(local[0])) {
                    served = k;
                    break;
                }
            }
        }
        return new TlsNames(SniKeyManager.requestedHost(session), served);
    }

    /** Whether a request for {@code host} (lower case, no port) is for a name this connection was not set up for. */
    boolean misdirected(String host) {
        return sni != null && served != null && !host.isEmpty() && !host.equals(sni) && !served.covers(host);
    }
}
