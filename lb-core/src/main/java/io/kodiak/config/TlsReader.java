package io.kodiak.config;

import io.kodiak.tls.CertifiedKey;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a listener's {@code tls}: one certificate as {@code {cert: FILE, key: FILE}} (nginx's
 * {@code ssl_certificate} and {@code ssl_certificate_key}: certbot's {@code fullchain.pem} and
 * {@code privkey.pem}), or several as {@code certificates: [{cert, key}, ...]}, chosen per
 * connection by SNI, the first being the default. Relative paths resolve against the config
 * file's directory. The files are read here, so every problem is reported with the line it comes
 * from: {@code kodiak.yaml:14: listeners[0].tls.cert: /etc/x.pem: the certificate expired on ...}.
 * {@code engine: auto | openssl | jdk} chooses the TLS implementation ({@link io.kodiak.tls.TlsEngine}).
 */
final class TlsReader {
    private static final List<String> KEYS = List.of("cert", "key", "certificates", "hsts", "client-auth", "engine");
    private static final List<String> CLIENT_AUTH_KEYS = List.of("ca", "mode", "headers");
    private static final List<String> CLIENT_HEADER_KEYS = List.of("verify", "subject", "issuer", "fingerprint");
    private static final List<String> HSTS_KEYS = List.of("max-age", "include-subdomains", "preload");
    /** Two years: Mozilla's recommendation, and what {@code hsts: true} means. */
    static final long DEFAULT_HSTS_SECONDS = 63_072_000;
    private static final List<String> PAIR_KEYS = List.of("cert", "key");

    private TlsReader() {
    }

    static TlsConfig read(ConfigNode node, Path baseDir, Instant now) throws ConfigException {
        ConfigMapping m = node.mapping(KEYS);
        List<ConfigMapping> pairs = new ArrayList<>();
        if (m.get("certificates") != null) {
            if (m.get("cert") != null || m.get("key") != null) {
                throw node.error("give either cert and key, or certificates: [{cert, key}, ...], not both");
            }
            List<ConfigNode> items = m.get("certificates").sequence();
            if (items.isEmpty()) {
                throw m.get("certificates").error("must list at least one {cert, key}");
            }
            for (ConfigNode item : items) {
                pairs.add(item.mapping(PAIR_KEYS));
            }
        } else {
            pairs.add(m);
        }
        List<TlsConfig.CertFiles> files = new ArrayList<>();
        List<CertifiedKey> keys = new ArrayList<>();
        for (ConfigMapping pair : pairs) {
            ConfigNode certNode = pair.require("cert");
            ConfigNode keyNode = pair.require("key");
            TlsConfig.CertFiles f = new TlsConfig.CertFiles(baseDir.resolve(certNode.string()).normalize(),
                    baseDir.resolve(keyNode.string()).normalize());
            try {
                keys.add(CertifiedKey.load(f.cert(), f.key(), now)); // one by one, to point at the line at fault
            } catch (IOException e) {
                boolean keyAtFault = e instanceof io.kodiak.tls.PemFiles.FileProblem p && p.isKey();
                throw (keyAtFault ? keyNode : certNode).error(e.getMessage());
            }
            files.add(f);
        }
        TlsConfig.Hsts hsts = m.get("hsts") == null ? null : hsts(m.get("hsts"));
        io.kodiak.tls.ClientAuth clientAuth = m.get("client-auth") == null ? null : clientAuth(m.get("client-auth"), baseDir);
        io.kodiak.tls.TlsEngine engine = io.kodiak.tls.TlsEngine.AUTO;
        ConfigNode engineNode = m.get("engine");
        if (engineNode != null) {
            engine = io.kodiak.tls.TlsEngine.parse(engineNode.string());
            if (engine == null) {
                throw engineNode.error("must be auto, openssl or jdk, not " + Values.quote(engineNode.string()));
            }
        }
        try {
            return TlsConfig.of(files, keys, clientAuth, engine).withHsts(hsts);
        } catch (IllegalStateException e) {
            throw (engineNode == null ? node : engineNode).error(e.getMessage()); // openssl, named, where it cannot load
        } catch (IOException e) {
            throw node.error(e.getMessage());
        }
    }

    /** {@code hsts: true} (two years), {@code false}, or {@code {max-age, include-subdomains, preload}}. */
    private static TlsConfig.Hsts hsts(ConfigNode node) throws ConfigException {
        if (node.isScalar()) {
            return node.bool() ? new TlsConfig.Hsts(DEFAULT_HSTS_SECONDS, false, false) : null;
        }
        ConfigMapping m = node.mapping(HSTS_KEYS);
        long maxAge = DEFAULT_HSTS_SECONDS;
        ConfigNode age = m.get("max-age");
        if (age != null) {
            String text = age.string();
            maxAge = text.matches("[0-9]{1,10}") ? Long.parseLong(text) : age.duration().toSeconds();
            if (maxAge < 0 || maxAge > 10L * DEFAULT_HSTS_SECONDS) {
                throw age.error("must be between 0 (browsers forget the host) and 20 years, in seconds or with a unit");
            }
        }
        boolean sub = m.get("include-subdomains") != null && m.get("include-subdomains").bool();
        boolean preload = m.get("preload") != null && m.get("preload").bool();
        if (preload && (!sub || maxAge < 31_536_000)) {
            throw m.get("preload").error("the browsers' preload lists need include-subdomains: true and a max-age of"
                    + " at least a year (31536000)");
        }
        return new TlsConfig.Hsts(maxAge, sub, preload);
    }

    /** {@code client-auth: {ca: FILE, mode: required|optional, headers: {verify, subject, issuer, fingerprint}}}. */
    private static io.kodiak.tls.ClientAuth clientAuth(ConfigNode node, Path baseDir) throws ConfigException {
        ConfigMapping m = node.mapping(CLIENT_AUTH_KEYS);
        ConfigNode caNode = m.require("ca");
        List<java.security.cert.X509Certificate> cas;
        try {
            cas = io.kodiak.tls.PemFiles.certificates(baseDir.resolve(caNode.string()).normalize());
        } catch (IOException e) {
            throw caNode.error(e.getMessage());
        }
        boolean required = true;
        if (m.get("mode") != null) {
            required = switch (m.get("mode").string()) {
                case "required" -> true;
                case "optional" -> false;
                default -> throw m.get("mode").error("must be required or optional, not " + Values.quote(m.get("mode").string()));
            };
        }
        String[] names = {io.kodiak.tls.ClientAuth.VERIFY, io.kodiak.tls.ClientAuth.SUBJECT, io.kodiak.tls.ClientAuth.ISSUER,
                io.kodiak.tls.ClientAuth.FINGERPRINT};
        if (m.get("headers") != null) {
            ConfigMapping h = m.get("headers").mapping(CLIENT_HEADER_KEYS);
            for (int i = 0; i < names.length; i++) {
                ConfigNode n = h.get(CLIENT_HEADER_KEYS.get(i));
                if (n != null) {
                    names[i] = n.string();
                    if (!names[i].matches("[A-Za-z0-9-]{1,64}")) {
                        throw n.error(Values.quote(names[i]) + " is not a field name (letters, digits and '-')");
                    }
                }
            }
        }
        return new io.kodiak.tls.ClientAuth(cas, required, names[0], names[1], names[2], names[3]);
    }
}
