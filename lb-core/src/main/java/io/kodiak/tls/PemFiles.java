package io.kodiak.tls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Certificate chains and private keys in the PEM files users have: what certbot writes
 * ({@code fullchain.pem}, {@code privkey.pem}), what {@code openssl} writes by default and in its
 * older forms. Keys may be PKCS#8 ({@code BEGIN PRIVATE KEY}), PKCS#1 RSA ({@code BEGIN RSA PRIVATE
 * KEY}) or SEC 1 EC ({@code BEGIN EC PRIVATE KEY}); the last two are rewrapped as PKCS#8, which is
 * all the JDK reads. Encrypted keys are refused with a message that says how to decrypt them, as
 * a server cannot prompt for a passphrase at start.
 *
 * <p>Every failure is a {@link FileProblem} that names the file at fault and whose message starts
 * with its path, so that the configuration reader can report it as {@code FILE: problem} on the
 * line of that file.
 */
public final class PemFiles {
    /** Larger than any certificate chain or key a server should load; a file beyond it is a mistake. */
    static final long MAX_FILE = 1024 * 1024;
    private static final Pattern BLOCK = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]+)-----\\s*(.*?)-----END \\1-----", Pattern.DOTALL);

    private PemFiles() {
    }

    /**
     * A problem with one file: {@link #file()} is the one to blame, and {@link #isKey()} says
     * whether it was read as the key (a combined PEM may be both the chain and the key).
     */
    public static final class FileProblem extends IOException {
        private static final long serialVersionUID = 1L;
        private final transient Path file;
        private boolean key;

        public FileProblem(Path file, String problem) {
            super(file + ": " + problem);
            this.file = file;
        }

        public FileProblem(Path file, String problem, Throwable cause) {
            super(file + ": " + problem, cause);
            this.file = file;
        }

        public Path file() {
            return file;
        }

        public boolean isKey() {
            return key;
        }

        /** Marks this as the key's problem; returns it. */
        FileProblem blameKey() {
            key = true;
            return this;
        }
    }

    /** The certificates of {@code file}, leaf first, as they stand in the file. */
    public static List<X509Certificate> certificates(Path file) throws IOException {
        List<X509Certificate> chain = new ArrayList<>();
        try {
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            for (Block b : blocks(file)) {
                if (b.type.equals("CERTIFICATE")) {
                    chain.add((X509Certificate) cf.generateCertificate(new ByteArrayInputStream(b.der)));
                }
            }
        } catch (CertificateException e) {
            throw new FileProblem(file, "not a valid certificate: " + e.getMessage(), e);
        }
        if (chain.isEmpty()) {
            throw new FileProblem(file, "no certificate in it (expected -----BEGIN CERTIFICATE-----)");
        }
        return List.copyOf(chain);
    }

    /** The one private key of {@code file}. */
    public static PrivateKey privateKey(Path file) throws IOException {
        PrivateKey key = null;
        for (Block b : blocks(file)) {
            PrivateKey k = switch (b.type) {
                case "PRIVATE KEY" -> pkcs8(file, b.der);
                case "RSA PRIVATE KEY" -> pkcs8(file, Der.rsaPkcs1ToPkcs8(b.der));
                case "EC PRIVATE KEY" -> pkcs8(file, Der.sec1ToPkcs8(file, b.der));
                case "ENCRYPTED PRIVATE KEY" -> throw new FileProblem(file, "the key is encrypted; Kodiak cannot ask"
                        + " for its passphrase at start: write it out decrypted (openssl pkey -in KEY -out KEY.plain)"
                        + " and keep that file readable by Kodiak's user only");
                default -> null;
            };
            if (k != null) {
                if (key != null) {
                    throw new FileProblem(file, "more than one private key in it");
                }
                key = k;
            }
        }
        if (key == null) {
            throw new FileProblem(file, "no private key in it (expected -----BEGIN PRIVATE KEY-----)");
        }
        return key;
    }

    private static PrivateKey pkcs8(Path file, byte[] der) throws IOException {
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
        String named = Der.pkcs8Algorithm(der);
        for (String algorithm : named != null ? new String[] {named} : new String[] {"RSA", "EC", "Ed25519", "RSASSA-PSS"}) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(spec);
            } catch (GeneralSecurityException tryTheNext) {
                // the PKCS#8 structure names its algorithm; only the matching factory accepts it
            }
        }
        throw new FileProblem(file, "the private key is neither RSA nor EC, or is damaged");
    }

    /**
     * The bytes of {@code file}, at most {@link #MAX_FILE}: a size from the file system means
     * nothing for /dev/zero or a FIFO, so it reads the cap and a byte.
     *
     * @param notThis what a larger file is not, for the message
     */
    static byte[] readBounded(Path file, String notThis) throws IOException {
        if (Files.isDirectory(file)) {
            throw new FileProblem(file, "is a directory; " + notThis);
        }
        try (java.io.InputStream in = Files.newInputStream(file)) {
            byte[] bytes = in.readNBytes((int) MAX_FILE + 1);
            if (bytes.length > MAX_FILE) {
                throw new FileProblem(file, "larger than " + MAX_FILE / 1024 + " KiB; " + notThis);
            }
            return bytes;
        } catch (FileProblem e) {
            throw e;
        } catch (java.nio.file.NoSuchFileException e) {
            throw new FileProblem(file, "no such file", e);
        } catch (java.nio.file.AccessDeniedException e) {
            throw new FileProblem(file, "not readable by this user", e);
        } catch (IOException e) {
            throw new FileProblem(file, "cannot read: " + e.getMessage(), e);
        }
    }

    private record Block(String type, byte[] der) {
    }

    private static List<Block> blocks(Path file) throws IOException {
        if (Files.isDirectory(file)) {
            throw new FileProblem(file, "is a directory, not a PEM file");
        }
        String text = new String(readBounded(file, "not a PEM file"), StandardCharsets.ISO_8859_1);
        List<Block> out = new ArrayList<>();
        Matcher m = BLOCK.matcher(text);
        while (m.find()) {
            String body = m.group(2);
            if (body.contains(":")) { // RFC 1421 headers: "Proc-Type: 4,ENCRYPTED" (openssl's old encrypted keys)
                if (body.contains("ENCRYPTED")) {
                    return List.of(new Block("ENCRYPTED PRIVATE KEY", new byte[0]));
                }
                body = body.substring(body.lastIndexOf(':'));
                body = body.substring(body.indexOf('\n') + 1);
            }
            try {
                out.add(new Block(m.group(1), Base64.getMimeDecoder().decode(body)));
            } catch (IllegalArgumentException e) {
                throw new FileProblem(file, "a " + m.group(1) + " block is not valid base64", e);
            }
        }
        if (out.isEmpty()) {
            throw new FileProblem(file, "not a PEM file (no -----BEGIN ...----- block)");
        }
        return out;
    }
}
