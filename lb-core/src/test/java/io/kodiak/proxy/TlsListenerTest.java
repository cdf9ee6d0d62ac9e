package io.kodiak.proxy;

import io.kodiak.Kodiak;
import io.kodiak.config.ConfigException;
import io.kodiak.config.ConfigLoader;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.RawResponse;
import io.kodiak.testing.RecordedRequest;
import io.kodiak.testing.ScriptedUpstream;
import io.kodiak.testing.Tools;
import io.kodiak.tls.TestCerts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A TLS listener over real sockets, with curl and openssl s_client as the clients users have:
 * HTTPS through to a plain upstream, the protocols it speaks and refuses, certificates by SNI,
 * plain HTTP on the TLS port, and certificates re-read by a reload. On the JDK's engine here; on
 * BoringSSL's in {@link TlsListenerOpenSslTest}, which runs the same tests.
 */
class TlsListenerTest {
    /** The {@code tls.engine} under test. */
    String engine() {
        return "jdk";
    }

    @TempDir
    static Path certDir;
    static TestCerts certs;
    static Path[] example;
    static Path[] other;

    @TempDir
    Path dir;
    private ScriptedUpstream upstream;
    private Kodiak kodiak;

    @BeforeAll
    static void makeCertificates() throws IOException {
        Tools.require("openssl", "version", "openssl");
        Tools.require("curl", "--version", "curl");
        certs = new TestCerts(certDir);
        example = certs.leaf("ec", "example.test", "www.example.test");
        other = certs.leaf("rsa", "other.test");
    }

    @AfterEach
    void stop() {
        if (kodiak != null) {
            kodiak.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    /** The config, with {@code tls.engine} on the line after {@code tls:} (line 7; the tls lines follow). */
    private Path write(String tls) throws IOException {
        Path file = dir.resolve("kodiak.yaml");
        Files.writeString(file, "admin: {listen: off}\nmetrics: off\nlisteners:\n  - name: web\n    address: 127.0.0.1:0\n"
                + "    tls:\n      engine: " + engine() + "\n" + tls + "pools:\n  app:\n    upstreams: [" + upstream.hostPort() + "]\n"
                + "    health-check: {type: none}\n");
        return file;
    }

    private void start(String tls) throws Exception {
        upstream = ScriptedUpstream.start("u1");
        kodiak = Kodiak.start(ConfigLoader.load(write(tls)));
    }

    private int port() {
        return kodiak.boundAddress("web").getPort();
    }

    private static String pair(Path[] certAndKey) {
        return "{cert: " + certAndKey[0] + ", key: " + certAndKey[1] + "}";
    }

    /** curl to https://NAME:PORT/PATH resolved to 127.0.0.1, trusting the test CA; its output and exit code. */
    private Tools.Result curl(String name, String path, String... extra) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("curl", "-sS", "--max-time", "10", "--cacert", certs.caCert.toString(),
                "--resolve", name + ":" + port() + ":127.0.0.1", "-w", "\n%{http_code} %{ssl_verify_result}"));
        cmd.addAll(List.of(extra));
        cmd.add("https://" + name + ":" + port() + path);
        return Tools.run(dir, java.util.Map.of(), cmd.toArray(new String[0]));
    }

    /** openssl s_client with {@code args}; stdin is empty, so it ends after the handshake. */
    private String sClient(String... args) throws Exception {
        return sClientSaying(null, args);
    }

