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
    private static final List<String> KEYS = List.of("cert", "key", "pkcs12", "password-file", "certificates", "domains", "hsts",
            "client-auth", "handshake-timeout", "max-handshakes", "engine", "ocsp-stapling");
    /** Let's Encrypt's limit of names per certificate; here one certificate is ordered per name. */
    static final int MAX_DOMAINS = 100;
    private static final List<String> CLIENT_AUTH_KEYS = List.of("ca", "mode", "headers");
    private static final List<String> CLIENT_HEADER_KEYS = List.of("verify", "subject", "issuer", "fingerprint");
    private static final List<String> HSTS_KEYS = List.of("max-age", "include-subdomains", "preload");
    /** Two years: Mozilla's recommendation, and what {@code hsts: true} means. */
    static final long DEFAULT_HSTS_SECONDS = 63_072_000;
    private static final List<String> PAIR_KEYS = List.of("cert", "key", "pkcs12", "password-file");

    private TlsReader() {
    }

    static TlsConfig read(ConfigNode node, Path baseDir, Instant now) throws ConfigException {
        ConfigMapping m = node.mapping(KEYS);
        List<ConfigMapping> pairs = new ArrayList<>();
        if (m.get("certificates") != null) {
            if (m.get("cert") != null || m.get("key") != null || m.get("pkcs12") != null) {
                throw node.error("give either cert and key (or pkcs12), or certificates: [{cert, key}, ...], not both");
            }
            List<ConfigNode> items = m.get("certificates").sequence();
            if (items.isEmpty()) {
                throw m.get("certificates").error("must list at least one {cert, key}");
            }
            for (ConfigNode item : items) {
                pairs.add(item.mapping(PAIR_KEYS));
            }
        } else if (m.get("cert") != null || m.get("key") != null || m.get("pkcs12") != null || m.get("domains") == null) {
            pairs.add(m);
        }
        io.kodiak.tls.ManagedKeys managed = m.get("domains") == null ? null : new io.kodiak.tls.ManagedKeys(domains(m.get("domains")));
        List<TlsConfig.CertFiles> files = new ArrayList<>();
        List<CertifiedKey> keys = new ArrayList<>();
        for (ConfigMapping pair : pairs) {
            if (pair == m && m.get("cert") == null && m.get("key") == null && m.get("pkcs12") == null) {
                throw node.error("needs cert and key (files), certificates: [{cert, key}, ...], or domains: [...] (ACME)");
            }
            if (pair.get("pkcs12") != null) {
                pkcs12(pair, baseDir, now, files, keys);
                continue;
            }
            if (pair.get("password-file") != null) {
                throw pair.get("password-file").error("is the password of a pkcs12 file; PEM keys are read unencrypted");
            }
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
        TlsConfig.Handshakes handshakes = handshakes(m);
        io.kodiak.tls.TlsEngine engine = io.kodiak.tls.TlsEngine.AUTO;
        ConfigNode engineNode = m.get("engine");
        if (engineNode != null) {
            engine = io.kodiak.tls.TlsEngine.parse(engineNode.string());
            if (engine == null) {
                throw engineNode.error("must be auto, openssl or jdk, not " + Values.quote(engineNode.string()));
            }
        }
        try {
            boolean stapling = m.get("ocsp-stapling") == null || m.get("ocsp-stapling").bool();
            return TlsConfig.of(files, keys, clientAuth, engine, managed, stapling).withHsts(hsts).withHandshakes(handshakes);
        } catch (IllegalStateException e) {
            throw (engineNode == null ? node : engineNode).error(e.getMessage()); // openssl, named, where it cannot load
        } catch (IOException e) {
            throw node.error(e.getMessage());
        }
    }

    /**
     * {@code {pkcs12: FILE, password-file: FILE}}: every key entry of a PKCS#12 file, each with its
     * chain. The password comes from a file (readable by Kodiak's user alone), never from the
     * configuration, which is often shared.
     */
    private static void pkcs12(ConfigMapping pair, Path baseDir, Instant now, List<TlsConfig.CertFiles> files,
                               List<CertifiedKey> keys) throws ConfigException {
        ConfigNode fileNode = pair.get("pkcs12");
        if (pair.get("cert") != null || pair.get("key") != null) {
            throw fileNode.error("give either pkcs12 or cert and key, not both");
        }
        ConfigNode pw = pair.get("password-file");
        TlsConfig.CertFiles f = TlsConfig.CertFiles.pkcs12(baseDir.resolve(fileNode.string()).normalize(),
                pw == null ? null : baseDir.resolve(pw.string()).normalize());
        try {
            for (CertifiedKey k : TlsConfig.loadPkcs12(f, now)) {
                keys.add(k);
                files.add(f);
            }
        } catch (java.io.IOException e) {
            boolean passwordAtFault = e instanceof io.kodiak.tls.PemFiles.FileProblem p && pw != null
                    && p.file().equals(f.passwordFile());
            throw (passwordAtFault ? pw : fileNode).error(e.getMessage());
        }
    }

    /**
     * {@code domains: [example.com, www.example.com]}: names whose certificates Kodiak obtains over
     * ACME, one certificate per name. DNS names only: a wildcard needs the DNS-01 challenge, an IP
     * address a CA that issues for them, and neither is what Kodiak answers.
     */
    private static List<String> domains(ConfigNode node) throws ConfigException {
        List<ConfigNode> items = node.sequence();
        if (items.isEmpty() || items.size() > MAX_DOMAINS) {
            throw node.error("must list between 1 and " + MAX_DOMAINS + " domain names");
        }
        List<String> names = new ArrayList<>();
        for (ConfigNode item : items) {
            String d = item.string().toLowerCase(java.util.Locale.ROOT);
            if (d.startsWith("*.")) {
                throw item.error(Values.quote(d) + ": a wildcard certificate needs the DNS-01 challenge, which Kodiak does not"
                        + " answer; give its files with cert and key");
            }
            if (d.matches("[0-9.]+") || d.contains(":")) {
                throw item.error(Values.quote(d) + " is an IP address: ACME certificates here are for DNS names");
            }
            if (d.length() > 253 || !d.matches("([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")) {
                throw item.error(Values.quote(d) + " is not a DNS name with at least two labels");
            }
            if (names.contains(d)) {
                throw item.error(Values.quote(d) + " is listed twice");
            }
            names.add(d);
        }
        return names;
    }

    /** {@code handshake-timeout} (a duration, at least 100 ms) and {@code max-handshakes} (1 to 1,000,000). */
    private static TlsConfig.Handshakes handshakes(ConfigMapping m) throws ConfigException {
        TlsConfig.Handshakes d = TlsConfig.Handshakes.DEFAULTS;
        java.time.Duration timeout = d.timeout();
        ConfigNode t = m.get("handshake-timeout");
        if (t != null) {
            timeout = t.duration();
            if (timeout.toMillis() < 100) {
                throw t.error("must be at least 100ms: a handshake takes two round trips");
            }
        }
        int max = m.get("max-handshakes") == null ? d.max() : m.get("max-handshakes").integer(1, 1_000_000);
        return new TlsConfig.Handshakes(timeout, max);
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
        Path caFile = baseDir.resolve(caNode.string()).normalize();
        try {
            cas = io.kodiak.tls.PemFiles.certificates(caFile);
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
        return new io.kodiak.tls.ClientAuth(cas, required, names[0], names[1], names[2], names[3], caFile);
    }
}
