package io.kodiak.acme;

import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The back-off and the storage layout, without a CA (AcmePebbleTest has one). */
class AcmeManagerTest {
    @Test
    void backOffDoublesFromFiveMinutesUpToADay() {
        assertEquals(Duration.ofMinutes(5), AcmeManager.backoff(1));
        assertEquals(Duration.ofMinutes(10), AcmeManager.backoff(2));
        assertEquals(Duration.ofMinutes(40), AcmeManager.backoff(4));
        assertEquals(Duration.ofMinutes(640), AcmeManager.backoff(8));
        assertEquals(Duration.ofHours(24), AcmeManager.backoff(10));
        assertEquals(Duration.ofHours(24), AcmeManager.backoff(1000)); // no overflow
        // Let's Encrypt allows 5 failed validations per name per hour: the first hour has 4 tries.
        Duration sum = Duration.ZERO;
        int tries = 1;
        for (int n = 1; sum.plus(AcmeManager.backoff(n)).compareTo(Duration.ofHours(1)) <= 0; n++) {
            sum = sum.plus(AcmeManager.backoff(n));
            tries++;
        }
        assertEquals(4, tries);
    }

    @Test
    void renewalComesWithAThirdOfTheLifetimeLeftAndRenewBeforeIsCappedAtHalf(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        io.kodiak.tls.TestCerts certs = new io.kodiak.tls.TestCerts(dir);
        java.nio.file.Path[] pair = certs.leaf("ec", "app.test"); // valid 30 days
        io.kodiak.tls.CertifiedKey key = io.kodiak.tls.CertifiedKey.load(pair[0], pair[1], java.time.Instant.now());
        java.time.Instant notBefore = key.leaf().getNotBefore().toInstant();
        java.time.Instant notAfter = key.leaf().getNotAfter().toInstant();
        Duration life = Duration.between(notBefore, notAfter);
        AcmeSettings d = AcmeSettings.defaults();
        assertEquals(notAfter.minus(life.dividedBy(3)), manager(d, null).renewAt(key));
        assertEquals(notAfter.minus(Duration.ofDays(2)), manager(d, Duration.ofDays(2)).renewAt(key));
        // 720h before a 30-day certificate's end is its start: due at once, ordered every minute. Half caps it.
        assertEquals(notAfter.minus(life.dividedBy(2)), manager(d, Duration.ofHours(720)).renewAt(key));
    }

    private static AcmeManager manager(AcmeSettings d, Duration renewBefore) {
        return new AcmeManager(new AcmeSettings(d.directory(), null, null, d.storage(), d.challenges(), renewBefore),
                new Challenges(), java.time.Clock.systemUTC());
    }

    @Test
    void eachCaHasItsOwnDirectory() {
        assertEquals("acme-v02.api.letsencrypt.org-directory", AcmeStorage.caDirectoryName(AcmeSettings.LETS_ENCRYPT));
        assertEquals("127.0.0.1-14000-dir", AcmeStorage.caDirectoryName(URI.create("https://127.0.0.1:14000/dir")));
        // Two CAs on one host (step-ca's provisioners) keep apart; :443 is the same CA as no port.
        assertEquals("ca.example.com-acme_one_directory", AcmeStorage.caDirectoryName(URI.create("https://ca.example.com/acme/one/directory")));
        assertEquals("ca.example.com-acme_two_directory", AcmeStorage.caDirectoryName(URI.create("https://CA.example.com:443/acme/two/directory")));
    }
}