    /**
     * openssl s_client with {@code args}, typing {@code input} (a line "R" asks it to renegotiate);
     * with {@code -ign_eof} it reads until the server closes.
     */
    private String sClientSaying(String input, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("openssl", "s_client", "-connect", "127.0.0.1:" + port(),
                "-CAfile", certs.caCert.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        if (input == null) {
            pb.redirectInput(new File("/dev/null"));
        }
        Process p = pb.start();
        if (input != null) {
            try (var in = p.getOutputStream()) {
                in.write(input.getBytes(StandardCharsets.US_ASCII));
            }
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "s_client did not end");
        return out;
    }

    @Test
    void servesHttpsToAPlainUpstreamAndTellsItTheScheme() throws Exception {
        start("      cert: " + certs.fullchain(example[0]) + "\n      key: " + example[1] + "\n");
        Tools.Result r = curl("example.test", "/hello");
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(r.output().endsWith("\n200 0"), r.output()); // 200, and curl verified the chain and the name
        RecordedRequest seen = upstream.takeRequest(Duration.ofSeconds(10));
        assertEquals("/hello", seen.path());
        assertEquals("https", seen.header("X-Forwarded-Proto"));
        assertEquals(null, seen.header("X-Forwarded-Port")); // off by default, as in nginx and HAProxy
    }

    @Test
    void xForwardedPortIsTheOneTheClientConnectedToWhenAsked() throws Exception {
        upstream = ScriptedUpstream.start("u1");
        Path file = write("      cert: " + example[0] + "\n      key: " + example[1] + "\n");
        Files.writeString(file, Files.readString(file).replace("    tls:\n",
                "    forwarded-headers: {x-forwarded-port: true}\n    tls:\n"));
        kodiak = Kodiak.start(ConfigLoader.load(file));
        assertTrue(curl("example.test", "/", "-H", "X-Forwarded-Port: 1").output().endsWith("\n200 0"));
        RecordedRequest seen = upstream.takeRequest(Duration.ofSeconds(10));
        assertEquals(Integer.toString(port()), seen.header("X-Forwarded-Port")); // the real port, not the 0 configured
        assertEquals("https", seen.header("X-Forwarded-Proto"));
        assertFalse(seen.rawHeadString().contains("X-Forwarded-Port: 1\r"), seen.rawHeadString());
    }

    @Test
    void speaksTls12And13AndRefusesOlderProtocols() throws Exception {
        start("      cert: " + example[0] + "\n      key: " + example[1] + "\n");
        assertTrue(sClient("-servername", "example.test", "-tls1_3").contains("Protocol  : TLSv1.3")
                || sClient("-servername", "example.test", "-tls1_3").contains("TLSv1.3"));
        String tls12 = sClient("-servername", "example.test", "-tls1_2");
        assertTrue(tls12.contains("TLSv1.2"), tls12);
        assertTrue(tls12.contains("Verify return code: 0 (ok)"), tls12);
        for (String old : new String[] {"-tls1_1", "-tls1"}) {
            String out = sClient("-servername", "example.test", old);
            assertFalse(out.contains("Verify return code: 0 (ok)") && out.contains("Cipher is ECDHE"), out);
            assertTrue(out.contains("alert") || out.contains("no protocols available") || out.contains("handshake failure")
                    || out.contains("Cipher is (NONE)"), out);
        }
        Tools.Result r = curl("example.test", "/", "--http1.1", "-v");
        assertTrue(r.output().contains("ALPN: server accepted http/1.1") || r.output().contains("ALPN, server accepted to use http/1.1"),
                r.output());
    }

    @Test
    void choosesTheCertificateByServerName() throws Exception {
        start("      certificates:\n        - " + pair(example) + "\n        - " + pair(other) + "\n");
        assertTrue(curl("example.test", "/").output().endsWith("\n200 0"));
        assertTrue(curl("www.example.test", "/").output().endsWith("\n200 0"));
        assertTrue(curl("other.test", "/").output().endsWith("\n200 0"));
        String noSni = sClient("-noservername");
        assertTrue(noSni.contains("CN = example.test") || noSni.contains("CN=example.test"), noSni); // the first is the default
    }

    @Test
    void plainHttpOnTheTlsPortGetsA400InPlainTextAndTheConnectionCloses() throws Exception {
        start("      cert: " + example[0] + "\n      key: " + example[1] + "\n");
        try (RawClient c = RawClient.connect(port())) {
            RawResponse r = c.get("/");
            assertEquals(400, r.status(), r.toString());
            assertTrue(r.bodyString().contains("The plain HTTP request was sent to HTTPS port"), r.toString());
            assertEquals(RawClient.Closure.EOF, c.awaitClose());
        }
        try (RawClient c = RawClient.connect(port())) {
            c.send("\r\nget / HTTP/1.1\r\nHost: x\r\n\r\n"); // an empty line first, a lower-case method: still plain HTTP
            assertEquals(400, c.readResponse().status());
        }
        assertTrue(curl("example.test", "/").output().endsWith("\n200 0")); // and TLS still works
        assertTrue(curl("example.test", "/", "--http1.0").output().endsWith("\n200 0")); // ALPN http/1.0
    }

    @Test
    void aReloadReadsRenewedCertificatesAndRefusesABadOne() throws Exception {
        Path cert = dir.resolve("live.pem");
        Path key = dir.resolve("live.key");
        Files.copy(example[0], cert);
        Files.copy(example[1], key);
        start("      cert: " + cert + "\n      key: " + key + "\n");
        String before = sClient("-servername", "example.test");
        Path[] renewed = certs.leaf("ec", "example.test");
        Files.copy(renewed[0], cert, StandardCopyOption.REPLACE_EXISTING);
        Files.copy(renewed[1], key, StandardCopyOption.REPLACE_EXISTING);
        Kodiak.Reload reload = kodiak.reload();
        assertTrue(reload.changes().contains("listener web: certificates reloaded"), reload.toString());
        String after = sClient("-servername", "example.test");
        assertNotEquals(serial(before), serial(after), "the new certificate serves new connections");

        Files.copy(other[1], key, StandardCopyOption.REPLACE_EXISTING); // a key that is not the certificate's
        ConfigException e = assertThrows(ConfigException.class, () -> kodiak.reload());
        assertTrue(e.getMessage().contains("listeners[0].tls.key: " + key + ": an RSA key, but the certificate in " + cert),
                e.getMessage());
        assertEquals(serial(after), serial(sClient("-servername", "example.test")), "the old one stays");
    }

    @Test
    void aBadCertificateStopsTheStartWithTheLineAndTheFile() throws Exception {
        upstream = ScriptedUpstream.start("u1");
        Path file = write("      cert: " + example[0] + "\n      key: " + other[1] + "\n");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(file));
        assertEquals(file + ":9: listeners[0].tls.key: " + other[1] + ": an RSA key, but the certificate in "
                + example[0] + " is for an EC key: they do not belong together", e.getMessage());
        Path missing = write("      cert: " + dir.resolve("nope.pem") + "\n      key: " + example[1] + "\n");
        e = assertThrows(ConfigException.class, () -> ConfigLoader.load(missing));
        assertEquals(missing + ":8: listeners[0].tls.cert: " + dir.resolve("nope.pem") + ": no such file", e.getMessage());
    }

