package io.kodiak.admin;

import org.junit.jupiter.api.Test;

import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The session store and the login limiter on a clock the test moves: expiry, bounds, secrets. */
class SessionsTest {
    /** A clock that moves only when the test says so. */
    private static final class TestClock implements InstantSource {
        Instant now = Instant.parse("2026-12-05T10:00:00Z");

        @Override
        public Instant instant() {
            return now;
        }

        void advance(Duration d) {
            now = now.plus(d);
        }
    }

    private final TestClock clock = new TestClock();
    private final Sessions sessions = new Sessions(clock, new SecureRandom());

    @Test
    void aSessionHasRandom32ByteIdAndCsrfTokenAndIsFoundByItsIdOnly() {
        Sessions.Session s = sessions.create();
        assertEquals(32, Base64.getUrlDecoder().decode(s.id()).length);
        assertEquals(32, Base64.getUrlDecoder().decode(s.csrf()).length);
        assertNotEquals(s.id(), s.csrf());
        assertEquals(s.csrf(), sessions.find(s.id()).csrf());
        assertNull(sessions.find(s.csrf()), "the CSRF token is no session id");
        assertNull(sessions.find(s.id() + "x"));
        assertNull(sessions.find(""));
        assertNull(sessions.find(null));
        assertFalse(s.toString().contains(s.id()) || s.toString().contains(s.csrf()), "no secret in a log line: " + s);
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < 50; i++) {
            ids.add(sessions.create().id());
        }
        assertEquals(50, ids.size());
    }

    @Test
    void theCsrfTokenMustMatchExactly() {
        Sessions.Session s = sessions.create();
        assertTrue(Sessions.csrfMatches(s, s.csrf()));
        assertFalse(Sessions.csrfMatches(s, null));
        assertFalse(Sessions.csrfMatches(s, ""));
        assertFalse(Sessions.csrfMatches(s, s.csrf().substring(1)));
        assertFalse(Sessions.csrfMatches(s, sessions.create().csrf()), "another session's token");
    }

    @Test
    void aSessionEndsAfterEightIdleHoursAndUseKeepsItAlive() {
        Sessions.Session s = sessions.create();
        assertEquals(clock.now.plus(Sessions.IDLE), s.expiresAt());
        clock.advance(Duration.ofHours(7));
        Sessions.Session used = sessions.find(s.id());
        assertNotNull(used);
        assertEquals(clock.now.plus(Sessions.IDLE), used.expiresAt(), "use moves the idle end");
        clock.advance(Duration.ofHours(7));
        assertNotNull(sessions.find(s.id()), "14 h after the login, but used 7 h ago");
        clock.advance(Sessions.IDLE);
        assertNull(sessions.find(s.id()), "8 h without use");
        assertEquals(0, sessions.size());
    }

    @Test
    void aSessionEndsTwentyFourHoursAfterTheLoginHoweverMuchItIsUsed() {
        Sessions.Session s = sessions.create();
        Instant end = clock.now.plus(Sessions.ABSOLUTE);
        assertEquals(end, s.endsAt());
        for (int i = 0; i < 23; i++) {
            clock.advance(Duration.ofHours(1));
            Sessions.Session used = sessions.find(s.id());
            assertNotNull(used, "hour " + (i + 1));
            assertFalse(used.expiresAt().isAfter(end), "never past the absolute end: " + used.expiresAt());
        }
        assertEquals(end, sessions.find(s.id()).expiresAt(), "an hour before the end, the end is the nearer one");
        clock.advance(Duration.ofHours(1));
        assertNull(sessions.find(s.id()));
    }

    @Test
    void atMost64SessionsAndTheOldestGoesFirst() {
        List<Sessions.Session> all = new ArrayList<>();
        for (int i = 0; i < Sessions.MAX_SESSIONS + 3; i++) {
            all.add(sessions.create());
        }
        assertEquals(Sessions.MAX_SESSIONS, sessions.size());
        for (int i = 0; i < 3; i++) {
            assertNull(sessions.find(all.get(i).id()), "the oldest logins ended: " + i);
        }
        for (int i = 3; i < all.size(); i++) {
            assertNotNull(sessions.find(all.get(i).id()), "session " + i);
        }
    }

    @Test
    void removeEndsASession() {
        Sessions.Session a = sessions.create();
        Sessions.Session b = sessions.create();
        sessions.remove(a.id());
        sessions.remove("not-a-session");
        sessions.remove(null);
        assertNull(sessions.find(a.id()));
        assertNotNull(sessions.find(b.id()));
    }

    @Test
    void tenWrongTokensAMinuteBlockAnAddressUntilTheMinuteEnds() {
        LoginLimiter limiter = new LoginLimiter(clock, LoginLimiter.MAX_FAILURES, LoginLimiter.WINDOW, LoginLimiter.MAX_ADDRESSES);
        for (int i = 0; i < 9; i++) {
            limiter.failed("10.0.0.1");
            clock.advance(Duration.ofSeconds(2));
        }
        assertEquals(Duration.ZERO, limiter.blockedFor("10.0.0.1"), "nine failures");
        limiter.failed("10.0.0.1"); // the tenth, 18 s after the first
        assertEquals(Duration.ofSeconds(42), limiter.blockedFor("10.0.0.1"));
        assertEquals(Duration.ZERO, limiter.blockedFor("10.0.0.2"), "per address");
        clock.advance(Duration.ofSeconds(41));
        assertEquals(Duration.ofSeconds(1), limiter.blockedFor("10.0.0.1"));
        clock.advance(Duration.ofSeconds(1));
        assertEquals(Duration.ZERO, limiter.blockedFor("10.0.0.1"), "the minute is over");
        limiter.failed("10.0.0.1");
        assertEquals(Duration.ZERO, limiter.blockedFor("10.0.0.1"), "a new window counts from one");
    }

    @Test
    void aRightTokenClearsTheAddressesFailures() {
        LoginLimiter limiter = new LoginLimiter(clock, 3, Duration.ofMinutes(1), 10);
        limiter.failed("a");
        limiter.failed("a");
        limiter.succeeded("a");
        limiter.failed("a");
        limiter.failed("a");
        assertEquals(Duration.ZERO, limiter.blockedFor("a"));
        limiter.failed("a");
        assertTrue(limiter.blockedFor("a").compareTo(Duration.ZERO) > 0);
    }

    @Test
    void theLimiterTracksABoundedNumberOfAddresses() {
        LoginLimiter limiter = new LoginLimiter(clock, 2, Duration.ofMinutes(1), 4);
        limiter.failed("blocked");
        limiter.failed("blocked");
        for (int i = 0; i < 3; i++) {
            limiter.failed("other-" + i);
        }
        assertTrue(limiter.blockedFor("blocked").compareTo(Duration.ZERO) > 0, "just looked at: the most recently used");
        for (int i = 3; i < 100; i++) {
            limiter.failed("other-" + i);
        }
        assertEquals(4, limiter.tracked());
        assertEquals(Duration.ZERO, limiter.blockedFor("blocked"), "forgotten, as the least recently used");
    }
}
