package io.kodiak.proxy;

import io.kodiak.Kodiak;
import io.kodiak.config.ConfigLoader;
import io.kodiak.testing.ScriptedUpstream;
import io.kodiak.testing.Tools;
import io.kodiak.tls.TestCerts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * OCSP stapling on the BoringSSL engine, with openssl's own OCSP responder as the CA's: the answer
 * is fetched in the background and sent to a client that asks ({@code s_client -status}); a
 * responder that is down means no staple and a handshake as usual.
 */
class OcspStaplingTest {
    @TempDir
    Path dir;
    private Process responder;
    private ScriptedUpstream upstream;
    private Kodiak kodiak;

    @AfterEach
    void stop() {
        if (kodiak != null) {
            kodiak.close();
        }
        if (upstream != null) {
            upstream.close();
        }
        if (responder != null) {
            responder.destroy();
        }
    }

    private String status(int port) throws Exception {
        Process p = new ProcessBuilder("openssl", "s_client", "-connect", "127.0.0.1:" + port, "-servername", "example.test", "-status")
                .redirectErrorStream(true).redirectInput(new File("/dev/null")).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        return out;
    }

    @Test
    void staplesTheResponderAnswerAndHandshakesWithoutOneWhenTheResponderIsDown() throws Exception {
        Tools.require("openssl", "version", "openssl");
        Assumptions.assumeTrue(io.kodiak.tls.TlsEngine.AUTO.resolve() == io.kodiak.tls.TlsEngine.OPENSSL,
                "OCSP stapling is BoringSSL's; the JDK engine does not staple");
        TestCerts certs = new TestCerts(dir);
        int ocspPort = ScriptedUpstream.unusedPort();
        Path[] leaf = certs.leafWith("ec", "authorityInfoAccess=OCSP;URI:http://127.0.0.1:" + ocspPort + "/\n", "example.test");
        Path[] orphan = certs.leafWith("ec", "authorityInfoAccess=OCSP;URI:http://127.0.0.1:" + ScriptedUpstream.unusedPort() + "/\n",
                "other.test");
        String serial = Tools.run(dir, java.util.Map.of(), "openssl", "x509", "-in", leaf[0].toString(), "-noout", "-serial")
                .output().trim().replace("serial=", "");
        Path index = dir.resolve("index.txt");
        Files.writeString(index, "V\t351231235959Z\t\t" + serial + "\tunknown\t/CN=example.test\n");
        responder = new ProcessBuilder("openssl", "ocsp", "-index", index.toString(), "-port", Integer.toString(ocspPort),
                "-rsigner", certs.caCert.toString(), "-rkey", certs.caKey().toString(), "-CA", certs.caCert.toString(), "-ignore_err")
                .redirectErrorStream(true).redirectOutput(dir.resolve("ocsp.log").toFile()).start();

        upstream = ScriptedUpstream.start("u1");
        Path file = dir.resolve("kodiak.yaml");
        Files.writeString(file, "admin: {listen: off}\nmetrics: off\nlisteners:\n  - name: web\n    address: 127.0.0.1:0\n"
                + "    tls:\n      certificates:\n        - {cert: " + certs.fullchain(leaf[0]) + ", key: " + leaf[1] + "}\n"
                + "        - {cert: " + certs.fullchain(orphan[0]) + ", key: " + orphan[1] + "}\n"
                + "pools:\n  app:\n    upstreams: [" + upstream.hostPort() + "]\n    health-check: {type: none}\n");
        kodiak = Kodiak.start(ConfigLoader.load(file));
        int port = kodiak.boundAddress("web").getPort();
        String out = "";
        for (int i = 0; i < 60 && !out.contains("Cert Status: good"); i++) { // fetched in the background, at start
            out = status(port);
            if (!out.contains("Cert Status: good")) {
                Thread.sleep(250);
            }
        }
        assertTrue(out.contains("OCSP Response Status: successful") && out.contains("Cert Status: good"),
                out + "\nresponder: " + Files.readString(dir.resolve("ocsp.log")));
        // The other certificate's responder is down: no answer to staple, and the handshake goes on.
        Process p = new ProcessBuilder("openssl", "s_client", "-connect", "127.0.0.1:" + port, "-servername", "other.test", "-status")
                .redirectErrorStream(true).redirectInput(new File("/dev/null")).start();
        String other = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertTrue(other.contains("OCSP response: no response sent") && other.contains("CN = other.test"), other);

        // ocsp-stapling: false, as nginx's default: the responder is up, and nothing is stapled.
        kodiak.close();
        Files.writeString(file, Files.readString(file).replace("    tls:\n", "    tls:\n      ocsp-stapling: false\n"));
        kodiak = Kodiak.start(ConfigLoader.load(file));
        Thread.sleep(1000); // what a fetch at start would take (it took well under that above): none is made
        String off = status(kodiak.boundAddress("web").getPort());
        assertTrue(off.contains("OCSP response: no response sent") && off.contains("CN = example.test"), off);
    }
}
