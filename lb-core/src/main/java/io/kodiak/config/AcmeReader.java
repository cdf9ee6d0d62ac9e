package io.kodiak.config;

import io.kodiak.acme.AcmeSettings;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Reads the top-level {@code acme} section (Caddy's global {@code email}, {@code acme_ca},
 * {@code storage}): {@code directory} (an https URL; Let's Encrypt's production directory by
 * default), {@code email}, {@code trust} (a PEM bundle for the directory's own certificate),
 * {@code storage} (a directory), {@code challenges} (a list of {@code http-01},
 * {@code tls-alpn-01}) and {@code renew-before} (a duration). Relative paths resolve against the
 * config file's directory. Nothing is created or contacted here: {@code kodiak check} stays
 * read-only; the storage is made at start.
 */
final class AcmeReader {
    private static final List<String> KEYS = List.of("directory", "email", "trust", "storage", "challenges", "renew-before");

    private AcmeReader() {
    }

    static AcmeSettings read(ConfigNode node, Path baseDir) throws ConfigException {
        AcmeSettings d = AcmeSettings.defaults();
        if (node == null) {
            return d;
        }
        ConfigMapping m = node.mapping(KEYS);
        URI directory = d.directory();
        if (m.get("directory") != null) {
            ConfigNode n = m.get("directory");
            try {
                directory = new URI(n.string());
            } catch (java.net.URISyntaxException e) {
                throw n.error("not a URL: " + e.getReason());
            }
            if (!"https".equals(directory.getScheme()) || directory.getHost() == null) {
                throw n.error("must be an https:// URL of an ACME directory (RFC 8555 section 7.1.1)");
            }
        }
        String email = null;
        if (m.get("email") != null) {
            email = m.get("email").string();
            if (!email.matches("[^@\\s<>,;:\"]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}")) {
                throw m.get("email").error(Values.quote(email) + " is not an e-mail address");
            }
        }
        Path trust = null;
        if (m.get("trust") != null) {
            ConfigNode n = m.get("trust");
            trust = baseDir.resolve(n.string()).normalize();
            try {
                io.kodiak.tls.PemFiles.certificates(trust); // a bad bundle fails the load, not the first order
            } catch (java.io.IOException e) {
                throw n.error(e.getMessage());
            }
        }
        Path storage = m.get("storage") == null ? d.storage() : baseDir.resolve(m.get("storage").string()).normalize();
        Set<String> challenges = d.challenges();
        if (m.get("challenges") != null) {
            challenges = new LinkedHashSet<>();
            List<ConfigNode> items = m.get("challenges").sequence();
            if (items.isEmpty()) {
                throw m.get("challenges").error("must name at least one of http-01, tls-alpn-01");
            }
            for (ConfigNode item : items) {
                String c = item.string();
                if (!c.equals(AcmeSettings.HTTP_01) && !c.equals(AcmeSettings.TLS_ALPN_01)) {
                    throw item.error(Values.quote(c) + " is not a challenge Kodiak answers: http-01 or tls-alpn-01"
                            + (c.equals("dns-01") ? " (dns-01 needs a DNS provider's API; use certificate files for wildcards)" : ""));
                }
                challenges.add(c);
            }
        }
        Duration renewBefore = null;
        if (m.get("renew-before") != null) {
            renewBefore = m.get("renew-before").duration();
            if (renewBefore.compareTo(Duration.ofHours(1)) < 0 || renewBefore.compareTo(Duration.ofDays(365)) > 0) {
                throw m.get("renew-before").error("must be between 1h and 8760h (a year)");
            }
        }
        return new AcmeSettings(directory, email, trust, storage, challenges, renewBefore);
    }
}
