package io.kodiak.tls;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The little DER it takes to turn the two older key formats into PKCS#8 (RFC 5208), which is what
 * the JDK's {@code KeyFactory} reads: a PKCS#1 RSA key (RFC 8017) or a SEC 1 EC key (RFC 5915)
 * goes, as it is, into a PrivateKeyInfo that names its algorithm (and for EC, its curve).
 */
final class Der {
    /** AlgorithmIdentifier { rsaEncryption, NULL }. */
    private static final byte[] RSA_ALGORITHM = {
        0x30, 0x0D, 0x06, 0x09, 0x2A, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xF7, 0x0D, 0x01, 0x01, 0x01, 0x05, 0x00};
    /** OID id-ecPublicKey (1.2.840.10045.2.1). */
    private static final byte[] EC_PUBLIC_KEY = {0x06, 0x07, 0x2A, (byte) 0x86, 0x48, (byte) 0xCE, 0x3D, 0x02, 0x01};
    private static final byte[] VERSION_0 = {0x02, 0x01, 0x00};

    private Der() {
    }

    static byte[] rsaPkcs1ToPkcs8(byte[] pkcs1) {
        return tlv(0x30, VERSION_0, RSA_ALGORITHM, tlv(0x04, pkcs1));
    }

    /** SEC 1's ECPrivateKey names its curve in the optional field [0]; PKCS#8 needs it in the algorithm. */
    static byte[] sec1ToPkcs8(Path file, byte[] sec1) throws IOException {
        byte[] curve = null;
        try {
            int[] outer = header(sec1, 0);
            if (sec1[0] != 0x30) {
                throw new IOException("not a sequence");
            }
            int p = outer[0];
            int end = outer[0] + outer[1];
            while (p < end) {
                int[] h = header(sec1, p);
                if ((sec1[p] & 0xFF) == 0xA0) { // [0] ECParameters: the namedCurve OID
                    curve = Arrays.copyOfRange(sec1, h[0], h[0] + h[1]);
                }
                p = h[0] + h[1];
            }
        } catch (IOException | ArrayIndexOutOfBoundsException e) {
            throw new PemFiles.FileProblem(file, "the EC private key is damaged (" + e.getMessage() + ")", e);
        }
        if (curve == null || curve.length == 0 || curve[0] != 0x06) {
            throw new PemFiles.FileProblem(file, "the EC private key does not name its curve; write it with"
                    + " openssl pkey -in KEY -out KEY.pkcs8");
        }
        return tlv(0x30, VERSION_0, tlv(0x30, EC_PUBLIC_KEY, curve), tlv(0x04, sec1));
    }

    /**
     * The JCA name of a PKCS#8 key's algorithm, from its AlgorithmIdentifier: "RSA", "RSASSA-PSS",
     * "EC", "Ed25519", or {@code null} for another or a malformed one. Asking the factory of that
     * name, instead of trying each in turn, keeps a provider that takes more than its name (Bouncy
     * Castle's "RSA" takes a PSS key, and drops its parameters) from answering for the wrong one.
     */
    static String pkcs8Algorithm(byte[] der) {
        try {
            int[] seq = header(der, 0);
            int[] version = header(der, seq[0]);
            int[] alg = header(der, version[0] + version[1]);
            int oidAt = alg[0];
            if (der[oidAt] != 0x06) {
                return null;
            }
            int[] oid = header(der, oidAt);
            byte[] o = java.util.Arrays.copyOfRange(der, oid[0], oid[0] + oid[1]);
            String hex = java.util.HexFormat.of().formatHex(o);
            return switch (hex) {
                case "2a864886f70d010101" -> "RSA";
                case "2a864886f70d01010a" -> "RSASSA-PSS";
                case "2a8648ce3d0201" -> "EC";
                case "2b6570" -> "Ed25519";
                default -> null;
            };
        } catch (IOException | ArrayIndexOutOfBoundsException e) {
            return null;
        }
    }

    /** The content's start and length of the element at {@code p}. */
    private static int[] header(byte[] b, int p) throws IOException {
        int len = b[p + 1] & 0xFF;
        int start = p + 2;
        if (len > 0x80) {
            int n = len - 0x80;
            if (n > 3) {
                throw new IOException("length too long");
            }
            len = 0;
            for (int i = 0; i < n; i++) {
                len = len << 8 | b[start++] & 0xFF;
            }
        } else if (len == 0x80) {
            throw new IOException("indefinite length");
        }
        if (start + len > b.length) {
            throw new IOException("truncated");
        }
        return new int[] {start, len};
    }

    private static byte[] tlv(int tag, byte[]... parts) {
        ByteArrayOutputStream content = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            content.writeBytes(part);
        }
        int n = content.size();
        ByteArrayOutputStream out = new ByteArrayOutputStream(n + 6);
        out.write(tag);
        if (n < 0x80) {
            out.write(n);
        } else if (n < 0x100) {
            out.write(0x81);
            out.write(n);
        } else if (n < 0x10000) {
            out.write(0x82);
            out.write(n >> 8);
            out.write(n);
        } else {
            out.write(0x83);
            out.write(n >> 16);
            out.write(n >> 8);
            out.write(n);
        }
        out.writeBytes(content.toByteArray());
        return out.toByteArray();
    }
}
