package io.kodiak.proxy;

import io.kodiak.acme.AcmeManager;
import io.kodiak.config.ConfigLoader;
import io.kodiak.testing.Pebble;
import io.kodiak.testing.ScriptedUpstream;
import io.kodiak.testing.Tools;
import io.kodiak.tls.TestCerts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Automatic certificates end to end against Pebble, Let's Encrypt's test server, which validates
 * every challenge against this Kodiak for real: issuance over HTTP-01 (through a plain listener that
 * redirects everything else to HTTPS) and over TLS-ALPN-01, the certificate served to curl, stored
 * owner-only and served again after a restart without the CA, renewed when the (injected) clock
 * reaches its renewal time, and a failing challenge that backs off and keeps the old certificate.
 */
class AcmePebbleTest {
    static final String DOMAIN = "app.kodiak.test";
    @TempDir
    static Path certDir;
    static TestCerts certs;
    static Path[] pebbleCert;

    @TempDir
    Path dir;
    private ScriptedUpstream upstream;
    private ProxyServer server;
    private Pebble pebble;
    private final MovableClock clock = new MovableClock();
    private Pebble.Ports ports;

    /** Real time plus what the test moved it by; the ACME manager reads it for expiry, renewal and back-off. */
    static final class MovableClock extends Clock {
        volatile Duration offset = Duration.ZERO;

        @Override
        public Instant instant() {
            return Instant.now().plus(offset);
        }

        /** Moves the clock so that it reads {@code t} now. */
        void set(Instant t) {
            offset = Duration.between(Instant.now(), t);
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }

