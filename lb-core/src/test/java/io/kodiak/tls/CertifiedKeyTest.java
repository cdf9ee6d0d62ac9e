package io.kodiak.tls;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CertifiedKeyTest {
    @TempDir
    static Path dir;
    static TestCerts certs;
    static Path[] rsa;
    static Path[] ec;

    @BeforeAll
    static void makeCertificates() throws IOException {
        certs = new TestCerts(dir);
        rsa = certs.leaf("rsa", "example.com", "www.example.com");
        ec = certs.leaf("ec", "*.example.org");
    }

    private static CertifiedKey load(Path cert, Path key) throws IOException {
        return CertifiedKey.load(cert, key, Instant.now());
    }

    private static String problem(Path cert, Path key, Instant now) {
        return assertThrows(IOException.class, () -> CertifiedKey.load(cert, key, now)).getMessage();
    }

    @Test
    void readsCertbotsFilesAnRsaAndAnEcdsaChainWithTheirKeys() throws IOException {
        CertifiedKey r = load(certs.fullchain(rsa[0]), rsa[1]);
        assertEquals("RSA", r.keyType());
        assertEquals(2, r.chain().size()); // leaf, then the CA: fullchain.pem's order
        assertEquals(List.of("example.com", "www.example.com"), r.names());
        CertifiedKey e = load(ec[0], ec[1]);
        assertEquals("EC", e.keyType());
        assertEquals(List.of("*.example.org"), e.names());
    }

    @Test
    void readsTheOlderKeyFormatsPkcs1AndSec1() throws IOException {
        Path rsaOld = certs.traditional(rsa[1], "rsa");
        Path ecOld = certs.traditional(ec[1], "ec");
        assertTrue(Files.readString(rsaOld).contains("BEGIN RSA PRIVATE KEY"));
        assertTrue(Files.readString(ecOld).contains("BEGIN EC PRIVATE KEY"));
        assertEquals("RSA", load(rsa[0], rsaOld).keyType());
        assertEquals("EC", load(ec[0], ecOld).keyType());
    }

    @Test
    void refusesAnEncryptedKeySayingHowToDecryptIt() throws IOException {
        String p = problem(rsa[0], certs.encrypted(rsa[1]), Instant.now());
        assertStartsWith(rsa[1] + ".enc: the key is encrypted", p);
        assertTrue(p.contains("openssl pkey"), p);
    }

    @Test
    void refusesAKeyThatIsNotTheCertificates() throws IOException {
        Path[] other = certs.leaf("rsa", "other.example.com");
        assertStartsWith(other[1] + ": this key does not belong to the certificate in " + rsa[0], problem(rsa[0], other[1], Instant.now()));
        assertStartsWith(ec[1] + ": an EC key, but the certificate in " + rsa[0] + " is for an RSA key", problem(rsa[0], ec[1], Instant.now()));
    }

    @Test
    void refusesACertificateOutsideItsValidity() {
        Instant notAfter = Instant.now().plus(Duration.ofDays(31));
        assertStartsWith(rsa[0] + ": the certificate expired on ", problem(rsa[0], rsa[1], notAfter));
        assertStartsWith(rsa[0] + ": the certificate is not valid before ", problem(rsa[0], rsa[1], Instant.now().minus(Duration.ofDays(2))));
    }

    @Test
    void namesTheFileAndTheProblemForFilesThatAreNotWhatTheySeem() throws IOException {
        Path missing = dir.resolve("missing.pem");
        assertEquals(missing + ": no such file", problem(missing, rsa[1], Instant.now()));
        Path text = Files.writeString(dir.resolve("notes.txt"), "hello\n");
        assertEquals(text + ": not a PEM file (no -----BEGIN ...----- block)", problem(text, rsa[1], Instant.now()));
        assertEquals(rsa[1] + ": no certificate in it (expected -----BEGIN CERTIFICATE-----)", problem(rsa[1], rsa[1], Instant.now()));
        assertEquals(rsa[0] + ": no private key in it (expected -----BEGIN PRIVATE KEY-----)", problem(rsa[0], rsa[0], Instant.now()));
        Path broken = Files.writeString(dir.resolve("broken.pem"), "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
        assertStartsWith(broken + ": not a valid certificate", problem(broken, rsa[1], Instant.now()));
    }

    @Test
    void refusesAnRsaPssKeyNoEngineCanHandshakeWith() throws IOException {
        Path[] pss = certs.leaf("rsa-pss", "pss.example.com");
        assertEquals(pss[1] + ": an RSASSA-PSS key (id-RSASSA-PSS), which no TLS engine of Kodiak can sign a handshake with:"
                + " use an RSA (rsaEncryption) or EC key", problem(pss[0], pss[1], Instant.now()));
        // The same once ACME has run: Bouncy Castle is a provider, and its "RSA" factory takes a PSS
        // key too (without its parameters). The key is read by its own algorithm, so it is still seen.
        if (java.security.Security.getProvider("BC") == null) {
            java.security.Security.addProvider(new org.bouncycastle.jce.provider.BouncyCastleProvider());
        }
        assertTrue(problem(pss[0], pss[1], Instant.now()).contains("an RSASSA-PSS key"));
    }

    @Test
    void aDirectoryIsNotAPemFileAndTheProblemNamesWhichFile() throws IOException {
        Path d = Files.createDirectories(dir.resolve("live"));
        PemFiles.FileProblem p = assertThrows(PemFiles.FileProblem.class, () -> CertifiedKey.load(rsa[0], d, Instant.now()));
        assertEquals(d + ": is a directory, not a PEM file", p.getMessage());
        assertEquals(d, p.file());
        p = assertThrows(PemFiles.FileProblem.class, () -> CertifiedKey.load(rsa[0], ec[1], Instant.now()));
        assertEquals(ec[1], p.file()); // the key does not fit: the key's line is at fault
        assertTrue(p.isKey());
        p = assertThrows(PemFiles.FileProblem.class, () -> CertifiedKey.load(rsa[1], rsa[1], Instant.now()));
        assertFalse(p.isKey()); // a key file given as the chain: no certificate in it, the chain's fault
        p = assertThrows(PemFiles.FileProblem.class, () -> CertifiedKey.load(rsa[0], rsa[1], Instant.now().plus(Duration.ofDays(40))));
        assertEquals(rsa[0], p.file());
    }

    @Test
    void aWildcardCoversOneLabel() throws IOException {
        CertifiedKey e = load(ec[0], ec[1]);
        assertTrue(e.covers("a.example.org"));
        assertFalse(e.covers("example.org"));
        assertFalse(e.covers("a.b.example.org"));
        assertFalse(e.covers("a.example.com"));
    }

    private static void assertStartsWith(String prefix, String actual) {
        assertTrue(actual.startsWith(prefix), () -> "expected to start with <" + prefix + "> but was <" + actual + ">");
    }
}
