package io.kodiak.proxy;

import io.kodiak.Kodiak;
import io.kodiak.config.ConfigException;
import io.kodiak.config.ConfigLoader;
import io.kodiak.testing.HttpsUpstream;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.RawResponse;
import io.kodiak.tls.TestCerts;
import io.kodiak.upstream.Upstream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * TLS to upstreams over real sockets, against a real TLS peer (Python's {@code ssl}) with a
 * certificate from a test CA for {@code upstream.test} and {@code 127.0.0.1}: verification of the
 * chain and the name (and its failure, with the reason in the log and a 502), SNI, {@code verify:
 * false}, a client certificate, pooled reuse, health checks over TLS, a reload that changes the
 * settings, and bad files at load.
 */
@Timeout(120)
class UpstreamTlsTest {
    @TempDir
    static Path certDir;
    static TestCerts certs;
    static Path[] server;
    static Path[] client;

    @TempDir
    Path dir;
    private HttpsUpstream upstream;
    private Kodiak kodiak;
    private final List<String> log = Collections.synchronizedList(new ArrayList<>());
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord r) {
            log.add(r.getLevel() + " " + r.getMessage());
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    @BeforeAll
    static void makeCertificates() throws IOException {
        io.kodiak.testing.Tools.require("openssl", "version", "openssl");
        certs = new TestCerts(certDir);
        server = certs.leaf("ec", "upstream.test", "127.0.0.1");
        client = certs.leaf("ec", "kodiak-client");
    }

    @AfterEach
    void stop() {
        Logger.getLogger(UpstreamLeg.class.getName()).removeHandler(capture);
        if (kodiak != null) {
            kodiak.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    private Path write(String tls, String healthCheck) throws IOException {
        Path file = dir.resolve("kodiak.yaml");
        Files.writeString(file, "admin: {listen: off}\nmetrics: off\nlisteners:\n  - name: web\n    address: 127.0.0.1:0\n"
                + "pools:\n  app:\n    upstreams: [" + upstream.hostPort() + "]\n"
                + "    retries: {attempts: 0}\n"
                + "    health-check: " + healthCheck + "\n"
                + "    tls: " + tls + "\n");
        return file;
    }

    private void start(String tls) throws Exception {
        start(tls, "{type: none}", null);
    }

    private void start(String tls, String healthCheck, Path clientCa) throws Exception {
        upstream = HttpsUpstream.start(server[0], server[1], clientCa, dir.resolve("upstream.log"));
        kodiak = Kodiak.start(ConfigLoader.load(write(tls, healthCheck)));
        Logger.getLogger(UpstreamLeg.class.getName()).addHandler(capture);
    }

    private RawResponse get(String path) throws IOException {
        try (RawClient c = RawClient.connect(kodiak.boundAddress("web").getPort())) {
            return c.get(path);
        }
    }

    @Test
    void verifiesTheUpstreamByItsAddressAndSendsNoSniForAnIp() throws Exception {
        start("{ca: " + certs.caCert + "}");
        RawResponse r = get("/hello");
        assertEquals(200, r.status(), r.toString());
        assertEquals("/hello", r.bodyString());
        assertEquals("-", r.header("X-SNI"), "RFC 6066: no SNI for an address; the IP SAN was verified");
        assertTrue(r.header("X-Protocol").startsWith("TLSv1."), r.toString());
    }

    @Test
    void sendsAndVerifiesTheServerName() throws Exception {
        start("{ca: " + certs.caCert + ", server-name: upstream.test}");
        RawResponse r = get("/");
        assertEquals(200, r.status(), r.toString());
        assertEquals("upstream.test", r.header("X-SNI"));
    }

    @Test
    void aWrongServerNameFailsVerificationWith502AndSaysWhy() throws Exception {
        upstream = HttpsUpstream.start(server[0], server[1], null, dir.resolve("upstream.log"));
        Path file = write("{ca: " + certs.caCert + ", server-name: wrong.test}", "{type: none}");
        Files.writeString(file, Files.readString(file).replace("metrics: off", "metrics: {listen: 127.0.0.1:0}"));
        kodiak = Kodiak.start(ConfigLoader.load(file));
        Logger.getLogger(UpstreamLeg.class.getName()).addHandler(capture);
        RawResponse r = get("/");
        assertEquals(502, r.status(), r.toString());
        assertTrue(log.stream().anyMatch(l -> l.startsWith("WARNING app/") && l.contains(
                "upstream certificate does not match server-name wrong.test (it is for upstream.test, 127.0.0.1)")), log.toString());
        String u = kodiak.pool("app").upstreams().get(0).name();
        assertEquals(1.0, MetricsTest.scrape(kodiak).get(MetricsTest.metric("kodiak_upstream_errors_total", "pool", "app",
                "upstream", u, "cause", "tls_handshake")), "counted as a TLS failure");
    }

    @Test
    void aCertificateFromAnotherCaIsNotTrusted() throws Exception {
        start("true"); // the JDK's trust store, which does not hold the test CA
        assertEquals(502, get("/").status());
        assertTrue(log.stream().anyMatch(l -> l.contains("upstream certificate is not trusted")), log.toString());
    }

    @Test
    void verifyFalseAcceptsAnyCertificate() throws Exception {
        start("{verify: false, server-name: wrong.test}");
        RawResponse r = get("/");
        assertEquals(200, r.status(), r.toString());
        assertEquals("wrong.test", r.header("X-SNI"), "the name is still sent");
    }

    @Test
    void presentsTheClientCertificateToAnUpstreamThatRequiresOne() throws Exception {
        start("{ca: " + certs.caCert + ", client-cert: " + client[0] + ", client-key: " + client[1] + "}", "{type: none}",
                certs.caCert);
        RawResponse r = get("/");
        assertEquals(200, r.status(), r.toString());
        assertEquals("kodiak-client", r.header("X-Client-CN"));

        Files.writeString(dir.resolve("kodiak.yaml"), Files.readString(dir.resolve("kodiak.yaml"))
                .replace(", client-cert: " + client[0] + ", client-key: " + client[1], ""));
        kodiak.reload();
        assertEquals(502, get("/").status(), "without one, the upstream refuses the handshake");
    }

    @Test
    void sequentialRequestsReuseOneUpstreamTlsConnection() throws Exception {
        start("{ca: " + certs.caCert + "}");
        List<String> ports = new ArrayList<>();
        try (RawClient c = RawClient.connect(kodiak.boundAddress("web").getPort())) {
            for (int i = 0; i < 4; i++) {
                RawResponse r = c.get("/" + i);
                assertEquals(200, r.status(), r.toString());
                ports.add(r.header("X-Peer-Port"));
            }
        }
        assertEquals(1, ports.stream().distinct().count(), "one upstream connection: " + ports);
        Upstream u = kodiak.pool("app").upstreams().get(0);
        assertEquals(1, kodiak.idleConnections(u));
    }

    @Test
    void aNewConnectionResumesTheTlsSession() throws Exception {
        upstream = HttpsUpstream.start(server[0], server[1], null, dir.resolve("upstream.log"));
        Path file = write("{ca: " + certs.caCert + "}", "{type: none}");
        Files.writeString(file, Files.readString(file) + "    connections: {max-idle: 0}\n"); // a new connection each time
        kodiak = Kodiak.start(ConfigLoader.load(file));
        RawResponse first = get("/");
        assertEquals("no", first.header("X-Resumed"), first.toString());
        RawResponse second = get("/");
        assertNotEquals(first.header("X-Peer-Port"), second.header("X-Peer-Port"), "not pooled");
        assertEquals("yes", second.header("X-Resumed"), "the JDK's client session cache: " + second);
    }

    @Test
    void aReloadThatChangesTheTlsSettingsDoesNotReuseOldConnections() throws Exception {
        start("{ca: " + certs.caCert + "}");
        RawResponse before = get("/");
        assertEquals("-", before.header("X-SNI"));
        Files.writeString(dir.resolve("kodiak.yaml"), Files.readString(dir.resolve("kodiak.yaml"))
                .replace("{ca: " + certs.caCert + "}", "{ca: " + certs.caCert + ", server-name: upstream.test}"));
        Kodiak.Reload reload = kodiak.reload();
        assertTrue(reload.changes().stream().anyMatch(c -> c.startsWith("pool app: TLS to the upstreams: ")), reload.toString());
        RawResponse after = get("/");
        assertEquals("upstream.test", after.header("X-SNI"), "a new connection with the new settings");
        assertNotEquals(before.header("X-Peer-Port"), after.header("X-Peer-Port"));

        Kodiak.Reload same = kodiak.reload();
        assertTrue(same.changes().stream().noneMatch(c -> c.contains("TLS")), same.toString());
        assertEquals(after.header("X-Peer-Port"), get("/").header("X-Peer-Port"), "unchanged settings keep the pooled connection");
    }

    @Test
    void httpChecksOverTlsMarkTheUpstreamUpOrDownByItsCertificate() throws Exception {
        String check = "{type: http, path: /health, interval: 100ms, timeout: 2s, rise: 1, fall: 1}";
        start("{ca: " + certs.caCert + ", server-name: upstream.test}", check, null);
        Upstream u = kodiak.pool("app").upstreams().get(0);
        Conditions.await("checked and up", () -> u.lastCheck() != null && u.lastCheck().passed() && u.healthy(),
                Duration.ofSeconds(20));

        Files.writeString(dir.resolve("kodiak.yaml"), Files.readString(dir.resolve("kodiak.yaml"))
                .replace("server-name: upstream.test", "server-name: wrong.test"));
        kodiak.reload();
        Upstream after = kodiak.pool("app").upstreams().get(0);
        // The transition and the check's record are two steps: wait for both.
        Conditions.await("down", () -> !after.healthy() && !after.lastCheck().passed(), Duration.ofSeconds(20));
        assertTrue(after.lastCheck().detail().contains("does not match server-name wrong.test"), after.lastCheck().detail());
        assertEquals(503, get("/").status(), "no upstream is up");
    }

    @Test
    void tcpChecksOfATlsPoolCompleteAHandshake() throws Exception {
        String check = "{type: tcp, interval: 100ms, timeout: 2s, rise: 1, fall: 1}";
        start("{ca: " + certs.caCert + "}", check, null);
        Upstream u = kodiak.pool("app").upstreams().get(0);
        Conditions.await("checked and up", () -> u.lastCheck() != null && u.lastCheck().passed() && u.healthy(),
                Duration.ofSeconds(20));
        assertTrue(u.lastCheck().detail().contains(" over TLSv1."), u.lastCheck().detail());

        Files.writeString(dir.resolve("kodiak.yaml"), Files.readString(dir.resolve("kodiak.yaml"))
                .replace("{ca: " + certs.caCert + "}", "{ca: " + certs.caCert + ", server-name: wrong.test}"));
        kodiak.reload();
        Conditions.await("down", () -> !u.healthy() && !u.lastCheck().passed(), Duration.ofSeconds(20));
        assertTrue(u.lastCheck().detail().contains("does not match server-name wrong.test"), u.lastCheck().detail());
    }

    @Test
    void badFilesAreRefusedWithTheLineAtStartAndAtReload() throws Exception {
        upstream = HttpsUpstream.start(server[0], server[1], null, dir.resolve("upstream.log"));
        Path notPem = dir.resolve("ca.txt");
        Files.writeString(notPem, "not a certificate\n");
        Path file = write("{ca: " + notPem + "}", "{type: none}");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(file));
        assertEquals(file + ":11: pools.app.tls.ca: " + notPem + ": not a PEM file (no -----BEGIN ...----- block)",
                e.getMessage());

        Path keyOnly = write("{client-cert: " + client[0] + "}", "{type: none}");
        e = assertThrows(ConfigException.class, () -> ConfigLoader.load(keyOnly));
        assertTrue(e.getMessage().startsWith(keyOnly + ":11: pools.app.tls.client-cert: client-cert and client-key go together"),
                e.getMessage());

        Path mismatched = write("{client-cert: " + client[0] + ", client-key: " + server[1] + "}", "{type: none}");
        e = assertThrows(ConfigException.class, () -> ConfigLoader.load(mismatched));
        assertTrue(e.getMessage().startsWith(mismatched + ":11: pools.app.tls.client-key: " + server[1]
                + ": this key does not belong to the certificate in " + client[0]), e.getMessage());

        Path badName = write("{server-name: 'api_1.internal'}", "{type: none}");
        e = assertThrows(ConfigException.class, () -> ConfigLoader.load(badName));
        assertEquals(badName + ":11: pools.app.tls.server-name: \"api_1.internal\" cannot be sent as a server name (SNI takes letters, digits, '-' and '.')", e.getMessage());

        kodiak = Kodiak.start(ConfigLoader.load(write("{ca: " + certs.caCert + "}", "{type: none}")));
        assertEquals(200, get("/").status());
        write("{ca: " + notPem + "}", "{type: none}");
        e = assertThrows(ConfigException.class, () -> kodiak.reload());
        assertTrue(e.getMessage().contains("pools.app.tls.ca: " + notPem), e.getMessage());
        assertEquals(200, get("/").status(), "the old configuration stays");
    }
}