    @BeforeAll
    static void makeCertificates() throws Exception {
        Pebble.require();
        Tools.require("openssl", "version", "openssl");
        Tools.require("curl", "--version", "curl");
        certs = new TestCerts(certDir);
        pebbleCert = certs.leaf("ec", "127.0.0.1", "localhost");
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        if (pebble != null) {
            pebble.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    private String yaml(String directory, String challenges, String extraAcme) {
        return "admin: {listen: off}\nmetrics: off\n"
                + "acme:\n  directory: " + directory + "\n  trust: " + certs.caCert + "\n  storage: " + dir.resolve("acme") + "\n"
                + "  challenges: [" + challenges + "]\n" + extraAcme
                + "listeners:\n  - {name: web, address: 127.0.0.1:0, redirect-https: true}\n"
                + "  - name: secure\n    address: 127.0.0.1:0\n    tls:\n      domains: [" + DOMAIN + "]\n"
                + "pools:\n  app:\n    upstreams: [" + upstream.hostPort() + "]\n    health-check: {type: none}\n";
    }

    /** Kodiak first (its ports are Pebble's validation targets), then Pebble; {@code httpPort} 0: Kodiak's. */
    private void start(String challenges, int httpPort, String extraAcme) throws Exception {
        if (upstream == null) {
            upstream = ScriptedUpstream.start("u1");
        }
        ports = Pebble.Ports.choose();
        server = ProxyServer.startWithManualAcme(ConfigLoader.parse(yaml(ports.directory(), challenges, extraAcme),
                dir.resolve("kodiak.yaml")), clock);
        pebble = Pebble.start(dir, pebbleCert[0], pebbleCert[1], ports,
                httpPort == 0 ? server.boundAddress("web").getPort() : httpPort, tlsPort());
    }

    private int tlsPort() {
        return server.boundAddress("secure").getPort();
    }

    private Path storedChain() throws Exception {
        try (var s = Files.list(dir.resolve("acme"))) {
            Path ca = s.findFirst().orElseThrow();
            return ca.resolve("certificates").resolve(DOMAIN).resolve("fullchain.pem");
        }
    }

    /** curl to https://DOMAIN:PORT/PATH at 127.0.0.1, trusting {@code ca}: output ending in "CODE VERIFY". */
    private Tools.Result curl(Path ca, String path) throws Exception {
        return Tools.run(dir, java.util.Map.of(), "curl", "-sS", "--max-time", "10", "--cacert", ca.toString(),
                "--resolve", DOMAIN + ":" + tlsPort() + ":127.0.0.1", "-w", "\n%{http_code} %{ssl_verify_result}",
                "https://" + DOMAIN + ":" + tlsPort() + path);
    }

    private Path pebbleRoot() throws Exception {
        Path root = dir.resolve("pebble-root.pem");
        Files.writeString(root, pebble.root(dir, certs.caCert));
        return root;
    }

    /** The first certificate the listener presents for DOMAIN, as PEM. */
    private String servedLeaf() throws Exception {
        Process p = new ProcessBuilder("openssl", "s_client", "-connect", "127.0.0.1:" + tlsPort(), "-servername", DOMAIN)
                .redirectErrorStream(true).redirectInput(new File("/dev/null")).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        int b = out.indexOf("-----BEGIN CERTIFICATE-----");
        int e = out.indexOf("-----END CERTIFICATE-----");
        assertTrue(b >= 0 && e > b, out);
        return out.substring(b, e).replaceAll("\\s", "");
    }

    private static String firstPem(Path chain) throws Exception {
        String text = Files.readString(chain);
        return text.substring(text.indexOf("-----BEGIN CERTIFICATE-----"), text.indexOf("-----END CERTIFICATE-----")).replaceAll("\\s", "");
    }

    @Test
    void obtainsOverHttp01ThroughTheRedirectServesItAndKeepsItOwnerOnly() throws Exception {
        start("http-01", 0, "");
        AcmeManager acme = server.acme();
        assertNull(acme.status(DOMAIN).notAfter()); // nothing before the first round
        acme.runDue();
        AcmeManager.Status s = acme.status(DOMAIN);
        assertNotNull(s.notAfter(), s + "\n" + pebble.logText());
        assertEquals(0, s.failures());
        assertTrue(pebble.logText().contains("validate w/ HTTP: http://" + DOMAIN), pebble.logText());

        Path root = pebbleRoot();
        Tools.Result r = curl(root, "/hello");
        assertTrue(r.output().endsWith("\n200 0"), r.output()); // Pebble's chain verifies for the name
        assertEquals("/hello", upstream.takeRequest(Duration.ofSeconds(10)).path());
        // The plain listener still redirects what is not a validation.
        Tools.Result plain = Tools.run(dir, java.util.Map.of(), "curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}",
                "http://127.0.0.1:" + server.boundAddress("web").getPort() + "/.well-known/acme-challenge/unknown");
        assertEquals("308", plain.output());

        Path chain = storedChain();
        Path key = chain.resolveSibling("privkey.pem");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(key)));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(chain.getParent().getParent()
                .getParent().resolve("account.pem"))));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("acme"))));

        // A restart serves the stored certificate at once, without the CA (gone now).
        int port = tlsPort();
        server.close();
        pebble.close();
        pebble = null;
        String text = yaml(ports.directory(), "http-01", "").replace("address: 127.0.0.1:0\n    tls", "address: 127.0.0.1:" + port + "\n    tls");
        server = ProxyServer.startWithManualAcme(ConfigLoader.parse(text, dir.resolve("kodiak.yaml")), clock);
        assertTrue(curl(root, "/again").output().endsWith("\n200 0"));
    }

    @Test
    void obtainsOverTlsAlpn01AndRenewsWhenTheClockSaysSo() throws Exception {
        start("tls-alpn-01", ScriptedUpstream.unusedPort(), ""); // HTTP-01 could not reach Kodiak anyway
        AcmeManager acme = server.acme();
        acme.runDue();
        AcmeManager.Status first = acme.status(DOMAIN);
        assertNotNull(first.notAfter(), first + "\n" + pebble.logText());
        // Only TLS-ALPN-01 was offered, and the HTTP-01 port is closed: the TLS listener proved it.
        assertFalse(pebble.logText().contains("validate w/ HTTP"), pebble.logText());
        String leaf = servedLeaf();
        assertEquals(firstPem(storedChain()), leaf);
        Path root = pebbleRoot();
        assertTrue(curl(root, "/").output().endsWith("\n200 0"));

        acme.runDue(); // not due: nothing ordered
        assertEquals(leaf, servedLeaf());

        clock.set(first.renewAt().plusSeconds(1));
        acme.runDue();
        AcmeManager.Status renewed = acme.status(DOMAIN);
        assertEquals(0, renewed.failures(), renewed + "\n" + pebble.logText());
        String next = servedLeaf();
        assertNotEquals(leaf, next); // the new certificate serves the next handshake, no reload
        assertEquals(firstPem(storedChain()), next);
        assertTrue(curl(root, "/").output().endsWith("\n200 0"));
    }

    /** {@code t} is {@code backoff} after a moment of this round: between the clock before the round and now. */
    private void assertBetween(Instant t, Duration backoff) {
        Instant latest = clock.instant().plus(backoff);
        assertTrue(!t.isAfter(latest) && t.isAfter(latest.minus(Duration.ofSeconds(60))), t + " vs " + latest);
    }

    @Test
    void aFailingChallengeBacksOffAndTheOldCertificateKeepsServing() throws Exception {
        upstream = ScriptedUpstream.start("u1");
        Pebble.Ports ports = Pebble.Ports.choose();
        // A certificate already stored (from the test CA, valid 30 days), due for renewal at day 20.
        Path caDir = dir.resolve("acme").resolve("127.0.0.1-" + ports.acme() + "-dir").resolve("certificates").resolve(DOMAIN);
        Files.createDirectories(caDir);
        Path[] old = certs.leaf("ec", DOMAIN);
        Files.copy(certs.fullchain(old[0]), caDir.resolve("fullchain.pem"));
        Files.copy(old[1], caDir.resolve("privkey.pem"));
        clock.offset = Duration.ofDays(25);
        server = ProxyServer.startWithManualAcme(ConfigLoader.parse(yaml(ports.directory(), "http-01", ""),
                dir.resolve("kodiak.yaml")), clock);
        assertTrue(curl(certs.caCert, "/").output().endsWith("\n200 0")); // the stored one, before any round
        int nowhere = ScriptedUpstream.unusedPort(); // Pebble validates HTTP-01 against a closed port
        pebble = Pebble.start(dir, pebbleCert[0], pebbleCert[1], ports, nowhere, tlsPort());

        AcmeManager acme = server.acme();
        acme.runDue();
        AcmeManager.Status s = acme.status(DOMAIN);
        assertEquals(1, s.failures(), s.toString());
        assertTrue(s.lastError().contains("http-01 validation of " + DOMAIN + " failed"), s.lastError());
        assertBetween(s.nextTry(), Duration.ofMinutes(5));
        assertTrue(curl(certs.caCert, "/").output().endsWith("\n200 0")); // the old one still serves

        acme.runDue(); // backing off: no new order
        assertEquals(1, acme.status(DOMAIN).failures());
        clock.set(s.nextTry());
        acme.runDue();
        AcmeManager.Status again = acme.status(DOMAIN);
        assertEquals(2, again.failures());
        assertBetween(again.nextTry(), Duration.ofMinutes(10)); // doubled
        assertTrue(curl(certs.caCert, "/").output().endsWith("\n200 0"));
    }

    @Test
    void aReloadAddsAndRemovesDomainsAndTheHttp01Answers() throws Exception {
        upstream = ScriptedUpstream.start("u1");
        Path[] file = certs.leaf("ec", "files.test");
        String directory = "https://127.0.0.1:" + ScriptedUpstream.unusedPort() + "/dir";
        // Both listeners at ports of their own: a reload matches listeners by configured address.
        int tls = ScriptedUpstream.unusedPort();
        String files = yaml(directory, "http-01", "").replace("domains: [" + DOMAIN + "]", "cert: " + file[0] + "\n      key: " + file[1])
                .replace("{name: web, address: 127.0.0.1:0", "{name: web, address: 127.0.0.1:" + ScriptedUpstream.unusedPort())
                .replace("127.0.0.1:0\n    tls", "127.0.0.1:" + tls + "\n    tls");
        server = ProxyServer.startWithManualAcme(ConfigLoader.parse(files, dir.resolve("kodiak.yaml")), clock);
        assertNull(server.acme());
        String both = files.replace("    tls:\n", "    tls:\n      domains: [" + DOMAIN + "]\n");
        server.reload(ConfigLoader.parse(both, dir.resolve("kodiak.yaml")));
        assertNotNull(server.acme());
        assertNull(server.acme().status(DOMAIN).notAfter()); // due at the next round
        assertEquals(0, server.acme().status(DOMAIN).failures());
        // A token being validated is answered on the plain listener, before its redirect.
        server.acme().challenges().putHttpForTest("tok3n", "tok3n.thumbprint");
        String plain = "http://127.0.0.1:" + server.boundAddress("web").getPort() + "/.well-known/acme-challenge/";
        assertEquals("tok3n.thumbprint 200", Tools.run(dir, java.util.Map.of(), "curl", "-sS", "-w", " %{http_code}", plain + "tok3n")
                .output());
        assertEquals("308", Tools.run(dir, java.util.Map.of(), "curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", plain + "other")
                .output());
        server.reload(ConfigLoader.parse(files, dir.resolve("kodiak.yaml")));
        assertNull(server.acme());
        assertEquals("308", Tools.run(dir, java.util.Map.of(), "curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", plain + "tok3n")
                .output());
    }

    @Test
    void aTlsAlpnValidationWhoseHelloComesInTwoSegmentsGetsTheValidationCertificate() throws Exception {
        upstream = ScriptedUpstream.start("u1");
        server = ProxyServer.startWithManualAcme(ConfigLoader.parse(yaml("https://127.0.0.1:9/dir", "tls-alpn-01", ""),
                dir.resolve("kodiak.yaml")), clock);
        Path[] validation = certs.leaf("ec", DOMAIN); // stands in for the acmeIdentifier certificate
        io.kodiak.tls.CertifiedKey k = io.kodiak.tls.CertifiedKey.load(validation[0], validation[1], Instant.now());
        server.acme().challenges().putAlpnForTest(DOMAIN, k.leaf(), new java.security.KeyPair(k.leaf().getPublicKey(), k.key()));

        javax.net.ssl.SSLContext trustAll = javax.net.ssl.SSLContext.getInstance("TLS");
        trustAll.init(null, new javax.net.ssl.TrustManager[] {new javax.net.ssl.X509TrustManager() {
            public void checkClientTrusted(java.security.cert.X509Certificate[] c, String a) { }
            public void checkServerTrusted(java.security.cert.X509Certificate[] c, String a) { }
            public java.security.cert.X509Certificate[] getAcceptedIssuers() {
                return new java.security.cert.X509Certificate[0];
            }
        }}, null);
        javax.net.ssl.SSLEngine e = trustAll.createSSLEngine(DOMAIN, tlsPort());
        e.setUseClientMode(true);
        javax.net.ssl.SSLParameters p = e.getSSLParameters();
        p.setServerNames(List.of(new javax.net.ssl.SNIHostName(DOMAIN)));
        p.setApplicationProtocols(new String[] {"acme-tls/1"});
        e.setSSLParameters(p);
        try (java.nio.channels.SocketChannel ch = java.nio.channels.SocketChannel.open(server.boundAddress("secure"))) {
            java.nio.ByteBuffer net = java.nio.ByteBuffer.allocate(1 << 17);
            java.nio.ByteBuffer in = java.nio.ByteBuffer.allocate(1 << 17);
            java.nio.ByteBuffer app = java.nio.ByteBuffer.allocate(1 << 17);
            e.beginHandshake();
            e.wrap(java.nio.ByteBuffer.allocate(0), net); // the ClientHello
            net.flip();
            java.nio.ByteBuffer firstPart = net.duplicate().limit(40); // cut inside it: two TCP segments
            ch.write(firstPart);
            Thread.sleep(100); // lets the first segment be read on its own (not a timing assertion)
            net.position(40);
            ch.write(net);
            for (int i = 0; i < 200 && e.getHandshakeStatus() != javax.net.ssl.SSLEngineResult.HandshakeStatus.NOT_HANDSHAKING
                    && e.getHandshakeStatus() != javax.net.ssl.SSLEngineResult.HandshakeStatus.FINISHED; i++) {
                switch (e.getHandshakeStatus()) {
                    case NEED_WRAP -> {
                        net.clear();
                        e.wrap(java.nio.ByteBuffer.allocate(0), net);
                        net.flip();
                        ch.write(net);
                    }
                    case NEED_TASK -> e.getDelegatedTask().run();
                    default -> {
                        in.flip();
                        javax.net.ssl.SSLEngineResult r = e.unwrap(in, app);
                        in.compact();
                        if (r.getStatus() == javax.net.ssl.SSLEngineResult.Status.BUFFER_UNDERFLOW) {
                            assertTrue(ch.read(in) >= 0, "the listener closed the validation's connection mid-handshake");
                        }
                    }
                }
            }
            assertEquals("acme-tls/1", e.getApplicationProtocol());
            assertEquals(k.leaf(), e.getSession().getPeerCertificates()[0]);
            // RFC 8737: the validation connection ends with its handshake; nothing is served on it.
            ch.configureBlocking(false);
            int read = 0;
            for (int i = 0; i < 100 && read >= 0; i++) {
                in.clear();
                read = ch.read(in);
                if (read == 0) {
                    Thread.sleep(50);
                }
            }
            assertEquals(-1, read, "the listener kept the validation's connection open");
        }
    }
}
