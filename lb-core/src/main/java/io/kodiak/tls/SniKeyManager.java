package io.kodiak.tls;

import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Locale;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSession;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * Chooses a listener's certificate during the handshake, as nginx and HAProxy do: by the server
 * name the client asked for (SNI: an exact name first, then a wildcard for one label), and among
 * those by the key types the client accepts, so that an ECDSA and an RSA certificate for the same
 * names serve each client the best it can take. A client without SNI, or asking for a name no
 * certificate covers, gets the listener's first certificate (or its twin of the other key type).
 *
 * <p>A listener's {@code tls.domains} add the certificates the ACME manager keeps for them
 * ({@link ManagedKeys}): a name a file's certificate names exactly is served by the file;
 * otherwise a managed certificate for exactly that name comes before a file's wildcard; a
 * listener with no files serves clients without SNI the first domain's certificate it has.
 *
 * <p>Immutable and thread-safe: a reload builds a new one. Aliases are the certificates' indexes,
 * and {@link ManagedKeys#alias} for managed ones.
 */
public final class SniKeyManager extends X509ExtendedKeyManager {
    private final List<CertifiedKey> keys;
    private final ManagedKeys managed;

    public SniKeyManager(List<CertifiedKey> keys) {
        this(keys, null);
    }

    /** @param managed the certificates of the listener's {@code tls.domains}, or {@code null} */
    public SniKeyManager(List<CertifiedKey> keys, ManagedKeys managed) {
        if (keys.isEmpty() && managed == null) {
            throw new IllegalArgumentException("a TLS listener needs at least one certificate");
        }
        this.keys = List.copyOf(keys);
        this.managed = managed;
    }

    /**
     * The index of the certificate for {@code host} (lower case, or null) of one of {@code types},
     * or -1. The name decides first: a certificate named exactly, else any that covers it (by a
     * wildcard), else, for a name none covers, the default (the first certificate and those for
     * the same names); the key type only chooses among those. So a name served by RSA alone is not
     * answered with another name's ECDSA certificate: the JDK asks again for RSA.
     */
    int choose(String host, String... types) {
        if (keys.isEmpty()) {
            return -1;
        }
        if (host != null) {
            int exact = firstOf(k -> k.names().contains(host), types);
            if (exact >= 0) {
                return exact;
            }
            int wildcard = firstOf(k -> k.covers(host), types); // covers exact names too: any of its type
            if (wildcard >= 0) {
                return wildcard;
            }
            if (exact != NO_GROUP || wildcard != NO_GROUP) {
                return -1; // the name is served, not with this key type: the JDK asks for the next
            }
        }
        List<String> defaultNames = keys.get(0).names();
        int found = firstOf(k -> k.names().equals(defaultNames), types);
        return found == NO_GROUP ? -1 : found;
    }

    /** No certificate in the group at all (as opposed to -1: a group, but none of the types). */
    private static final int NO_GROUP = -2;

    private int firstOf(java.util.function.Predicate<CertifiedKey> inGroup, String[] types) {
        boolean any = false;
        for (int i = 0; i < keys.size(); i++) {
            CertifiedKey k = keys.get(i);
            if (inGroup.test(k)) {
                any = true;
                if (accepts(types, k.keyType())) {
                    return i;
                }
            }
        }
        return any ? -1 : NO_GROUP;
    }

    /**
     * The JDK 17 asks for "EC", "RSA" or "RSASSA-PSS" (a PSS key is an RSA certificate to choose);
     * netty for "EC", "RSA", "EC_EC", "EC_RSA" or "DH_RSA".
     */
    private static boolean accepts(String[] types, String keyType) {
        for (String t : types) {
            if (t == null) {
                continue;
            }
            if (type(t).equals(keyType)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The key type asked for: {@code RSA}, {@code EC} or as given. netty's "EC_EC" and "EC_RSA"
     * are EC keys (certified by an EC or an RSA CA: static ECDH suites, never enabled); "DH_RSA"
     * is a DH key.
     */
    private static String type(String asked) {
        return switch (asked) {
            case "RSA", "RSASSA-PSS", "ECDHE_RSA", "DHE_RSA" -> "RSA";
            case "EC", "ECDSA", "ECDHE_ECDSA", "EC_EC", "EC_RSA" -> "EC";
            default -> asked;
        };
    }

    public static String requestedHost(SSLSession handshake) {
        if (handshake instanceof ExtendedSSLSession e) {
            for (SNIServerName n : e.getRequestedServerNames()) {
                if (n instanceof SNIHostName h) {
                    return h.getAsciiName().toLowerCase(Locale.ROOT);
                }
            }
        }
        return null;
    }

    /**
     * Whether the client can verify a signature by a key of {@code keyType}, by the signature
     * algorithms it listed (TLS 1.2 and 1.3 clients list them; older ones did not, and may get
     * anything). This is how HAProxy chooses between an ECDSA and an RSA certificate. The JDK asks
     * only for types the client can take; BoringSSL (netty) asks for each type of our cipher suites
     * in turn, ECDSA first, whatever the client sent, so the answer must be no for the ECDSA
     * certificate of a client that lists no ECDSA algorithm (in TLS 1.3 what decides), or, in
     * TLS 1.2, offers no ECDSA suite ({@link ClientHelloOffer}).
     */
    static boolean peerCanVerify(SSLSession handshake, String keyType) {
        if (!(handshake instanceof ExtendedSSLSession e)) {
            return true;
        }
        String[] algorithms;
        try {
            algorithms = e.getPeerSupportedSignatureAlgorithms();
        } catch (UnsupportedOperationException notKnown) {
            return true;
        }
        if (algorithms == null || algorithms.length == 0) {
            return true;
        }
        // Both engines' names carry the key algorithm: "ecdsa_secp256r1_sha256" or
        // "SHA256withECDSA_SECP256R1", "rsa_pss_rsae_sha256" or "SHA256withRSA".
        String want = accepts(new String[] {keyType}, "EC") ? "ecdsa" : accepts(new String[] {keyType}, "RSA") ? "rsa" : null;
        if (want == null) {
            return false;
        }
        for (String a : algorithms) {
            if (a != null && a.toLowerCase(Locale.ROOT).contains(want)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
        SSLSession handshake = engine == null ? null : engine.getHandshakeSession();
        ClientHelloOffer offer = ClientHelloOffer.CURRENT.get(); // BoringSSL's handshakes only
        if (!peerCanVerify(handshake, keyType) || offer != null && !offer.allows(type(keyType))) {
            return null;
        }
        String alias = chooseAlias(requestedHost(handshake), keyType);
        Stapling st = stapling;
        if (alias != null && st != null && engine != null) {
            CertifiedKey k = byAlias(alias);
            if (k != null) {
                st.staple(engine, k);
            }
        }
        return alias;
    }

    /** The files' certificates (not the ACME ones, which change). */
    List<CertifiedKey> certificates() {
        return keys;
    }

    /** What an engine does with the certificate chosen for its handshake: staple its OCSP answer. */
    interface Stapling {
        void staple(SSLEngine engine, CertifiedKey chosen);
    }

    private volatile Stapling stapling;

    /** Set once, by the engine factory, before its first handshake. */
    void stapling(Stapling s) {
        this.stapling = s;
    }

    /** The alias for a handshake asking for {@code host} (or null) that takes {@code keyType}, or {@code null}. */
    String chooseAlias(String host, String keyType) {
        if (managed != null) {
            if (host != null && keys.stream().noneMatch(k -> k.names().contains(host))) {
                CertifiedKey m = managed.get(host);
                if (m != null) {
                    return accepts(new String[] {keyType}, m.keyType()) ? ManagedKeys.alias(host, m) : null;
                }
            }
            if (keys.isEmpty()) {
                // A domain still waiting for its certificate gets none rather than another domain's.
                String d = host != null && managed.domains().contains(host) ? null : managed.firstDomain();
                CertifiedKey m = d == null ? null : managed.get(d);
                return m != null && accepts(new String[] {keyType}, m.keyType()) ? ManagedKeys.alias(d, m) : null;
            }
        }
        int i = choose(host, keyType);
        return i < 0 ? null : Integer.toString(i);
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        int i = choose(null, keyType); // Kodiak uses engines; a socket gets the default
        return i < 0 ? null : Integer.toString(i);
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
        CertifiedKey k = byAlias(alias);
        return k == null ? null : k.chain().toArray(new X509Certificate[0]);
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        CertifiedKey k = byAlias(alias);
        return k == null ? null : k.key();
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
        return java.util.stream.IntStream.range(0, keys.size())
                .filter(i -> accepts(new String[] {keyType}, keys.get(i).keyType()))
                .mapToObj(Integer::toString).toArray(String[]::new);
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
        return null; // a server's key manager
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
        return null;
    }

    private CertifiedKey byAlias(String alias) {
        if (managed != null && alias != null && alias.startsWith("acme:")) {
            return managed.byAlias(alias);
        }
        try {
            int i = Integer.parseInt(alias);
            return i >= 0 && i < keys.size() ? keys.get(i) : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
