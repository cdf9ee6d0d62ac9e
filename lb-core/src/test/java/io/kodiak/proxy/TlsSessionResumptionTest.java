package io.kodiak.proxy;

import io.kodiak.config.TlsConfig;
import io.kodiak.testing.ScriptedUpstream;
import io.kodiak.tls.TestCerts;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Session resumption with {@code openssl s_client} as the client: a TLS 1.3 ticket, and a TLS 1.2
 * session ID from the cache. Each client sends an HTTP/1.0 request and reads to the end, so it is
 * still there when the TLS 1.3 ticket comes (after its Finished): s_client leaving at once would
 * often miss it, which is why testssl's own check of this is racy ({@link TestsslScanTest}).
 */
@Timeout(60)
class TlsSessionResumptionTest {
    @TempDir
    Path dir;

    @Test
    void aTls13TicketResumes() throws Exception {
        assertResumes("TLSv1.3", "-tls1_3");
    }

    @Test
    void aTls12SessionIdResumesFromTheCache() throws Exception {
        assertResumes("TLSv1.2", "-tls1_2", "-no_ticket");
    }

    private void assertResumes(String protocol, String... options) throws Exception {
        TestCerts certs = new TestCerts(dir);
        Path[] example = certs.leaf("ec", "example.test");
        TlsConfig tls = TlsConfig.load(List.of(new TlsConfig.CertFiles(example[0], example[1])), Instant.now());
        try (ScriptedUpstream up = ScriptedUpstream.start("a");
             FakeClockProxy proxy = FakeClockProxy.start(ProxyConfig.to(up).listenerTls(tls))) {
            Path session = dir.resolve("session.pem");
            String first = get(proxy.port(), certs.caCert, options, "-sess_out", session.toString());
            assertTrue(first.contains("New, " + protocol), first);
            assertTrue(first.contains("HTTP/1.1 200"), first);
            String second = get(proxy.port(), certs.caCert, options, "-sess_in", session.toString());
            assertTrue(second.contains("Reused, " + protocol), second);
            assertTrue(second.contains("HTTP/1.1 200"), second);
        }
    }

    /** s_client with {@code options}, sending one HTTP/1.0 request and reading until Kodiak closes. */
    private static String get(int port, Path ca, String[] options, String... more) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("openssl", "s_client", "-connect", "127.0.0.1:" + port,
                "-servername", "example.test", "-CAfile", ca.toString(), "-ign_eof"));
        cmd.addAll(List.of(options));
        cmd.addAll(List.of(more));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try (OutputStream in = p.getOutputStream()) {
            in.write("GET / HTTP/1.0\r\nHost: example.test\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "s_client did not end");
        return out;
    }
}
