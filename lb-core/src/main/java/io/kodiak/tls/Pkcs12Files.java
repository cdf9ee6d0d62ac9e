package io.kodiak.tls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Certificates and keys from a PKCS#12 file ({@code .p12}/{@code .pfx}: what Windows, Java key
 * tools and many internal CAs hand out), each private key entry with its chain checked as a PEM
 * pair is ({@link CertifiedKey}). Every problem is a {@link PemFiles.FileProblem} naming the file.
 */
public final class Pkcs12Files {
    private Pkcs12Files() {
    }

    /**
     * Every key entry of {@code file}, in alias order.
     *
     * @param password the file's password (empty for none)
     */
    public static List<CertifiedKey> load(Path file, char[] password, Instant now) throws IOException {
        byte[] bytes = PemFiles.readBounded(file, "not a PKCS#12 file");
        KeyStore ks;
        try {
            ks = KeyStore.getInstance("PKCS12");
            ks.load(new ByteArrayInputStream(bytes), password);
        } catch (IOException e) {
            boolean badPassword = e.getCause() instanceof java.security.UnrecoverableKeyException
                    || String.valueOf(e.getMessage()).contains("password");
            throw new PemFiles.FileProblem(file, badPassword ? "wrong password (or none given: tls.password-file)"
                    : "not a PKCS#12 file, or damaged: " + e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new PemFiles.FileProblem(file, "cannot read it as PKCS#12: " + e.getMessage(), e);
        }
        List<CertifiedKey> keys = new ArrayList<>();
        try {
            List<String> aliases = Collections.list(ks.aliases());
            Collections.sort(aliases);
            for (String alias : aliases) {
                if (!ks.isKeyEntry(alias)) {
                    continue;
                }
                PrivateKey key = (PrivateKey) ks.getKey(alias, password);
                Certificate[] chain = ks.getCertificateChain(alias);
                if (chain == null || chain.length == 0) {
                    throw new PemFiles.FileProblem(file, "the key \"" + alias + "\" has no certificate");
                }
                List<X509Certificate> x509 = new ArrayList<>();
                for (Certificate c : chain) {
                    x509.add((X509Certificate) c);
                }
                keys.add(CertifiedKey.of(x509, key, file + " (" + alias + ")", file, file, now));
            }
        } catch (GeneralSecurityException | ClassCastException e) {
            throw new PemFiles.FileProblem(file, "cannot read a key: " + e.getMessage(), e);
        }
        if (keys.isEmpty()) {
            throw new PemFiles.FileProblem(file, "no private key in it (only certificates)");
        }
        return keys;
    }
}
