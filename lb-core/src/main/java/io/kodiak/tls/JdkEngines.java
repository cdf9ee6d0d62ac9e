package io.kodiak.tls;

import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManager;

/**
 * Engines of the JDK's own TLS ({@code tls.engine: jdk}, and the fallback where BoringSSL cannot
 * load). What the JDK decides process-wide is set once, before the first context, unless the
 * operator set it: the key exchange groups (X25519, P-256, P-384 as Mozilla's list, and P-521)
 * and the refusal of client-initiated renegotiation (TLS 1.2; TLS 1.3 has none). The JDK's TLS
 * has no 0-RTT. Session resumption is the JDK's: a bounded session cache and, for TLS 1.3,
 * stateless tickets whose key it rotates hourly ({@code jdk.tls.server.statelessKeyTimeout}).
 *
 * <p>Immutable and thread-safe.
 */
final class JdkEngines implements ServerTls.Engines {
    static {
        TlsDefaults.apply(); // in case nothing did before (embedding): too late if a context was made already
    }

    private final SSLContext context;
    private final String[] suites;
    private final ClientAuth clientAuth;

    JdkEngines(SniKeyManager keys, ClientAuth clientAuth) throws GeneralSecurityException {
        this.clientAuth = clientAuth;
        context = SSLContext.getInstance("TLS");
        context.init(new KeyManager[] {keys}, clientAuth == null ? null : trust(clientAuth), null);
        context.getServerSessionContext().setSessionCacheSize(ServerTls.SESSION_CACHE);
        context.getServerSessionContext().setSessionTimeout(ServerTls.SESSION_SECONDS);
        Set<String> supported = Set.of(context.getSupportedSSLParameters().getCipherSuites());
        List<String> enabled = new ArrayList<>();
        for (String s : ServerTls.CIPHER_SUITES) {
            if (supported.contains(s)) {
                enabled.add(s);
            }
        }
        suites = enabled.toArray(new String[0]);
    }

    private static TrustManager[] trust(ClientAuth clientAuth) throws GeneralSecurityException {
        return TrustStores.of(clientAuth.cas());
    }

    @Override
    public SSLEngine newEngine() {
        SSLEngine engine = context.createSSLEngine();
        engine.setUseClientMode(false);
        SSLParameters p = engine.getSSLParameters();
        p.setProtocols(ServerTls.PROTOCOLS.toArray(new String[0]));
        p.setCipherSuites(suites.clone());
        p.setUseCipherSuitesOrder(false); // Mozilla intermediate: every suite is strong, the client knows its hardware
        p.setApplicationProtocols(ServerTls.ALPN.toArray(new String[0]));
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

    @Override
    public List<String> cipherSuites() {
        return List.of(suites);
    }

    @Override
    public TlsEngine kind() {
        return TlsEngine.JDK;
    }

}
