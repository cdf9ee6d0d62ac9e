package io.kodiak.config;

import io.kodiak.tls.CertifiedKey;
import io.kodiak.tls.PemFiles;
import io.kodiak.tls.UpstreamTls;

import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;

/**
 * Reads a pool's {@code tls}: {@code true} (HTTPS to the upstreams, verified against the JDK's
 * trust store, the name being each upstream's host), {@code false}, or
 * {@code {ca, verify, server-name, client-cert, client-key}}: nginx's {@code proxy_ssl_trusted_certificate},
 * {@code proxy_ssl_verify}, {@code proxy_ssl_name}, {@code proxy_ssl_certificate} and
 * {@code proxy_ssl_certificate_key}, HAProxy's {@code ca-file}, {@code verify}, {@code sni} and
 * {@code crt}. The files are read here, so a bad one is reported on its line at start and at reload.
 */
final class UpstreamTlsReader {
    private static final List<String> KEYS = List.of("ca", "verify", "server-name", "client-cert", "client-key");

    private UpstreamTlsReader() {
    }

    /** @return the pool's TLS, or {@code null} for plain HTTP */
    static UpstreamTlsConfig read(ConfigNode node, Path baseDir, Instant now) throws ConfigException {
        if (node.isScalar()) {
            return node.bool() ? build(node, null, null, true, null, null, null, null) : null;
        }
        ConfigMapping m = node.mapping(KEYS);
        boolean verify = m.get("verify") == null || m.get("verify").bool();
        Path ca = null;
        List<X509Certificate> cas = null;
        if (m.get("ca") != null) {
            ConfigNode caNode = m.get("ca");
            ca = baseDir.resolve(caNode.string()).normalize();
            try {
                cas = PemFiles.certificates(ca);
            } catch (IOException e) {
                throw caNode.error(e.getMessage());
            }
        }
        String serverName = null;
        if (m.get("server-name") != null) {
            serverName = m.get("server-name").parse("a host name or IP address", UpstreamTlsReader::serverName);
        }
        ConfigNode certNode = m.get("client-cert");
        ConfigNode keyNode = m.get("client-key");
        if ((certNode == null) != (keyNode == null)) {
            throw (certNode == null ? keyNode : certNode).error("client-cert and client-key go together");
        }
        Path cert = null;
        Path key = null;
        CertifiedKey clientKey = null;
        if (certNode != null) {
            cert = baseDir.resolve(certNode.string()).normalize();
            key = baseDir.resolve(keyNode.string()).normalize();
            try {
                clientKey = CertifiedKey.load(cert, key, now);
            } catch (IOException e) {
                boolean keyAtFault = e instanceof PemFiles.FileProblem p && p.isKey();
                throw (keyAtFault ? keyNode : certNode).error(e.getMessage());
            }
        }
        return build(node, ca, cas, verify, serverName, cert, key, clientKey);
    }

    private static UpstreamTlsConfig build(ConfigNode node, Path ca, List<X509Certificate> cas, boolean verify,
                                           String serverName, Path cert, Path key, CertifiedKey clientKey)
            throws ConfigException {
        try {
            return new UpstreamTlsConfig(ca, verify, serverName, cert, key, UpstreamTls.of(cas, verify, serverName, clientKey));
        } catch (GeneralSecurityException e) {
            throw node.error("cannot set up TLS: " + e.getMessage());
        }
    }

    private static String serverName(String text) {
        if (text.indexOf(':') >= 0) {
            try {
                // An IPv6 literal, as written or in brackets: verified against the IP SANs, no SNI.
                String bare = text.startsWith("[") && text.endsWith("]") ? text.substring(1, text.length() - 1) : text;
                if (!bare.matches("[0-9A-Fa-f:.]+")) { // never a name: getByName would look it up in the DNS
                    throw new java.net.UnknownHostException(bare);
                }
                return java.net.InetAddress.getByName(bare).getHostAddress();
            } catch (java.net.UnknownHostException e) {
                throw new IllegalArgumentException(Values.quote(text) + " is not a valid IPv6 address");
            }
        }
        String name = Values.hostSyntax(text.toLowerCase(java.util.Locale.ROOT));
        if (!Values.isIpv4Literal(name) && !UpstreamTls.sendableAsSni(name)) {
            throw new IllegalArgumentException(Values.quote(text) + " cannot be sent as a server name (SNI takes letters,"
                    + " digits, '-' and '.')");
        }
        return name;
    }
}
