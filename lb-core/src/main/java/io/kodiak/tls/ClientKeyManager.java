package io.kodiak.tls;

import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * Presents a pool's one client certificate to an upstream that asks for one, as nginx's
 * {@code proxy_ssl_certificate} and HAProxy's {@code crt} do: whatever CA names the upstream lists
 * (many servers list none, or not the intermediate the certificate chains through), as long as it
 * accepts the key's type. The upstream decides whether it trusts it.
 */
final class ClientKeyManager extends X509ExtendedKeyManager {
    private static final String ALIAS = "client";
    private final CertifiedKey key;

    ClientKeyManager(CertifiedKey key) {
        this.key = key;
    }

    private String choose(String[] keyTypes) {
        for (String t : keyTypes) {
            if (t.equals(key.keyType()) || (t.equals("RSASSA-PSS") && key.keyType().equals("RSA"))) {
                return ALIAS;
            }
        }
        return null;
    }

    @Override
    public String chooseEngineClientAlias(String[] keyTypes, Principal[] issuers, SSLEngine engine) {
        return choose(keyTypes);
    }

    @Override
    public String chooseClientAlias(String[] keyTypes, Principal[] issuers, Socket socket) {
        return choose(keyTypes);
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
        return choose(new String[] {keyType}) == null ? null : new String[] {ALIAS};
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
        return ALIAS.equals(alias) ? key.chain().toArray(new X509Certificate[0]) : null;
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        return ALIAS.equals(alias) ? key.key() : null;
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
        return null;
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        return null;
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
        return null;
    }
}
