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
 * <p>It also holds the client's certificate where the listener asks for one (mutual TLS).
 *
 * <p>Made once per connection, at its first request; immutable.
 */
final class TlsNames {
    static final TlsNames NONE = new TlsNames(null, null, io.kodiak.tls.ClientAuth.Verified.NONE);

    private final String sni;
    private final CertifiedKey served;
    /** The client's certificate, as the handshake verified it (NONE if it sent none or none was asked for). */
    final io.kodiak.tls.ClientAuth.Verified client;

    private TlsNames(String sni, CertifiedKey served, io.kodiak.tls.ClientAuth.Verified client) {
        this.sni = sni;
        this.served = served;
        this.client = client;
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
            io.kodiak.tls.ManagedKeys managed = tls.server().managed();
            if (served == null && managed != null) { // a certificate obtained over ACME, maybe renewed since
                served = managed.served(local[0], SniKeyManager.requestedHost(session));
            }
        }
        io.kodiak.tls.ClientAuth.Verified client = io.kodiak.tls.ClientAuth.Verified.NONE;
        if (tls.server().clientAuth() != null) {
            try {
                Certificate[] peer = session.getPeerCertificates();
                if (peer.length > 0 && peer[0] instanceof java.security.cert.X509Certificate x) {
                    client = io.kodiak.tls.ClientAuth.Verified.of(x); // the engine verified the chain, or there is no session
                }
            } catch (javax.net.ssl.SSLPeerUnverifiedException none) {
                // optional, and the client sent none
            }
        }
        return new TlsNames(SniKeyManager.requestedHost(session), served, client);
    }

    /** The server name the client asked for (lower case), or {@code null}. */
    String sni() {
        return sni;
    }

    /** Whether a request for {@code host} (lower case, no port) is for a name this connection was not set up for. */
    boolean misdirected(String host) {
        return sni != null && served != null && !host.isEmpty() && !host.equals(sni) && !served.covers(host);
    }
}
