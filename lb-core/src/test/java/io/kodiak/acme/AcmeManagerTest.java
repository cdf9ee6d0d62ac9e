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
    void eachCaHasItsOwnDirectory() {
        assertEquals("acme-v02.api.letsencrypt.org", AcmeStorage.caDirectoryName(AcmeSettings.LETS_ENCRYPT));
        assertEquals("127.0.0.1-14000", AcmeStorage.caDirectoryName(URI.create("https://127.0.0.1:14000/dir")));
        assertEquals("acme.example.com", AcmeStorage.caDirectoryName(URI.create("https://Acme.Example.COM/directory")));
    }
}
