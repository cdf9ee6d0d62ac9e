package io.kodiak.proxy;

import io.kodiak.Kodiak;
import io.kodiak.admin.Json;
import io.kodiak.config.ConfigLoader;
import io.kodiak.testing.ScriptedUpstream;
import io.kodiak.testing.Tools;
import io.kodiak.tls.TestCerts;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * testssl.sh, the scanner operators run against their HTTPS sites, against a TLS listener with an
 * ECDSA and an RSA certificate: its JSON findings are parsed and must show no vulnerability it
 * rates MEDIUM, HIGH or CRITICAL (testssl's "not ok"; LOW is a hint, INFO and OK are fine), only
 * TLS 1.2 and 1.3 offered, and forward secrecy for every cipher offered. {@code --fast} and the
 * checks named ({@code -p -s -f -E -U -S}) keep it under a minute on two cores.
 *
 * <p>Left out: the certificate findings ({@code cert_*}, {@code DNS_CAArecord},
 * {@code OCSP_stapling}). They judge the test CA's 30-day certificates (not publicly trusted, a
 * short serial, expiring "soon", no OCSP or CRL address), not Kodiak; the test only checks that
 * both certificates were served.
 */
@Timeout(300)
class TestsslScanTest {
    /** Severities testssl prints as not ok. */
    private static final Set<String> NOT_OK = Set.of("MEDIUM", "HIGH", "CRITICAL");
    /**
     * WARN means testssl could not run a check. Expected: Debian's OpenSSL 3 has no RC4, so
     * testssl cannot probe for it (the per-cipher list, -E, done with its own sockets, shows none).
     */
    private static final Set<String> EXPECTED_WARNINGS = Set.of("RC4");
    /**
     * Sometimes: the session resumption checks run {@code openssl s_client -sess_out} with an
     * empty stdin, and s_client leaves right after its Finished, often before the TLS 1.3
     * NewSessionTicket (sent once the server has that Finished) arrives; with no session saved,
     * the second connection "fails". {@code openssl s_server} loses that race a third of the
     * time on the CI machine, Kodiak more often. {@link TlsSessionResumptionTest} proves
     * resumption with a client that waits.
     */
    private static final Set<String> RACY = Set.of("sessionresumption_ticket", "sessionresumption_ID");

    @TempDir
    Path dir;

