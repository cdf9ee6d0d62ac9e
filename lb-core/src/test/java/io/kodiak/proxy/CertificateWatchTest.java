package io.kodiak.proxy;

import io.kodiak.config.TlsConfig;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.ScriptedUpstream;
import io.kodiak.tls.TestCerts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import javax.net.ssl.SSLSocket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Certificates renewed on disk serve the next handshake without a reload, over real sockets with
 * {@code openssl s_client} as the client: the files are laid out as certbot's {@code live/}
 * directory (symlinks into {@code archive/}, re-pointed one at a time), and the test drives the
 * polls that the watch timer would make every few seconds ({@link CertificateWatch}).
 */
@Timeout(120)
class CertificateWatchTest {
    @TempDir
    static Path certDir;
    static TestCerts certs;
    static Path[] first;
    static Path[] renewed;

    @TempDir
    Path dir;
    private Path live;
    private Path archive;
    private int version;
    private final List<LogRecord> log = new ArrayList<>();
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord r) {
            synchronized (log) {
                log.add(r);
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };
    private final Logger watchLog = Logger.getLogger(CertificateWatch.class.getName());

    @BeforeAll
    static void makeCertificates() throws IOException {
        certs = new TestCerts(certDir);
        first = certs.leaf("ec", "example.test");
        renewed = certs.leaf("ec", "example.test");
    }

    @BeforeEach
    void layOut() throws IOException {
        live = Files.createDirectories(dir.resolve("live"));
        archive = Files.createDirectories(dir.resolve("archive"));
        point("cert.pem", first[0]);
        point("privkey.pem", first[1]);
        watchLog.addHandler(capture);
    }

    @AfterEach
    void unhook() {
        watchLog.removeHandler(capture);
    }

    /** As certbot: the new file goes into archive/, then live/NAME is re-pointed to it in one rename. */
    private void point(String name, Path source) throws IOException {
        Path target = Files.copy(source, archive.resolve(name.replace(".pem", "") + (++version) + ".pem"));
        Path tmp = live.resolve(name + ".new");
        Files.createSymbolicLink(tmp, target);
        Files.move(tmp, live.resolve(name), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private FakeClockProxy start(ScriptedUpstream up) throws IOException {
        TlsConfig tls = TlsConfig.load(List.of(new TlsConfig.CertFiles(live.resolve("cert.pem"), live.resolve("privkey.pem"))),
                Instant.now());
        return FakeClockProxy.start(ProxyConfig.to(up).listenerTls(tls));
    }

    @Test
    void renewedFilesServeTheNextHandshakeWhileAnOpenConnectionGoesOn() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("a");
             FakeClockProxy proxy = start(up);
             SSLSocket kept = (SSLSocket) certs.clientContext().getSocketFactory().createSocket("127.0.0.1", proxy.port())) {
            kept.setSoTimeout(10_000);
            RawClient keptAlive = RawClient.over(kept);
            assertEquals(200, keptAlive.get("/").status());
            assertEquals(pem(first[0]), served(proxy));

            point("cert.pem", renewed[0]);
            proxy.pollCertificates(); // sees the certificate changed; waits for the key to follow
            assertEquals(pem(first[0]), served(proxy));
            point("privkey.pem", renewed[1]);
            proxy.pollCertificates(); // changed again: still waiting
            proxy.pollCertificates(); // still for a whole period: read
            assertEquals(pem(renewed[0]), served(proxy));
            assertTrue(logged(Level.INFO, "listener test: certificates reloaded"), log.toString());

            assertEquals(200, keptAlive.get("/again").status()); // the open connection keeps its session
            assertEquals(pem(first[0]), pem((X509Certificate) kept.getSession().getPeerCertificates()[0]));
        }
    }

    @Test
    void aMismatchedPairIsRefusedWithTheFileAndTheOldCertificateStays() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("a");
             FakeClockProxy proxy = start(up)) {
            point("cert.pem", renewed[0]); // and the key never follows, for now
            proxy.pollCertificates();
            proxy.pollCertificates();
            assertEquals(pem(first[0]), served(proxy));
            assertEquals(1, count(Level.WARNING), log.toString());
            String line = messages(Level.WARNING).get(0);
            assertTrue(line.contains("refused, the old certificates stay: listener test: " + live.resolve("privkey.pem")
                    + ": this key does not belong to the certificate in " + live.resolve("cert.pem")), line);

            proxy.pollCertificates(); // the same refused files are not tried (and logged) again
            assertEquals(1, count(Level.WARNING), log.toString());

            point("privkey.pem", renewed[1]); // the key follows: the next still poll retries
            proxy.pollCertificates();
            proxy.pollCertificates();
            assertEquals(pem(renewed[0]), served(proxy));
            assertEquals(1, count(Level.WARNING), log.toString());
        }
    }

    @Test
    void filesTouchedWithTheSameBytesChangeNothing() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("a");
             FakeClockProxy proxy = start(up)) {
            point("cert.pem", first[0]); // a new symlink target with the same bytes
            proxy.pollCertificates();
            proxy.pollCertificates();
            assertEquals(pem(first[0]), served(proxy));
            synchronized (log) {
                assertTrue(log.isEmpty(), log.toString());
            }
        }
    }

    @Test
    void aChangedClientCaFileIsReadAgainToo() throws Exception {
        Path caFile = Files.copy(certs.caCert, dir.resolve("clients-ca.pem"));
        io.kodiak.tls.ClientAuth auth = new io.kodiak.tls.ClientAuth(io.kodiak.tls.PemFiles.certificates(caFile), true,
                "V", "S", "I", "F", caFile);
        TlsConfig tls = TlsConfig.load(List.of(new TlsConfig.CertFiles(live.resolve("cert.pem"), live.resolve("privkey.pem"))),
                Instant.now(), auth);
        TestCerts otherCa = new TestCerts(Files.createDirectories(dir.resolve("other-ca")));
        try (ScriptedUpstream up = ScriptedUpstream.start("a");
             FakeClockProxy proxy = FakeClockProxy.start(ProxyConfig.to(up).listenerTls(tls))) {
            Files.copy(otherCa.caCert, caFile, StandardCopyOption.REPLACE_EXISTING);
            proxy.pollCertificates();
            proxy.pollCertificates();
            assertEquals(io.kodiak.tls.PemFiles.certificates(otherCa.caCert),
                    proxy.config().listeners().get(0).tls().server().clientAuth().cas());
            assertTrue(logged(Level.INFO, "listener test: certificates reloaded"), log.toString());
        }
    }

    /** The watch timer itself, in a Kodiak started from a file: within two polls of the renewal. */
    @Test
    void aRunningKodiakServesRenewedFilesWithinTwoPolls() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("a")) {
            Path file = dir.resolve("kodiak.yaml");
            Files.writeString(file, "admin: {listen: off}\nmetrics: off\nlisteners:\n  - name: web\n    address: 127.0.0.1:0\n"
                    + "    tls: {cert: live/cert.pem, key: live/privkey.pem}\n"
                    + "pools:\n  app:\n    upstreams: [" + up.hostPort() + "]\n    health-check: {type: none}\n");
            try (io.kodiak.Kodiak k = io.kodiak.Kodiak.start(io.kodiak.config.ConfigLoader.load(file))) {
                int port = k.boundAddress("web").getPort();
                assertEquals(pem(first[0]), served(port));
                point("cert.pem", renewed[0]);
                point("privkey.pem", renewed[1]);
                Conditions.await("the renewal noticed", () -> logged(Level.INFO, "listener web: certificates reloaded"),
                        CertificateWatch.PERIOD.multipliedBy(2).plusSeconds(20));
                assertEquals(pem(renewed[0]), served(port));
            }
        }
    }

    private boolean logged(Level level, String text) {
        return messages(level).stream().anyMatch(m -> m.contains(text));
    }

    private long count(Level level) {
        return messages(level).size();
    }

    private List<String> messages(Level level) {
        synchronized (log) {
            return log.stream().filter(r -> r.getLevel().equals(level)).map(LogRecord::getMessage).toList();
        }
    }

    /** The leaf certificate {@code openssl s_client} is given for example.test, as PEM. */
    private static String served(FakeClockProxy proxy) throws Exception {
        return served(proxy.port());
    }

    private static String served(int port) throws Exception {
        Process p = new ProcessBuilder("openssl", "s_client", "-connect", "127.0.0.1:" + port, "-servername", "example.test")
                .redirectErrorStream(true).redirectInput(new File("/dev/null")).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "s_client did not end");
        int begin = out.indexOf("-----BEGIN CERTIFICATE-----");
        assertTrue(begin >= 0, out);
        String end = "-----END CERTIFICATE-----";
        return out.substring(begin, out.indexOf(end, begin) + end.length());
    }

    private static String pem(Path file) throws IOException {
        String text = Files.readString(file, StandardCharsets.US_ASCII);
        return text.substring(text.indexOf("-----BEGIN"), text.indexOf("-----END CERTIFICATE-----") + 25);
    }

    private static String pem(X509Certificate c) throws Exception {
        String b64 = java.util.Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(c.getEncoded());
        return "-----BEGIN CERTIFICATE-----\n" + b64 + "\n-----END CERTIFICATE-----";
    }
}