    @Test
    void turningTlsOnOrOffAtAnAddressNeedsARestart() throws Exception {
        int p;
        try (java.net.ServerSocket probe = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            p = probe.getLocalPort(); // a listener is its address: the reload must name the same one
        }
        upstream = ScriptedUpstream.start("u1");
        Path file = write("      cert: " + example[0] + "\n      key: " + example[1] + "\n");
        Files.writeString(file, Files.readString(file).replace("127.0.0.1:0", "127.0.0.1:" + p));
        kodiak = Kodiak.start(ConfigLoader.load(file));
        Files.writeString(file, Files.readString(file).replaceAll("    tls:\n      engine: .*\n      cert: .*\n      key: .*\n", ""));
        IOException e = assertThrows(IOException.class, () -> kodiak.reload());
        assertTrue(e.getMessage().contains("turning TLS off on 127.0.0.1:" + p + " needs a restart"), e.getMessage());
        assertTrue(curl("example.test", "/").output().endsWith("\n200 0"), "still TLS, as before the reload");
    }

    @Test
    void hstsIsSentOnEveryResponseInPlaceOfTheApps() throws Exception {
        start("      cert: " + example[0] + "\n      key: " + example[1] + "\n"
                + "      hsts: {max-age: 31536000, include-subdomains: true}\n");
        upstream.handler(r -> io.kodiak.testing.Action.respond(200,
                io.kodiak.testing.HeaderFields.of("Strict-Transport-Security", "max-age=1"), "ok\n".getBytes(StandardCharsets.US_ASCII)));
        Tools.Result r = curl("example.test", "/", "-D", "-", "-o", "/dev/null");
        assertTrue(r.output().toLowerCase(java.util.Locale.ROOT).contains("strict-transport-security: max-age=31536000; includesubdomains\r\n"),
                r.output());
        assertFalse(r.output().contains("max-age=1\r"), r.output());
    }

