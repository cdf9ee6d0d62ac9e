package io.kodiak.tls;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.List;
import javax.security.auth.x500.X500Principal;

/**
 * Client certificates (mutual TLS) on a listener: the CAs a client's certificate must chain to,
 * whether one is required (a client without one fails the handshake) or only asked for, and the
 * fields that tell the upstream what was verified. Those fields are always Kodiak's: whatever a
 * client sent under their names is removed, so an app can trust them.
 *
 * @param cas        the CA certificates client certificates are verified against
 * @param required   {@code true}: no handshake without a valid certificate; {@code false}: asked for, optional
 * @param verifyHeader      {@code SUCCESS} or {@code NONE} (nginx's {@code $ssl_client_verify})
 * @param subjectHeader     the certificate's subject, RFC 2253 ({@code $ssl_client_s_dn})
 * @param issuerHeader      its issuer, RFC 2253 ({@code $ssl_client_i_dn})
 * @param fingerprintHeader its SHA-256 fingerprint, lower-case hex
 * @param caFile     the file {@code cas} were read from, to read again when it changes; {@code null} if none
 */
public record ClientAuth(List<X509Certificate> cas, boolean required, String verifyHeader, String subjectHeader,
                         String issuerHeader, String fingerprintHeader, java.nio.file.Path caFile) {
    public static final String VERIFY = "X-Client-Cert-Verify";
    public static final String SUBJECT = "X-Client-Cert-Subject";
    public static final String ISSUER = "X-Client-Cert-Issuer";
    public static final String FINGERPRINT = "X-Client-Cert-Fingerprint";

    public ClientAuth {
        cas = List.copyOf(cas);
    }

    /** CAs that come from no file. */
    public ClientAuth(List<X509Certificate> cas, boolean required, String verifyHeader, String subjectHeader,
                      String issuerHeader, String fingerprintHeader) {
        this(cas, required, verifyHeader, subjectHeader, issuerHeader, fingerprintHeader, null);
    }

    /** The same, with the CAs read again from {@link #caFile} (which must be set). */
    public ClientAuth reread() throws java.io.IOException {
        return new ClientAuth(PemFiles.certificates(caFile), required, verifyHeader, subjectHeader, issuerHeader,
                fingerprintHeader, caFile);
    }

    /** What was verified of one connection's client certificate, or {@link #NONE}. */
    public record Verified(String subject, String issuer, String fingerprint) {
        public static final Verified NONE = new Verified(null, null, null);

        public static Verified of(X509Certificate c) {
            try {
                byte[] digest = MessageDigest.getInstance("SHA-256").digest(c.getEncoded());
                return new Verified(fieldText(c.getSubjectX500Principal()), fieldText(c.getIssuerX500Principal()),
                        HexFormat.of().formatHex(digest));
            } catch (NoSuchAlgorithmException | CertificateEncodingException e) {
                throw new IllegalStateException("cannot fingerprint a verified certificate", e);
            }
        }

        public boolean present() {
            return subject != null;
        }
    }

    /**
     * A name as RFC 2253 text, with every byte outside printable ASCII as {@code %XX} of its UTF-8,
     * so that a field value can hold any name a CA signed.
     */
    static String fieldText(X500Principal p) {
        String name = p.getName(X500Principal.RFC2253);
        StringBuilder sb = new StringBuilder(name.length());
        for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xFF;
            if (c >= 0x20 && c < 0x7F && c != '%') {
                sb.append((char) c);
            } else {
                sb.append('%').append(Character.forDigit(c >> 4, 16)).append(Character.forDigit(c & 0xF, 16));
            }
        }
        return sb.toString();
    }
}
