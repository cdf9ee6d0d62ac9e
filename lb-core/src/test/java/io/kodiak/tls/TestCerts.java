package io.kodiak.tls;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Test certificates made with {@code openssl} (the tool users make theirs with) in a temporary
 * directory: a test CA, and leaf certificates it signs, RSA or ECDSA, for given names. Nothing of
 * value is ever committed.
 */
public final class TestCerts {
    public final Path dir;
    public final Path caCert;
    private final Path caKey;
    private int serial;

    /** Makes the CA; without openssl the test is skipped (outside CI) or fails (in CI). */
    /** The CA's private key (an OCSP responder signs with it). */
    public Path caKey() {
        return caKey;
    }

    public TestCerts(Path dir) throws IOException {
        io.kodiak.testing.Tools.require("openssl", "version", "openssl");
        this.dir = dir;
        this.caKey = dir.resolve("ca.key");
        this.caCert = dir.resolve("ca.pem");
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", caKey.toString(), "-out", caCert.toString(), "-days", "30", "-subj", "/CN=Kodiak Test CA");
    }

    /** A leaf for {@code names} (DNS names, or IPv4 addresses) signed by the CA; {@code type} is "rsa", "ec" (P-256), "ec521" or "rsa-pss". Returns {cert, key}. */
    public Path[] leaf(String type, String... names) throws IOException {
        return leafWith(type, "", names);
    }

    /** As {@link #leaf}, with more extension lines for openssl's extfile ({@code authorityInfoAccess=OCSP;URI:...}). */
    public Path[] leafWith(String type, String extensions, String... names) throws IOException {
        String base = "leaf" + (++serial);
        Path key = dir.resolve(base + ".key");
        Path csr = dir.resolve(base + ".csr");
        Path cert = dir.resolve(base + ".pem");
        Path ext = dir.resolve(base + ".ext");
        List<String> sans = new ArrayList<>();
        for (String n : names) {
            sans.add((n.matches("[0-9.]+") ? "IP:" : "DNS:") + n); // an address is an IP SAN (TLS to 127.0.0.1)
        }
        Files.writeString(ext, "subjectAltName=" + String.join(",", sans) + "\n" + extensions);
        switch (type) {
            case "rsa" -> openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", key.toString());
            case "rsa-pss" -> openssl("genpkey", "-algorithm", "RSA-PSS", "-pkeyopt", "rsa_keygen_bits:2048",
                    "-pkeyopt", "rsa_pss_keygen_md:sha256", "-out", key.toString());
            case "ec521" -> openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-521", "-out", key.toString());
            default -> openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key.toString());
        }
        openssl("req", "-new", "-key", key.toString(), "-out", csr.toString(), "-subj", "/CN=" + names[0]);
        openssl("x509", "-req", "-in", csr.toString(), "-CA", caCert.toString(), "-CAkey", caKey.toString(),
                "-set_serial", Integer.toString(serial), "-days", "30", "-extfile", ext.toString(), "-out", cert.toString());
        return new Path[] {cert, key};
    }

    /** {@code key} rewritten in an older form: "rsa" (PKCS#1, {@code openssl rsa -traditional}) or "ec" (SEC 1, {@code openssl ec}). */
    public Path traditional(Path key, String type) throws IOException {
        Path out = dir.resolve(key.getFileName() + ".trad");
        if (type.equals("rsa")) {
            openssl("rsa", "-in", key.toString(), "-out", out.toString(), "-traditional");
        } else {
            openssl("ec", "-in", key.toString(), "-out", out.toString());
        }
        return out;
    }

    /** {@code key} encrypted with a passphrase (PKCS#8, "BEGIN ENCRYPTED PRIVATE KEY"). */
    public Path encrypted(Path key) throws IOException {
        Path out = dir.resolve(key.getFileName() + ".enc");
        openssl("pkcs8", "-topk8", "-in", key.toString(), "-out", out.toString(), "-passout", "pass:secret");
        return out;
    }

    /** A JDK client context that trusts the test CA, and nothing else. */
    public javax.net.ssl.SSLContext clientContext() throws java.security.GeneralSecurityException, IOException {
        java.security.KeyStore store = java.security.KeyStore.getInstance("PKCS12");
        store.load(null, null);
        try (java.io.InputStream in = Files.newInputStream(caCert)) {
            store.setCertificateEntry("ca", java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        javax.net.ssl.TrustManagerFactory tmf =
                javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(store);
        javax.net.ssl.SSLContext c = javax.net.ssl.SSLContext.getInstance("TLS");
        c.init(null, tmf.getTrustManagers(), null);
        return c;
    }

    /** A chain file: the leaf followed by the CA, as certbot's fullchain.pem. */
    public Path fullchain(Path leaf) throws IOException {
        Path out = dir.resolve(leaf.getFileName() + ".full");
        Files.writeString(out, Files.readString(leaf) + Files.readString(caCert));
        return out;
    }

    public static void openssl(String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add("openssl");
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException(String.join(" ", cmd) + " failed:\n" + out);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        } finally {
            p.destroy();
        }
    }
}
