package io.kodiak.tls;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

/** How a listener's key manager chooses among its files and the certificates ACME keeps for it. */
class ManagedKeysTest {
    @TempDir
    static Path dir;
    static CertifiedKey app;
    static CertifiedKey app2;
    static CertifiedKey www;
    static CertifiedKey wildcard;

    @BeforeAll
    static void certificates() throws Exception {
        TestCerts certs = new TestCerts(dir);
        app = load(certs.leaf("ec", "app.test"));
        app2 = load(certs.leaf("ec", "app.test"));
        www = load(certs.leaf("ec", "www.test"));
        wildcard = load(certs.leaf("ec", "*.test"));
    }

    /** Checked as of after it was made: its start is the second openssl made it in. */
    private static CertifiedKey load(Path[] pair) throws Exception {
        return CertifiedKey.load(pair[0], pair[1], Instant.now().plusSeconds(1));
    }

    @Test
    void aManagedNameComesBeforeAWildcardFileAndAfterAnExactOne() {
        ManagedKeys m = new ManagedKeys(List.of("app.test", "www.test"));
        SniKeyManager km = new SniKeyManager(List.of(wildcard, www), m);
        m.put("app.test", app);
        m.put("www.test", app2); // the file names www.test exactly: it wins
        assertSame(app, m.byAlias(alias(km, "app.test")));
        assertEquals("1", alias(km, "www.test"));
        assertEquals("0", alias(km, "other.test")); // only the wildcard covers it
        assertEquals("0", alias(km, null)); // the files' default
    }

    @Test
    void withoutFilesTheFirstDomainServesClientsWithoutSniAndAWaitingDomainGetsNone() {
        ManagedKeys m = new ManagedKeys(List.of("app.test", "www.test"));
        SniKeyManager km = new SniKeyManager(List.of(), m);
        assertNull(alias(km, null)); // nothing obtained yet: no handshake
        m.put("www.test", www);
        assertSame(www, m.byAlias(alias(km, null)));
        assertNull(alias(km, "app.test")); // waiting for its own: not www.test's
        assertSame(www, m.byAlias(alias(km, "elsewhere.test")));
        assertNull(km.chooseAlias(null, "RSA")); // managed certificates are ECDSA
    }

    @Test
    void aRenewalDuringAHandshakeStillPairsTheChosenChainWithItsKey() {
        ManagedKeys m = new ManagedKeys(List.of("app.test"));
        SniKeyManager km = new SniKeyManager(List.of(), m);
        m.put("app.test", app);
        String before = alias(km, "app.test");
        m.put("app.test", app2); // renewed between the choice and the key lookup
        assertSame(app.key(), km.getPrivateKey(before));
        assertEquals(app.chain(), List.of(km.getCertificateChain(before)));
        assertSame(app2.key(), km.getPrivateKey(alias(km, "app.test")));
        m.put("app.test", wildcard); // renewed again: only the one before is kept for handshakes in progress
        assertNull(km.getPrivateKey(before));
        assertSame(app2.key(), km.getPrivateKey(ManagedKeys.alias("app.test", app2)));
    }

    /** The alias the key manager picks for an ECDSA handshake asking for {@code host}. */
    private static String alias(SniKeyManager km, String host) {
        return km.chooseAlias(host, "EC");
    }
}