    @Test
    void findsNoVulnerabilityOnlyTls12And13AndForwardSecrecyForEveryCipher() throws Exception {
        Tools.require("testssl", "--version", "testssl.sh");
        TestCerts certs = new TestCerts(dir);
        Path[] ec = certs.leaf("ec", "example.test");
        Path[] rsa = certs.leaf("rsa", "example.test");
        try (ScriptedUpstream upstream = ScriptedUpstream.start("u1")) {
            Path file = dir.resolve("kodiak.yaml");
            Files.writeString(file, "admin: {listen: off}\nmetrics: off\nlisteners:\n  - name: web\n    address: 127.0.0.1:0\n"
                    + "    tls:\n      certificates:\n"
                    + "        - {cert: " + certs.fullchain(ec[0]) + ", key: " + ec[1] + "}\n"
                    + "        - {cert: " + certs.fullchain(rsa[0]) + ", key: " + rsa[1] + "}\n"
                    + "pools:\n  app:\n    upstreams: [" + upstream.hostPort() + "]\n    health-check: {type: none}\n");
            Kodiak kodiak = Kodiak.start(ConfigLoader.load(file));
            List<Map<String, Object>> findings;
            try {
                findings = scan(kodiak.boundAddress("web").getPort());
            } finally {
                kodiak.close();
            }
            try {
                assertFindings(findings);
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + "\ntestssl said:\n" + Files.readString(dir.resolve("testssl.txt")), e);
            }
        }
    }

    private List<Map<String, Object>> scan(int port) throws Exception {
        Path json = dir.resolve("testssl.json");
        Path log = dir.resolve("testssl.txt");
        List<String> cmd = List.of("testssl", "--quiet", "--warnings", "off", "--color", "0", "--ip", "one", "--fast",
                "--jsonfile", json.toString(), "-p", "-s", "-f", "-E", "-U", "-S", "127.0.0.1:" + port);
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile())
                .redirectInput(new File("/dev/null"));
        // No GOST engine probe: whether the scanning machine's openssl can load a GOST engine says
        // nothing about Kodiak, and testssl reports a missing one as a WARN finding (engine_problem)
        // on some Debian machines and not others.
        pb.environment().put("NO_ENGINE", "true");
        Process p = pb.start();
        if (!p.waitFor(240, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("testssl did not finish in 240 s:\n" + Files.readString(log));
        }
        assertTrue(Files.exists(json), "testssl wrote no JSON (exit " + p.exitValue() + "):\n" + Files.readString(log));
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> findings = (List<Map<String, Object>>) Json.parse(Files.readString(json, StandardCharsets.UTF_8));
        return findings;
    }

    private static void assertFindings(List<Map<String, Object>> findings) {
        List<String> problems = new ArrayList<>();
        Map<String, String> byId = new java.util.HashMap<>();
        Set<String> certificates = new HashSet<>();
        for (Map<String, Object> f : findings) {
            String id = (String) f.get("id");
            String severity = (String) f.get("severity");
            String finding = String.valueOf(f.get("finding"));
            byId.put(id, finding);
            if (id.startsWith("cert_") || id.startsWith("DNS_CAArecord") || id.startsWith("OCSP_stapling")) {
                if (id.startsWith("cert_keySize")) {
                    certificates.add(finding.split(" ")[0]); // "EC 256 bits", "RSA 2048 bits"
                }
                continue;
            }
            boolean racy = RACY.contains(id) && finding.equals("check failed because of connect problem");
            if (NOT_OK.contains(severity) || severity.equals("WARN") && !EXPECTED_WARNINGS.contains(id) && !racy
                    || id.equals("scanProblem")) {
                problems.add(id + " " + severity + ": " + finding);
            }
        }
        assertTrue(problems.isEmpty(), "testssl found: " + problems);
        assertEquals(Set.of("EC", "RSA"), certificates, "both certificates served, by what the client offers");

        for (String old : List.of("SSLv2", "SSLv3", "TLS1", "TLS1_1")) {
            assertEquals("not offered", byId.get(old), old);
        }
        assertEquals("offered", byId.get("TLS1_2"));
        assertTrue(byId.get("TLS1_3").startsWith("offered"), byId.get("TLS1_3")); // "offered with final"
        for (String v : List.of("heartbleed", "CCS", "ticketbleed", "ROBOT", "secure_client_renego", "CRIME_TLS", "POODLE_SSL",
                "SWEET32", "FREAK", "DROWN", "LOGJAM", "BEAST", "LUCKY13")) {
            assertTrue(byId.containsKey(v), v + " not checked");
            // BoringSSL never renegotiates (refusesARenegotiationTheClientAsksFor: nothing is served
            // after the attempt), and testssl's probe ends in its timeout rather than at an alert:
            // "likely not vulnerable (timed out)". The JDK's refuses with an alert: "not vulnerable".
            boolean renegoIgnored = v.equals("secure_client_renego") && byId.get(v).startsWith("likely not vulnerable");
            assertTrue(byId.get(v).startsWith("not vulnerable") || renegoIgnored, v + ": " + byId.get(v));
        }

        // Every cipher offered (-E: "TLS 1.2   xc02b   ECDHE-ECDSA-AES128-GCM-SHA256   ECDH 253   AESGCM ..."):
        // its key exchange is ephemeral (ECDH or DH, not RSA), and testssl lists it as forward secret.
        Set<String> forwardSecret = new HashSet<>(Arrays.asList(byId.getOrDefault("PFS_ciphers", "").split(" ")));
        List<String> offered = new ArrayList<>();
        for (Map<String, Object> f : findings) {
            if (((String) f.get("id")).startsWith("cipher-")) {
                String[] cols = String.valueOf(f.get("finding")).trim().split("\\s+");
                String name = cols[3];
                String kx = cols[4];
                offered.add(name);
                assertTrue(kx.equals("ECDH") || kx.equals("DH"), name + " without forward secrecy: " + f.get("finding"));
                assertTrue(forwardSecret.contains(name), name + " is not among testssl's forward-secret ciphers " + forwardSecret);
            }
        }
        assertFalse(offered.isEmpty(), "testssl listed no cipher: " + byId.keySet());
        // And only AEAD suites, as Mozilla's intermediate list (no CBC, whose OpenSSL names say only "AES128-SHA").
        assertTrue(offered.stream().allMatch(c -> c.contains("GCM") || c.contains("CHACHA20")), offered.toString());
    }
}
