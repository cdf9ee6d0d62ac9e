package io.kodiak.tls;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/**
 * A certificate chain with its private key, checked to belong together and to be valid now, and
 * the server names it covers (its DNS subject alternative names, else its common name), lower case,
 * wildcards as {@code *.example.com}.
 *
 * @param chain   leaf first
 * @param key     the leaf's private key
 * @param keyType {@code RSA} or {@code EC}: what a client's offer chooses between
 * @param names   the server names it covers
 * @param source  where it came from, for messages ({@code cert.pem + key.pem})
 */
public record CertifiedKey(List<X509Certificate> chain, PrivateKey key, String keyType, List<String> names, String source) {
    public CertifiedKey {
        chain = List.copyOf(chain);
        names = List.copyOf(names);
    }

    /** Reads and checks a PEM chain and key; every problem is an {@link IOException} naming the file. */
    public static CertifiedKey load(Path certFile, Path keyFile, Instant now) throws IOException {
        List<X509Certificate> chain = PemFiles.certificates(certFile);
        PrivateKey key;
        try {
            key = PemFiles.privateKey(keyFile);
        } catch (PemFiles.FileProblem p) {
            throw p.blameKey();
        }
        return of(chain, key, certFile + " + " + keyFile, certFile, keyFile, now);
    }

    static CertifiedKey of(List<X509Certificate> chain, PrivateKey key, String source, Path certFile, Path keyFile,
                           Instant now) throws IOException {
        X509Certificate leaf = chain.get(0);
        if (key.getAlgorithm().equals("RSASSA-PSS")) {
            // Tried on both engines: the JDK finds no CertificateVerify scheme for such a key and
            // BoringSSL cannot load one, so every handshake would fail. A PSS-signed certificate
            // with an ordinary RSA key is fine.
            throw new PemFiles.FileProblem(keyFile, "an RSASSA-PSS key (id-RSASSA-PSS), which no TLS engine of Kodiak"
                    + " can sign a handshake with: use an RSA (rsaEncryption) or EC key").blameKey();
        }
        String type = switch (key.getAlgorithm()) {
            case "RSA" -> "RSA";
            case "EC" -> "EC";
            default -> throw new PemFiles.FileProblem(keyFile, "a " + key.getAlgorithm() + " key; Kodiak serves RSA and EC certificates").blameKey();
        };
        if (!type.equals(publicType(leaf))) {
            throw new PemFiles.FileProblem(keyFile, "an " + type + " key, but the certificate in " + certFile + " is for an "
                    + publicType(leaf) + " key: they do not belong together").blameKey();
        }
        if (!matches(leaf, key, type)) {
            throw new PemFiles.FileProblem(keyFile, "this key does not belong to the certificate in " + certFile
                    + " (" + leaf.getSubjectX500Principal().getName() + ")").blameKey();
        }
        if (now.isAfter(leaf.getNotAfter().toInstant())) {
            throw new PemFiles.FileProblem(certFile, "the certificate expired on " + leaf.getNotAfter().toInstant());
        }
        if (now.isBefore(leaf.getNotBefore().toInstant())) {
            throw new PemFiles.FileProblem(certFile, "the certificate is not valid before " + leaf.getNotBefore().toInstant());
        }
        List<String> names = names(leaf);
        if (names.isEmpty()) {
            throw new PemFiles.FileProblem(certFile, "the certificate names no server (no DNS name, no common name)");
        }
        return new CertifiedKey(chain, key, type, names, source);
    }

    /** Whether this certificate covers {@code host} (lower case): exactly, or by a wildcard for one label. */
    public boolean covers(String host) {
        for (String n : names) {
            if (n.equals(host)) {
                return true;
            }
            if (n.startsWith("*.")) {
                int dot = host.indexOf('.');
                if (dot > 0 && host.substring(dot + 1).equals(n.substring(2))) {
                    return true;
                }
            }
        }
        return false;
    }

    public X509Certificate leaf() {
        return chain.get(0);
    }

    private static String publicType(X509Certificate c) {
        String a = c.getPublicKey().getAlgorithm();
        return a.equals("RSASSA-PSS") ? "RSA" : a;
    }

    /** Sign and verify a nonce: the one test that a key and a certificate belong together for any algorithm. */
    private static boolean matches(X509Certificate leaf, PrivateKey key, String type) {
        try {
            byte[] data = "kodiak key check".getBytes(StandardCharsets.US_ASCII);
            Signature s;
            if (key.getAlgorithm().equals("RSASSA-PSS")) {
                // A PSS key may be restricted to its own parameters; use them, or the usual ones.
                s = Signature.getInstance("RSASSA-PSS");
                java.security.spec.AlgorithmParameterSpec p = ((java.security.interfaces.RSAKey) key).getParams();
                s.setParameter(p != null ? p : new java.security.spec.PSSParameterSpec("SHA-256", "MGF1",
                        java.security.spec.MGF1ParameterSpec.SHA256, 32, 1));
            } else {
                s = Signature.getInstance(type.equals("EC") ? "SHA256withECDSA" : "SHA256withRSA");
            }
            s.initSign(key);
            s.update(data);
            byte[] signature = s.sign();
            s.initVerify(leaf.getPublicKey());
            s.update(data);
            return s.verify(signature);
        } catch (GeneralSecurityException | ClassCastException e) {
            return false;
        }
    }

    private static List<String> names(X509Certificate leaf) {
        List<String> out = new ArrayList<>();
        try {
            Collection<List<?>> alt = leaf.getSubjectAlternativeNames();
            if (alt != null) {
                for (List<?> entry : alt) {
                    if (Integer.valueOf(2).equals(entry.get(0))) { // dNSName
                        out.add(String.valueOf(entry.get(1)).toLowerCase(Locale.ROOT));
                    }
                }
            }
        } catch (CertificateParsingException e) {
            // no usable alternative names: fall back to the common name
        }
        if (out.isEmpty()) {
            try {
                for (Rdn rdn : new LdapName(leaf.getSubjectX500Principal().getName()).getRdns()) {
                    if (rdn.getType().equalsIgnoreCase("CN")) {
                        out.add(String.valueOf(rdn.getValue()).toLowerCase(Locale.ROOT));
                    }
                }
            } catch (InvalidNameException e) {
                // none
            }
        }
        return out;
    }
}
