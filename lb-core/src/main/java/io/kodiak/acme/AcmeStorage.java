package io.kodiak.acme;

import io.kodiak.tls.CertifiedKey;
import org.shredzone.acme4j.util.KeyPairUtils;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Locale;

/**
 * The ACME account key and the issued certificates on disk, one directory per CA (so a staging
 * account never meets a production one): {@code STORAGE/CA/account.pem} and
 * {@code STORAGE/CA/certificates/DOMAIN/certificate.pem}, the chain and its key in one file, so
 * that one rename puts both in place (two files could be left half-renewed, a new key beside the
 * old chain, by a crash between them). {@code fullchain.pem} and {@code privkey.pem}, certbot's
 * names, are written after it for whoever wants them. Directories are created owner-only (0700);
 * files are written owner-only (0600) to a temporary name of their own, forced to disk and moved
 * into place, so a crash never leaves half a key and a reader never sees one.
 *
 * <p>Used by the manager's thread only.
 */
final class AcmeStorage {
    private final Path dir;

    AcmeStorage(Path storage, URI directory) {
        this.dir = storage.resolve(caDirectoryName(directory));
    }

    /**
     * {@code acme-v02.api.letsencrypt.org-directory}, {@code 127.0.0.1-14000-dir}: the directory
     * URL's host, port (unless 443) and path, so two CAs on one host keep apart.
     */
    static String caDirectoryName(URI directory) {
        String host = directory.getHost() == null ? "ca" : directory.getHost().toLowerCase(Locale.ROOT);
        String name = directory.getPort() > 0 && directory.getPort() != 443 ? host + "-" + directory.getPort() : host;
        String path = directory.getPath() == null ? "" : directory.getPath().replaceAll("^/+|/+$", "");
        if (!path.isEmpty()) {
            name += "-" + path;
        }
        name = name.replaceAll("[^A-Za-z0-9.-]", "_");
        return name.length() > 100 ? name.substring(0, 100) : name;
    }

    Path dir() {
        return dir;
    }

    Path fullchain(String domain) {
        return dir.resolve("certificates").resolve(domain).resolve("fullchain.pem");
    }

    Path privkey(String domain) {
        return dir.resolve("certificates").resolve(domain).resolve("privkey.pem");
    }

    /** The chain and its key, in one file: what Kodiak reads. */
    Path combined(String domain) {
        return dir.resolve("certificates").resolve(domain).resolve("certificate.pem");
    }

    /** The account key, made and stored the first time. */
    KeyPair accountKey() throws IOException {
        Path f = dir.resolve("account.pem");
        if (Files.exists(f)) {
            return KeyPairUtils.readKeyPair(new StringReader(Files.readString(f)));
        }
        KeyPair k = KeyPairUtils.createECKeyPair("secp256r1");
        StringWriter w = new StringWriter();
        KeyPairUtils.writeKeyPair(k, w);
        writePrivate(f, w.toString());
        return k;
    }

    /**
     * The stored certificate of {@code domain} if there is one and it is valid at {@code now}, else
     * {@code null}: {@code certificate.pem}, or else a {@code fullchain.pem} and {@code privkey.pem}
     * pair put there by hand (certificates brought from certbot).
     */
    CertifiedKey load(String domain, Instant now) throws IOException {
        if (Files.exists(combined(domain))) {
            return CertifiedKey.load(combined(domain), combined(domain), now);
        }
        if (!Files.exists(fullchain(domain)) || !Files.exists(privkey(domain))) {
            return null;
        }
        return CertifiedKey.load(fullchain(domain), privkey(domain), now);
    }

    /** Stores a new certificate of {@code domain}: one file with both first, then certbot's two. */
    void store(String domain, List<X509Certificate> chain, PrivateKey key) throws IOException {
        String keyPem = pem("PRIVATE KEY", key.getEncoded());
        StringBuilder sb = new StringBuilder();
        for (X509Certificate c : chain) {
            try {
                sb.append(pem("CERTIFICATE", c.getEncoded()));
            } catch (CertificateEncodingException e) {
                throw new IOException(e);
            }
        }
        writePrivate(combined(domain), sb + keyPem);
        writePrivate(privkey(domain), keyPem);
        writePrivate(fullchain(domain), sb.toString());
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    private static void writePrivate(Path f, String text) throws IOException {
        makeDirs(f.getParent());
        // A name of its own: two writers (an old manager's last order beside a new one's) never share one.
        Path tmp = Files.createTempFile(f.getParent(), "." + f.getFileName(), ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try {
            try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
                java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII));
                while (b.hasRemaining()) {
                    ch.write(b);
                }
                ch.force(true); // on disk before the rename makes it the file
            }
            try {
                Files.move(tmp, f, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, f, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Creates {@code d} and its missing parents owner-only. */
    private static void makeDirs(Path d) throws IOException {
        if (Files.isDirectory(d)) {
            return;
        }
        if (d.getParent() != null) {
            makeDirs(d.getParent());
        }
        try {
            Files.createDirectory(d, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (java.nio.file.FileAlreadyExistsException e) {
            // made by another thread or process meanwhile
        }
    }
}
