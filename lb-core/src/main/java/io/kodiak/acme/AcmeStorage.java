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
 * account never meets a production one), with certbot's file names users know:
 * {@code STORAGE/CA/account.pem}, {@code STORAGE/CA/certificates/DOMAIN/fullchain.pem} and
 * {@code privkey.pem}. Directories are created owner-only (0700) and files written owner-only
 * (0600) to a temporary name and moved into place, so a crash never leaves half a key and a reader
 * (another Kodiak, a backup) never sees one.
 *
 * <p>Used by the manager's thread only.
 */
final class AcmeStorage {
    private final Path dir;

    AcmeStorage(Path storage, URI directory) {
        this.dir = storage.resolve(caDirectoryName(directory));
    }

    /** {@code acme-v02.api.letsencrypt.org}, {@code 127.0.0.1-14000}: the host (and port) of the directory URL. */
    static String caDirectoryName(URI directory) {
        String host = directory.getHost() == null ? "ca" : directory.getHost().toLowerCase(Locale.ROOT);
        String name = directory.getPort() > 0 ? host + "-" + directory.getPort() : host;
        return name.replaceAll("[^a-z0-9.-]", "_");
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

    /** The stored certificate of {@code domain} if there is one and it is valid at {@code now}, else {@code null}. */
    CertifiedKey load(String domain, Instant now) throws IOException {
        if (!Files.exists(fullchain(domain)) || !Files.exists(privkey(domain))) {
            return null;
        }
        return CertifiedKey.load(fullchain(domain), privkey(domain), now);
    }

    /** Stores a new certificate of {@code domain}: the key first, the chain last (a reader pairs them by the chain). */
    void store(String domain, List<X509Certificate> chain, PrivateKey key) throws IOException {
        writePrivate(privkey(domain), pem("PRIVATE KEY", key.getEncoded()));
        StringBuilder sb = new StringBuilder();
        for (X509Certificate c : chain) {
            try {
                sb.append(pem("CERTIFICATE", c.getEncoded()));
            } catch (CertificateEncodingException e) {
                throw new IOException(e);
            }
        }
        writePrivate(fullchain(domain), sb.toString());
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    private static void writePrivate(Path f, String text) throws IOException {
        makeDirs(f.getParent());
        Path tmp = f.resolveSibling("." + f.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(tmp, text, StandardCharsets.US_ASCII);
        try {
            Files.move(tmp, f, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, f, StandardCopyOption.REPLACE_EXISTING);
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