    @Test
    void aPlainListenerRedirectsEveryRequestToHttpsKeepingHostAndTarget() throws Exception {
        upstream = ScriptedUpstream.start("u1");
        Path file = dir.resolve("redirect.yaml");
        Files.writeString(file, "admin: {listen: off}\nmetrics: off\nlisteners:\n"
                + "  - {name: web, address: 127.0.0.1:0, redirect-https: true}\n"
                + "  - {name: alt, address: 127.0.0.1:0, redirect-https: 8443}\n"
                + "pools:\n  app:\n    upstreams: [" + upstream.hostPort() + "]\n    health-check: {type: none}\n");
        kodiak = Kodiak.start(ConfigLoader.load(file));
        try (RawClient c = RawClient.connect(port())) {
            RawResponse r = c.exchange("GET /a/b?x=1&y=%20 HTTP/1.1\r\nHost: Example.TEST:8080\r\n\r\n");
            assertEquals(308, r.status(), r.toString());
            assertTrue(r.toString().contains("308 Permanent Redirect"), r.toString());
            assertEquals("https://example.test/a/b?x=1&y=%20", r.header("Location"));
            r = c.exchange("POST /form HTTP/1.1\r\nHost: example.test\r\nContent-Length: 3\r\n\r\nabc");
            assertEquals(308, r.status(), r.toString()); // 308: the client repeats the POST with its body
        }
        try (RawClient c = RawClient.connect(kodiak.boundAddress("alt").getPort())) {
            assertEquals("https://example.test:8443/", c.exchange("GET / HTTP/1.1\r\nHost: example.test\r\n\r\n").header("Location"));
            assertEquals(400, c.exchange("GET / HTTP/1.0\r\n\r\n").status()); // no Host: nowhere to send it
        }
        assertEquals(0, upstream.requestsReceived());
    }

    @Test
    void aHostTheConnectionsCertificateDoesNotCoverIsMisdirected() throws Exception {
        start("      certificates:\n        - " + pair(example) + "\n        - " + pair(other) + "\n");
        // SNI example.test, whose certificate also covers www.example.test: both are served.
        assertTrue(curl("example.test", "/", "-H", "Host: www.example.test").output().endsWith("\n200 0"));
        // Its fully qualified form (a trailing dot) is the same name: served, not 421.
        assertTrue(curl("example.test", "/", "-H", "Host: Example.test.:443").output().endsWith("\n200 0"));
        // SNI example.test asking for other.test (domain fronting): 421, though other.test is served here too.
        Tools.Result r = curl("example.test", "/", "-H", "Host: other.test");
        assertTrue(r.output().endsWith("\n421 0"), r.output());
        assertTrue(r.output().contains("421 Misdirected Request"), r.output());
        assertEquals(2, upstream.requestsReceived(), "the two served above, not the misdirected one");
        // Without SNI there is no name to disagree with: routed by Host, as nginx does.
        String out = sClient("-noservername");
        assertTrue(out.contains("CN = example.test") || out.contains("CN=example.test"), out);
    }

