package io.kodiak.tls;

/**
 * What the JDK's TLS (and netty's, for BoringSSL) decides process-wide, from system properties read once, when its classes
 * first load: the key exchange groups (Mozilla's X25519, P-256, P-384, and P-521, since the JDK
 * will not use an EC certificate on a curve that is not an enabled group in TLS 1.2) and the
 * refusal of a client's renegotiation. Set before the first TLS context of any kind is made (an
 * upstream pool's, ACME's, a listener's), or they never take: {@code Main} and the configuration
 * loader call {@link #apply} first thing. An operator's own {@code -D} settings win.
 */
public final class TlsDefaults {
    private TlsDefaults() {
    }

    public static void apply() {
        setUnlessSet("jdk.tls.namedGroups", "x25519,secp256r1,secp384r1,secp521r1");
        setUnlessSet("jdk.tls.rejectClientInitiatedRenegotiation", "true");
        // netty's leak detector wraps every buffer the BoringSSL engines copy through, to sample
        // one in 128: about 1% of a TLS request's CPU, for a check the engines' own release
        // (one per connection, ListenerSslFilter) makes moot. -Dio.netty.leakDetection.level=simple to debug.
        setUnlessSet("io.netty.leakDetection.level", "disabled");
    }

    private static void setUnlessSet(String property, String value) {
        if (System.getProperty(property) == null) {
            System.setProperty(property, value);
        }
    }
}
