package io.kodiak.tls;

import org.junit.jupiter.api.Test;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Session ticket keys rotate on time and are forgotten when their tickets have expired, on a clock the test moves. */
class TicketKeysTest {
    /** A clock that moves only when told. */
    private static final class ManualClock extends Clock {
        private Instant now = Instant.parse("2026-01-01T00:00:00Z");

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    private final ManualClock clock = new ManualClock();

    private TicketKeys keys() {
        return new TicketKeys(clock, new SecureRandom(), Duration.ofHours(1), Duration.ofHours(3));
    }

    @Test
    void theSameKeysUntilTheRotationIsDueThenANewOneEncryptsAndTheOldStillDecrypts() {
        TicketKeys k = keys();
        TicketKeys.Ring first = k.current();
        assertEquals(1, first.keys().size());
        assertEquals(16, first.keys().get(0).name().length);
        clock.advance(Duration.ofMinutes(59));
        assertSame(first, k.current());
        clock.advance(Duration.ofMinutes(1));
        TicketKeys.Ring second = k.current();
        assertEquals(first.generation() + 1, second.generation());
        assertEquals(2, second.keys().size());
        assertArrayEquals(first.keys().get(0).name(), second.keys().get(1).name()); // the old one, second: it only decrypts
        assertFalse(java.util.Arrays.equals(first.keys().get(0).aesKey(), second.keys().get(0).aesKey()));
    }

    @Test
    void keysAreForgottenOnceEveryTicketTheyMadeHasExpired() {
        TicketKeys k = keys();
        for (int hour = 1; hour <= 10; hour++) {
            clock.advance(Duration.ofHours(1));
            assertEquals(Math.min(hour + 1, k.maxKeys()), k.current().keys().size(), "hour " + hour);
        }
        assertEquals(4, k.maxKeys()); // the encrypting key and three hours of tickets
    }

    @Test
    void afterALongIdleSpellOnlyTheNewKeyIsLeft() {
        TicketKeys k = keys();
        clock.advance(Duration.ofHours(2));
        k.current();
        clock.advance(Duration.ofDays(2)); // nobody connected: nothing rotated, and nothing used the old keys since
        assertEquals(1, k.current().keys().size());
    }

    @Test
    void theRotationMustFitInTheLifetime() {
        assertThrows(IllegalArgumentException.class,
                () -> new TicketKeys(clock, new SecureRandom(), Duration.ofHours(2), Duration.ofHours(1)));
    }
}