    @Test
    void requiredClientCertificatesAreVerifiedAndDescribedToTheUpstreamWhoCannotBeFooled() throws Exception {
        Path[] client = certs.leaf("ec", "client.test");
        start("      cert: " + example[0] + "\n      key: " + example[1] + "\n      client-auth: {ca: " + certs.caCert + "}\n");
        Tools.Result none = curl("example.test", "/");
        assertNotEquals(0, none.exitCode(), none.output()); // no certificate, no handshake
        Tools.Result r = curl("example.test", "/", "--cert", client[0].toString(), "--key", client[1].toString(),
                "-H", "X-Client-Cert-Subject: CN=admin");
        assertTrue(r.output().endsWith("\n200 0"), r.output());
        RecordedRequest seen = upstream.takeRequest(Duration.ofSeconds(10));
        assertEquals("SUCCESS", seen.header("X-Client-Cert-Verify"));
        assertEquals("CN=client.test", seen.header("X-Client-Cert-Subject")); // the client's forged one is gone
        assertEquals("CN=Kodiak Test CA", seen.header("X-Client-Cert-Issuer"));
        assertTrue(seen.header("X-Client-Cert-Fingerprint").matches("[0-9a-f]{64}"), seen.header("X-Client-Cert-Fingerprint"));
        assertFalse(seen.rawHeadString().contains("CN=admin"), seen.rawHeadString());
        Path[] stranger = new TestCerts(Files.createDirectories(dir.resolve("other-ca"))).leaf("ec", "client.test");
        Tools.Result untrusted = curl("example.test", "/", "--cert", stranger[0].toString(), "--key", stranger[1].toString());
        assertNotEquals(0, untrusted.exitCode(), untrusted.output()); // signed by a CA the listener does not trust
    }

    @Test
    void optionalClientCertificatesLetClientsWithoutOneIn() throws Exception {
        start("      cert: " + example[0] + "\n      key: " + example[1] + "\n      client-auth: {ca: " + certs.caCert
                + ", mode: optional, headers: {subject: X-SSL-Client-DN}}\n");
        Tools.Result r = curl("example.test", "/", "-H", "X-SSL-Client-DN: CN=admin", "-H", "X-Client-Cert-Verify: SUCCESS");
        assertTrue(r.output().endsWith("\n200 0"), r.output());
        RecordedRequest seen = upstream.takeRequest(Duration.ofSeconds(10));
        assertEquals("NONE", seen.header("X-Client-Cert-Verify"));
        assertEquals(null, seen.header("X-SSL-Client-DN"));
        String asked = sClient("-servername", "example.test");
        assertTrue(asked.contains("Acceptable client certificate CA names\nCN = Kodiak Test CA"), asked); // our CA list
        Path[] stranger = new TestCerts(Files.createDirectories(dir.resolve("other-ca"))).leaf("ec", "client.test");
        Tools.Result untrusted = curl("example.test", "/", "--cert", stranger[0].toString(), "--key", stranger[1].toString());
        assertNotEquals(0, untrusted.exitCode(), untrusted.output()); // optional, but an invalid one is not let in
    }

