package io.kodiak.config;

import io.kodiak.acme.AcmeSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;

import static io.kodiak.config.ConfigLoaderRejectionTest.ONE_POOL;
import static io.kodiak.config.ConfigLoaderRejectionTest.assertRejected;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The {@code acme} section and {@code tls.domains}: what they mean, and every rejection with its line. */
class AcmeConfigTest {
    @TempDir
    Path dir;

    private static String withDomains(String domains) {
        return "listeners:\n  - name: s\n    address: 127.0.0.1:0\n    tls:\n      domains: " + domains + "\n" + ONE_POOL;
    }

    @Test
    void domainsAloneMakeATlsListenerWithTheDefaults() throws Exception {
        KodiakConfig c = ConfigLoader.parse(withDomains("[Example.com, www.example.com]"), dir.resolve("kodiak.yaml"));
        assertEquals(List.of("example.com", "www.example.com"), c.listeners().get(0).tls().server().managed().domains());
        assertEquals(List.of(), c.listeners().get(0).tls().certificates());
        assertEquals(AcmeSettings.defaults(), c.acme());
        assertEquals(URI.create("https://acme-v02.api.letsencrypt.org/directory"), c.acme().directory());
        assertEquals(1, c.managedKeys().size());
        assertFalse(Files.exists(dir.resolve("acme")), "check and load create nothing");
    }

    @Test
    void theAcmeSectionIsRead() throws Exception {
        Path file = dir.resolve("kodiak.yaml");
        KodiakConfig c = ConfigLoader.parse("acme:\n  directory: https://acme-staging-v02.api.letsencrypt.org/directory\n"
                + "  email: ops@example.com\n  storage: state/acme\n  challenges: [tls-alpn-01]\n  renew-before: 720h\n"
                + withDomains("[example.com]"), file);
        assertEquals(new AcmeSettings(URI.create("https://acme-staging-v02.api.letsencrypt.org/directory"), "ops@example.com",
                null, dir.resolve("state/acme"), Set.of("tls-alpn-01"), Duration.ofDays(30)), c.acme());
        assertNull(ConfigLoader.parse(withDomains("[example.com]"), file).acme().renewBefore()); // a third of the lifetime
    }

    @Test
    void badDomainsAreRejectedWithTheirLine() {
        assertRejected(withDomains("['*.example.com']"), "kodiak.yaml:5: listeners[0].tls.domains[0]: \"*.example.com\": a wildcard "
                + "certificate needs the DNS-01 challenge, which Kodiak does not answer; give its files with cert and key");
        assertRejected(withDomains("[example.com, 10.0.0.1]"),
                "kodiak.yaml:5: listeners[0].tls.domains[1]: \"10.0.0.1\" is an IP address: ACME certificates here are for DNS names");
        assertRejected(withDomains("[localhost]"),
                "kodiak.yaml:5: listeners[0].tls.domains[0]: \"localhost\" is not a DNS name with at least two labels");
        assertRejected(withDomains("[a.example, A.example]"), "kodiak.yaml:5: listeners[0].tls.domains[1]: \"a.example\" is listed twice");
        assertRejected(withDomains("[]"), "kodiak.yaml:5: listeners[0].tls.domains: must list between 1 and 100 domain names");
        assertRejected("listeners:\n  - name: s\n    address: 127.0.0.1:0\n    tls: {hsts: true}\n" + ONE_POOL,
                "kodiak.yaml:4: listeners[0].tls: needs cert and key (files), certificates: [{cert, key}, ...], or domains: [...] (ACME)");
    }

    @Test
    void aBadAcmeSectionIsRejectedWithItsLine() throws Exception {
        String l = withDomains("[example.com]");
        assertRejected("acme: {directory: 'http://ca.example/dir'}\n" + l,
                "kodiak.yaml:1: acme.directory: must be an https:// URL of an ACME directory (RFC 8555 section 7.1.1)");
        assertRejected("acme: {challenges: [dns-01]}\n" + l, "kodiak.yaml:1: acme.challenges[0]: \"dns-01\" is not a challenge "
                + "Kodiak answers: http-01 or tls-alpn-01 (dns-01 needs a DNS provider's API; use certificate files for wildcards)");
        assertRejected("acme: {email: 'not an address'}\n" + l, "kodiak.yaml:1: acme.email: \"not an address\" is not an e-mail address");
        assertRejected("acme: {renew-before: 10m}\n" + l, "kodiak.yaml:1: acme.renew-before: must be between 1h and 8760h (a year)");
        Path bad = dir.resolve("ca.pem");
        Files.writeString(bad, "not a certificate\n");
        assertRejected("acme: {trust: " + bad + "}\n" + l, "kodiak.yaml:1: acme.trust: " + bad + ": not a PEM file (no -----BEGIN ...----- block)");
    }
}
