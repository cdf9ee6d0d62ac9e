package io.kodiak.tls;

import java.nio.ByteBuffer;
import java.util.Set;

/**
 * What a client's ClientHello says about the certificates it can take in TLS 1.2: whether it
 * offers any of our ECDHE_ECDSA suites and any of our ECDHE_RSA (or DHE_RSA) ones, and whether it
 * speaks TLS 1.3, where suites say nothing of the key and its signature algorithms decide.
 *
 * <p>Why: BoringSSL asks the key manager for an ECDSA certificate first whatever the client
 * offered, and then picks a suite for the certificate it was given. A TLS 1.2 client that offers
 * only RSA suites, while listing ECDSA signature algorithms (the JDK's client does), would be
 * given the ECDSA certificate and no shared suite. nginx and HAProxy (OpenSSL) choose by the
 * suites too. The JDK's engine asks only for key types a suite allows, and needs none of this.
 *
 * <p>{@link FinishingEngine} reads the hello from the first bytes of a handshake and holds it in
 * {@link #CURRENT} while it passes them to BoringSSL, which calls the key manager on that thread
 * (the context runs no delegated tasks); {@link SniKeyManager} looks at it there.
 *
 * @param tls13 the client lists TLS 1.3 in supported_versions
 * @param ecdsa it offers a TLS 1.2 suite signed with ECDSA
 * @param rsa   it offers a TLS 1.2 suite signed with RSA
 */
record ClientHelloOffer(boolean tls13, boolean ecdsa, boolean rsa) {
    /** The hello of the handshake being stepped on this thread, or none. */
    static final ThreadLocal<ClientHelloOffer> CURRENT = new ThreadLocal<>();

    /** ECDHE_ECDSA with AES-GCM, ChaCha20, AES-CBC: IANA's code points. */
    private static final Set<Integer> ECDSA = Set.of(0xC02B, 0xC02C, 0xCCA9, 0xC023, 0xC024, 0xC009, 0xC00A);
    /** ECDHE_RSA and DHE_RSA with AES-GCM, ChaCha20, AES-CBC. */
    private static final Set<Integer> RSA = Set.of(0xC02F, 0xC030, 0xCCA8, 0xC027, 0xC028, 0xC013, 0xC014,
            0x009E, 0x009F, 0xCCAA);
    private static final int SUPPORTED_VERSIONS = 0x002B;

    /** Whether a certificate of {@code keyType} ("EC" or "RSA", as the key manager is asked) suits this hello. */
    boolean allows(String keyType) {
        if (tls13) {
            return true;
        }
        return switch (keyType) {
            case "EC" -> ecdsa;
            case "RSA" -> rsa;
            default -> true;
        };
    }

    /**
     * The offer of the ClientHello at {@code in}'s position (not moved), or {@code null} if the
     * bytes there are not one whole TLS record holding a ClientHello with its extensions.
     */
    static ClientHelloOffer parse(ByteBuffer in) {
        ByteBuffer b = in.duplicate();
        try {
            if (b.remaining() < 9 || (b.get() & 0xFF) != 22) {
                return null; // not a handshake record
            }
            b.getShort(); // record version
            int recordLength = b.getShort() & 0xFFFF;
            if (b.remaining() < recordLength) {
                return null; // the rest has not arrived
            }
            b.limit(b.position() + recordLength);
            if ((b.get() & 0xFF) != 1) {
                return null; // not a ClientHello
            }
            b.position(b.position() + 3 + 2 + 32); // length, client_version, random
            skip(b, b.get() & 0xFF); // session id
            int suitesLength = b.getShort() & 0xFFFF;
            boolean ecdsa = false;
            boolean rsa = false;
            for (int i = 0; i + 1 < suitesLength; i += 2) {
                int suite = b.getShort() & 0xFFFF;
                ecdsa |= ECDSA.contains(suite);
                rsa |= RSA.contains(suite);
            }
            skip(b, b.get() & 0xFF); // compression methods
            boolean tls13 = false;
            if (b.remaining() >= 2) {
                int end = b.position() + 2 + (b.getShort() & 0xFFFF);
                while (b.position() + 4 <= end) {
                    int type = b.getShort() & 0xFFFF;
                    int length = b.getShort() & 0xFFFF;
                    if (type == SUPPORTED_VERSIONS) {
                        int n = b.get() & 0xFF;
                        for (int i = 0; i + 1 < n; i += 2) {
                            tls13 |= (b.getShort() & 0xFFFF) == 0x0304;
                        }
                        break;
                    }
                    skip(b, length);
                }
            }
            return new ClientHelloOffer(tls13, ecdsa, rsa);
        } catch (java.nio.BufferUnderflowException | IllegalArgumentException e) {
            return null; // cut short or malformed: BoringSSL will say so
        }
    }

    private static void skip(ByteBuffer b, int n) {
        b.position(b.position() + n);
    }
}
