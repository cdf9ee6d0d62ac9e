package io.kodiak.tls;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Handshakes between a {@link ServerTls} engine and a JDK client engine that trusts the test CA
 * and checks the host name, bytes passed in memory: which certificate a client gets for its SNI
 * name and its offer, and what the server agrees to. On the JDK's engine here; on BoringSSL's in
 * {@link ServerTlsOpenSslTest}, which runs the same tests.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ServerTlsTest {
    @TempDir
    static Path dir;
    ServerTls tls;
    SSLContext client;

    /** The engine under test. */
    TlsEngine engine() {
        return TlsEngine.JDK;
    }

    @BeforeAll
    void setUp() throws Exception {
        TestCerts certs = new TestCerts(dir);
        Path[] defaultRsa = certs.leaf("rsa", "default.test");
        Path[] exampleEc = certs.leaf("ec", "example.test", "www.example.test");
        Path[] exampleRsa = certs.leaf("rsa", "example.test", "www.example.test");
        Path[] wildcard = certs.leaf("ec", "*.apps.test");
        Instant now = Instant.now();
        tls = ServerTls.of(List.of(
                CertifiedKey.load(defaultRsa[0], defaultRsa[1], now),
                CertifiedKey.load(exampleEc[0], exampleEc[1], now),
                CertifiedKey.load(exampleRsa[0], exampleRsa[1], now),
                CertifiedKey.load(wildcard[0], wildcard[1], now)), null, engine());
        assertEquals(engine(), tls.engine());
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        try (InputStream in = Files.newInputStream(certs.caCert)) {
            trust.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        client = SSLContext.getInstance("TLS");
        client.init(null, tmf.getTrustManagers(), null);
    }

    /** What the client saw: protocol, the server certificate's first name, its key type, ALPN. */
    record Outcome(String protocol, String name, String keyType, String alpn) {
    }

    private Outcome handshake(String sni, String[] protocols, String[] suites, String... alpn) throws Exception {
        SSLEngine c = client.createSSLEngine(sni == null ? "no-sni" : sni, 443);
        c.setUseClientMode(true);
        SSLParameters p = c.getSSLParameters();
        if (sni != null) {
            p.setServerNames(List.of(new SNIHostName(sni)));
            p.setEndpointIdentificationAlgorithm("HTTPS"); // the certificate must cover the name
        } else {
            p.setServerNames(List.of());
        }
        if (protocols != null) {
            p.setProtocols(protocols);
        }
        if (suites != null) {
            p.setCipherSuites(suites);
        }
        if (alpn.length > 0) {
            p.setApplicationProtocols(alpn);
        }
        c.setSSLParameters(p);
        SSLEngine s = tls.newEngine();
        ByteBuffer toServer = ByteBuffer.allocate(1 << 17);
        ByteBuffer toClient = ByteBuffer.allocate(1 << 17);
        ByteBuffer app = ByteBuffer.allocate(1 << 17);
        ByteBuffer none = ByteBuffer.allocate(0);
        c.beginHandshake();
        s.beginHandshake();
        for (int i = 0; i < 100 && !(done(c) && done(s)); i++) {
            step(c, none, toServer, toClient, app);
            step(s, none, toClient, toServer, app);
        }
        assertTrue(done(c) && done(s), "handshake did not finish");
        X509Certificate leaf = (X509Certificate) c.getSession().getPeerCertificates()[0];
        String name = String.valueOf(leaf.getSubjectAlternativeNames().iterator().next().get(1));
        return new Outcome(c.getSession().getProtocol(), name, leaf.getPublicKey().getAlgorithm(), c.getApplicationProtocol());
    }

    private static boolean done(SSLEngine e) {
        HandshakeStatus h = e.getHandshakeStatus();
        return h == HandshakeStatus.NOT_HANDSHAKING || h == HandshakeStatus.FINISHED;
    }

    private static void step(SSLEngine e, ByteBuffer none, ByteBuffer out, ByteBuffer in, ByteBuffer app) throws SSLException {
        for (int guard = 0; guard < 10; guard++) {
            switch (e.getHandshakeStatus()) {
                case NEED_WRAP -> e.wrap(none, out);
                case NEED_UNWRAP -> {
                    in.flip();
                    var r = e.unwrap(in, app);
                    in.compact();
                    app.clear();
                    if (r.getStatus() == javax.net.ssl.SSLEngineResult.Status.BUFFER_UNDERFLOW) {
                        return; // the other side has to speak first
                    }
                }
                case NEED_TASK -> {
                    for (Runnable t; (t = e.getDelegatedTask()) != null; ) {
                        t.run();
                    }
                }
                default -> {
                    return;
                }
            }
        }
    }

    @Test
    void speaksTls13AndTls12Only() throws Exception {
        assertEquals("TLSv1.3", handshake("example.test", null, null).protocol());
        assertEquals("TLSv1.2", handshake("example.test", new String[] {"TLSv1.2"}, null).protocol());
        // netty lists "SSLv2Hello" (the format of a ClientHello, not a protocol) whatever is enabled;
        // BoringSSL reads no such hello.
        assertEquals(List.of("TLSv1.3", "TLSv1.2"), List.of(tls.newEngine().getEnabledProtocols()).stream()
                .filter(p -> !p.equals("SSLv2Hello")).toList());
        assertFalse(List.of(tls.newEngine().getEnabledCipherSuites()).stream().anyMatch(
                s -> s.contains("_CBC_") || s.contains("RC4") || s.contains("3DES") || s.contains("_NULL_")
                        || s.contains("anon") || s.startsWith("TLS_RSA_")), "only AEAD suites with forward secrecy");
    }

    @Test
    void choosesTheCertificateByServerName() throws Exception {
        assertEquals("example.test", handshake("example.test", null, null).name());
        assertEquals("example.test", handshake("www.example.test", null, null).name()); // same certificate
        assertEquals("*.apps.test", handshake("shop.apps.test", null, null).name());
        assertEquals("default.test", handshake("default.test", null, null).name());
    }

    @Test
    void aClientWithoutSniOrAnUnknownNameGetsTheFirstCertificate() throws Exception {
        assertEquals("default.test", handshake(null, null, null).name());
        SSLException e = assertThrows(SSLException.class, () -> handshake("unknown.test", null, null));
        assertTrue(String.valueOf(e.getMessage()).contains("No subject alternative DNS name matching unknown.test")
                || String.valueOf(e.getCause()).contains("unknown.test"), String.valueOf(e)); // default served; the client refused it
    }

    @Test
    void servesEcdsaOrRsaByWhatTheClientOffers() throws Exception {
        String[] tls12 = {"TLSv1.2"};
        assertEquals("EC", handshake("example.test", tls12, new String[] {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"}).keyType());
        // The JDK's client lists ECDSA signature algorithms whatever its suites: the suites decide.
        assertEquals("RSA", handshake("example.test", tls12, new String[] {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"}).keyType());
        assertEquals("EC", handshake("example.test", null, null).keyType()); // the first of the two, when both do
    }

    @Test
    void negotiatesHttp11OverAlpnAndServesAnHttp10Client() throws Exception {
        assertEquals("http/1.1", handshake("example.test", null, null, "h2", "http/1.1").alpn());
        assertEquals("http/1.0", handshake("example.test", null, null, "http/1.0").alpn()); // curl --http1.0
    }

    @Test
    void servesAP521CertificateOverTls12Too() throws Exception {
        Path[] p521 = new TestCerts(Files.createDirectories(dir.resolve("p521"))).leaf("ec521", "example.test");
        ServerTls saved = tls;
        try {
            tls = ServerTls.of(List.of(CertifiedKey.load(p521[0], p521[1], Instant.now())), null, engine());
            // The client trusts the first test CA only; the chain check fails after the handshake
            // chose the certificate, which is what is asserted: the server had one to offer.
            SSLException e = assertThrows(SSLException.class, () -> handshake("example.test", new String[] {"TLSv1.2"}, null));
            assertTrue(String.valueOf(e.getMessage()).contains("PKIX") || String.valueOf(e.getMessage()).contains("certification path"),
                    String.valueOf(e));
        } finally {
            tls = saved;
        }
    }

    @Test
    void refusesSuitesWithoutForwardSecrecy() {
        assertThrows(SSLException.class, () -> handshake("example.test", new String[] {"TLSv1.2"},
                new String[] {"TLS_RSA_WITH_AES_128_GCM_SHA256"}));
    }

    @Test
    void theServerKeyManagerPrefersExactNamesThenWildcardsThenTheDefault() throws IOException {
        SniKeyManager km = new SniKeyManager(tls.certificates());
        assertEquals(1, km.choose("example.test", "EC"));
        assertEquals(2, km.choose("example.test", "RSA"));
        assertEquals(2, km.choose("example.test", "ECDHE_RSA"));
        assertEquals(3, km.choose("x.apps.test", "EC"));
        assertEquals(-1, km.choose("x.apps.test", "RSA")); // its name decides; the JDK then asks for EC
        assertEquals(0, km.choose("default.test", "RSA"));
        assertEquals(-1, km.choose("default.test", "EC")); // not another name's ECDSA certificate
        assertEquals(0, km.choose(null, "RSA"));
        assertEquals(-1, km.choose(null, "EC")); // the default has no ECDSA twin
        assertEquals(0, km.choose("unknown.test", "RSA"));
        assertEquals(-1, km.choose("example.test", "EdDSA"));
    }

    @Test
    void aNameWhoseExactCertificateIsTheWrongTypeFallsToAWildcardThatCoversIt() throws IOException {
        TestCerts more = new TestCerts(Files.createDirectories(dir.resolve("more")));
        Path[] exact = more.leaf("rsa", "a.multi.test");
        Path[] wild = more.leaf("ec", "*.multi.test");
        Instant now = Instant.now();
        SniKeyManager km = new SniKeyManager(List.of(CertifiedKey.load(exact[0], exact[1], now), CertifiedKey.load(wild[0], wild[1], now)));
        assertEquals(0, km.choose("a.multi.test", "RSA"));
        assertEquals(1, km.choose("a.multi.test", "EC")); // an ECDSA-only client still gets a certificate for the name
        assertEquals(-1, km.choose("b.multi.test", "RSA"));
    }
}