    @Test
    void anEngineKodiakDoesNotKnowIsRefusedWithItsLine() throws Exception {
        upstream = ScriptedUpstream.start("u1");
        Path file = write("      cert: " + example[0] + "\n      key: " + example[1] + "\n");
        Files.writeString(file, Files.readString(file).replace("engine: " + engine(), "engine: fast"));
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(file));
        assertEquals(file + ":7: listeners[0].tls.engine: must be auto, openssl or jdk, not \"fast\"", e.getMessage());
    }

    @Test
    void redirectAndHstsSettingsAreChecked() throws Exception {
        upstream = ScriptedUpstream.start("u1");
        Path both = write("      cert: " + example[0] + "\n      key: " + example[1] + "\n    redirect-https: true\n");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(both));
        assertEquals(both + ":10: listeners[0].redirect-https: is for a plain HTTP listener: this one has tls", e.getMessage());
        Path preload = write("      cert: " + example[0] + "\n      key: " + example[1] + "\n      hsts: {preload: true}\n");
        e = assertThrows(ConfigException.class, () -> ConfigLoader.load(preload));
        assertTrue(e.getMessage().contains("listeners[0].tls.hsts.preload: the browsers' preload lists need include-subdomains"),
                e.getMessage());
    }

    @Test
    void servesEcdsaOrRsaByTheSignaturesTheClientCanCheck() throws Exception {
        Path[] exampleRsa = certs.leaf("rsa", "example.test", "www.example.test");
        start("      certificates:\n        - " + pair(example) + "\n        - " + pair(exampleRsa) + "\n");
        String both = sClient("-servername", "example.test", "-tls1_3");
        assertTrue(both.contains("Peer signature type: ECDSA"), both); // the first, when the client takes both
        String rsa13 = sClient("-servername", "example.test", "-tls1_3", "-sigalgs", "rsa_pss_rsae_sha256:rsa_pss_rsae_sha384");
        assertTrue(rsa13.contains("Peer signature type: RSA-PSS") && rsa13.contains("Verify return code: 0 (ok)"), rsa13);
        String rsa12 = sClient("-servername", "example.test", "-tls1_2", "-sigalgs", "RSA+SHA256:RSA+SHA384",
                "-cipher", "ECDHE-RSA-AES128-GCM-SHA256");
        assertTrue(rsa12.contains("Peer signature type: RSA") && rsa12.contains("Verify return code: 0 (ok)"), rsa12);
        String rsaSuites12 = sClient("-servername", "example.test", "-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256");
        assertTrue(rsaSuites12.contains("Peer signature type: RSA"), rsaSuites12); // ECDSA signatures listed, RSA suites only
        String ec12 = sClient("-servername", "example.test", "-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256");
        assertTrue(ec12.contains("Peer signature type: ECDSA"), ec12);
    }

    @Test
    void resumesSessionsByIdInTls12AndByTicketInTls13() throws Exception {
        start("      cert: " + example[0] + "\n      key: " + example[1] + "\n");
        String request = "GET / HTTP/1.0\r\nHost: example.test\r\n\r\n"; // read to the end: the TLS 1.3 ticket comes first
        for (String version : new String[] {"-tls1_2", "-tls1_3"}) {
            Path session = dir.resolve("session" + version);
            String first = sClientSaying(request, "-servername", "example.test", version, "-ign_eof", "-sess_out", session.toString());
            assertTrue(first.contains("New, TLSv1."), first);
            String second = sClientSaying(request, "-servername", "example.test", version, "-ign_eof", "-sess_in", session.toString());
            assertTrue(second.contains("Reused, TLSv1." + version.charAt(version.length() - 1)), second);
            assertTrue(second.contains("HTTP/1.1 200"), second);
        }
    }

    @Test
    void refusesARenegotiationTheClientAsksFor() throws Exception {
        start("      cert: " + example[0] + "\n      key: " + example[1] + "\n");
        // s_client renegotiates on a line "R" of its own (commands are read until stdin ends, so it
        // stays open); had the server agreed, the request typed after it would be answered.
        Process p = new ProcessBuilder("openssl", "s_client", "-connect", "127.0.0.1:" + port(), "-CAfile", certs.caCert.toString(),
                "-servername", "example.test", "-tls1_2").redirectErrorStream(true).start();
        java.util.concurrent.CompletableFuture.delayedExecutor(30, TimeUnit.SECONDS).execute(p::destroyForcibly); // a bound
        StringBuilder out = new StringBuilder();
        var stdin = p.getOutputStream();
        stdin.write("R\n".getBytes(StandardCharsets.US_ASCII));
        stdin.flush();
        try (var lines = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = lines.readLine()) != null; ) {
                out.append(line).append('\n');
                if (line.contains("RENEGOTIATING")) {
                    try {
                        stdin.write("GET / HTTP/1.0\r\nHost: example.test\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                        stdin.flush();
                    } catch (IOException closedAlready) {
                        // s_client ended: the server closed the connection
                    }
                }
            }
        }
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "s_client did not end");
        try {
            stdin.close(); // flushes what a refused write left buffered: the pipe may be gone
        } catch (IOException pipeGone) {
            // s_client ended when the server closed the connection
        }
        assertTrue(out.toString().contains("RENEGOTIATING"), out.toString());
        assertFalse(out.toString().contains("HTTP/1.1 200"), out.toString());
        assertEquals(0, upstream.requestsReceived());
    }

    @Test
    void carriesLargeBodiesBothWays() throws Exception {
        start("      cert: " + example[0] + "\n      key: " + example[1] + "\n");
        byte[] big = new byte[3_000_000]; // some 180 TLS records
        new java.util.Random(7).nextBytes(big);
        upstream.handler(r -> io.kodiak.testing.Action.respond(200, io.kodiak.testing.HeaderFields.of(), big));
        Path got = dir.resolve("got.bin");
        Path sent = dir.resolve("sent.bin");
        Files.write(sent, big);
        for (String version : new String[] {"--tlsv1.2", "--tlsv1.3"}) {
            Tools.Result r = curl("example.test", "/big", version, "--data-binary", "@" + sent, "-o", got.toString());
            assertTrue(r.output().endsWith("\n200 0"), r.output());
            assertTrue(java.util.Arrays.equals(big, Files.readAllBytes(got)), "the body arrived whole over " + version);
            assertEquals(big.length, upstream.takeRequest(Duration.ofSeconds(10)).body().length());
        }
    }

    private static String serial(String sClientOutput) {
        int i = sClientOutput.indexOf("-----BEGIN CERTIFICATE-----");
        assertTrue(i >= 0, sClientOutput);
        return sClientOutput.substring(i, sClientOutput.indexOf("-----END CERTIFICATE-----", i));
    }

    @Test
    void routesCanMatchTheServerNameTheClientAskedFor() throws Exception {
        upstream = ScriptedUpstream.start("u1");
        try (ScriptedUpstream second = ScriptedUpstream.start("u2")) {
            Path file = dir.resolve("kodiak.yaml");
            Files.writeString(file, "admin: {listen: off}\nmetrics: off\nlisteners:\n  - name: web\n    address: 127.0.0.1:0\n"
                    + "    tls:\n      certificates: [" + pair(example) + ", " + pair(other) + "]\n"
                    + "    routes:\n      - {sni: other.test, pool: b}\n      - {pool: a}\n"
                    + "pools:\n  a:\n    upstreams: [" + upstream.hostPort() + "]\n    health-check: {type: none}\n"
                    + "  b:\n    upstreams: [" + second.hostPort() + "]\n    health-check: {type: none}\n");
            kodiak = Kodiak.start(ConfigLoader.load(file));
            assertTrue(curl("other.test", "/x").output().startsWith("u2 GET /x"), "SNI other.test goes to pool b");
            assertTrue(curl("example.test", "/y").output().startsWith("u1 GET /y"));
            // The Host does not decide: SNI example.test with Host www.example.test (same certificate) stays in a.
            assertTrue(curl("example.test", "/z", "-H", "Host: www.example.test").output().startsWith("u1 GET /z"));
        }
        Path plain = dir.resolve("plain.yaml");
        Files.writeString(plain, "listeners:\n  - name: web\n    address: 127.0.0.1:0\n    routes: [{sni: a.test, pool: a}]\n"
                + "pools:\n  a:\n    upstreams: [127.0.0.1:9]\n");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(plain));
        assertEquals(plain + ":4: listeners[0].routes[0].sni: matches the server name a TLS client asks for: this listener has no tls",
                e.getMessage());
    }

    @Test
    void servesAPkcs12FileAndNamesItsProblems() throws Exception {
        Path p12 = dir.resolve("example.p12");
        Path password = dir.resolve("p12.pass");
        Files.writeString(password, "s3cret\n"); // as `echo s3cret > p12.pass` writes it
        TestCerts.openssl("pkcs12", "-export", "-in", certs.fullchain(example[0]).toString(), "-inkey", example[1].toString(),
                "-name", "example", "-out", p12.toString(), "-passout", "pass:s3cret");
        start("      pkcs12: " + p12 + "\n      password-file: " + password + "\n");
        assertTrue(curl("example.test", "/p12").output().endsWith("\n200 0"));

        Files.writeString(password, "wrong\n");
        Path file = dir.resolve("kodiak.yaml");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(file));
        assertTrue(e.getMessage().startsWith(file + ":"), e.getMessage());
        assertTrue(e.getMessage().endsWith(": listeners[0].tls.pkcs12: " + p12 + ": wrong password (or none given: tls.password-file)"),
                e.getMessage());
        Path both = write("      pkcs12: " + p12 + "\n      cert: " + example[0] + "\n");
        e = assertThrows(ConfigException.class, () -> ConfigLoader.load(both));
        assertTrue(e.getMessage().endsWith("listeners[0].tls.pkcs12: give either pkcs12 or cert and key, not both"), e.getMessage());
        Path pem = write("      pkcs12: " + example[0] + "\n");
        e = assertThrows(ConfigException.class, () -> ConfigLoader.load(pem));
        assertTrue(e.getMessage().contains("listeners[0].tls.pkcs12: " + example[0] + ": not a PKCS#12 file, or damaged"),
                e.getMessage());
    }

    @Test
    void theAdminApiListsEachListenersCertificatesFromFilesAndFromAcme() throws Exception {
        upstream = ScriptedUpstream.start("u1");
        Path file = dir.resolve("kodiak.yaml");
        Files.writeString(file, "admin: {listen: 127.0.0.1:0, state-file: off}\nmetrics: off\n"
                + "acme: {directory: 'https://127.0.0.1:9/dir', storage: " + dir.resolve("acme") + "}\n"
                + "listeners:\n  - {name: plain, address: 127.0.0.1:0}\n  - name: web\n    address: 127.0.0.1:0\n"
                + "    tls:\n      cert: " + example[0] + "\n      key: " + example[1] + "\n      domains: [acme.example.test]\n"
                + "pools:\n  app:\n    upstreams: [" + upstream.hostPort() + "]\n    health-check: {type: none}\n");
        kodiak = Kodiak.start(ConfigLoader.load(file));
        java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://127.0.0.1:" + kodiak.adminAddress().getPort() + "/v1/certificates")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        java.util.Map<?, ?> body = (java.util.Map<?, ?>) io.kodiak.admin.Json.parse(r.body());
        List<?> listeners = (List<?>) body.get("listeners");
        assertEquals(1, listeners.size(), r.body()); // the plain listener has none
        java.util.Map<?, ?> web = (java.util.Map<?, ?>) listeners.get(0);
        assertEquals("web", web.get("listener"));
        java.util.Map<?, ?> f = (java.util.Map<?, ?>) ((List<?>) web.get("files")).get(0);
        assertEquals(List.of("example.test", "www.example.test"), f.get("names"));
        assertEquals("EC", f.get("key_type"));
        assertEquals(example[0].toString(), f.get("file"));
        java.util.Map<?, ?> d = (java.util.Map<?, ?>) ((List<?>) web.get("domains")).get(0);
        assertEquals("acme.example.test", d.get("domain"));
        assertEquals(null, d.get("not_after")); // the CA is not there: no certificate yet
        assertEquals("https://127.0.0.1:9/dir", body.get("acme_directory"));
    }
}
