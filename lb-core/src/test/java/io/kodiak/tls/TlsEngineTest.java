package io.kodiak.tls;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Where BoringSSL cannot load, {@code auto} falls back to the JDK's TLS with one line that says
 * why, and {@code openssl} stops {@code kodiak check} with the line at fault. A JVM of its own runs
 * {@code kodiak check}, with netty told not to load its native library (as on a platform it lacks).
 */
@Timeout(120)
class TlsEngineTest {
    @TempDir
    Path dir;

    @Test
    void theWordsAndWhatTheyResolveToHere() {
        assertEquals(TlsEngine.OPENSSL, TlsEngine.parse("OpenSSL"));
        assertEquals(TlsEngine.OPENSSL, TlsEngine.parse("boringssl"));
        assertNull(TlsEngine.parse("fast"));
        assertNull(TlsEngine.unavailable(), "BoringSSL loads on the machines the tests run on"); // linux x86-64 or aarch64
        assertEquals(TlsEngine.OPENSSL, TlsEngine.AUTO.resolve());
        assertEquals(TlsEngine.JDK, TlsEngine.JDK.resolve());
    }

    @Test
    void withoutBoringSslAutoFallsBackAndOpensslIsRefusedWithItsLine() throws Exception {
        Path[] leaf = new TestCerts(dir).leaf("ec", "example.test");
        String config = "listeners:\n  - address: 127.0.0.1:0\n    tls:\n      cert: " + leaf[0] + "\n      key: " + leaf[1]
                + "\n      engine: ENGINE\npools:\n  app:\n    upstreams: [127.0.0.1:9]\n    health-check: {type: none}\n";
        Path auto = dir.resolve("auto.yaml");
        Files.writeString(auto, config.replace("ENGINE", "auto"));
        Path openssl = dir.resolve("openssl.yaml");
        Files.writeString(openssl, config.replace("ENGINE", "openssl"));

        Run a = check(auto);
        assertEquals(0, a.exitCode, a.output);
        assertTrue(a.output.contains("TLS listeners use the JDK's TLS engine, slower than BoringSSL: OpenSSL was explicit"),
                a.output);
        Run o = check(openssl);
        assertEquals(2, o.exitCode, o.output);
        assertTrue(o.output.contains(openssl + ":6: listeners[0].tls.engine: openssl: BoringSSL cannot load here ("), o.output);
    }

    private record Run(int exitCode, String output) {
    }

    private static Run check(Path config) throws Exception {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dio.netty.handler.ssl.noOpenSsl=true", "-cp", System.getProperty("java.class.path"),
                "io.kodiak.Main", "check", "-c", config.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "kodiak check ended");
        return new Run(p.exitValue(), out);
    }
}
