package io.kodiak.admin;

import org.junit.jupiter.api.Test;

import io.kodiak.config.AdminConfig;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The session store and the login limiter on a clock the test moves: expiry, bounds, secrets; the weak-token warning. */
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
    void renewGivesALiveSessionANewIdAndKeepsItsCsrfToken() {
        Sessions.Session s = sessions.create();
        clock.advance(Duration.ofHours(2));
        Sessions.Session r = sessions.renew(s.id());
        assertNotNull(r);
        assertNotEquals(s.id(), r.id());
        assertEquals(s.csrf(), r.csrf());
        assertNull(sessions.find(s.id()), "the old id ends");
        assertEquals(r.csrf(), sessions.find(r.id()).csrf());
        assertEquals(clock.now.plus(Sessions.ABSOLUTE), r.endsAt(), "a login with the token starts the 24 h again");
        assertEquals(1, sessions.size());

        assertNull(sessions.renew("unknown"), "nothing to renew: the caller creates one");
        assertNull(sessions.renew(null));
        assertNull(sessions.renew(s.id()), "an ended id is not renewed");
        clock.advance(Sessions.IDLE);
        assertNull(sessions.renew(r.id()), "nor an idle one");
        assertEquals(0, sessions.size());
    }

    @Test
    void tenAttemptsAMinuteBlockAClientUntilTheMinuteEnds() {
        LoginLimiter limiter = new LoginLimiter(clock, LoginLimiter.MAX_FAILURES, LoginLimiter.WINDOW, LoginLimiter.MAX_CLIENTS);
        for (int i = 0; i < 10; i++) {
            assertEquals(Duration.ZERO, limiter.attempt("10.0.0.1"), "attempt " + i);
            clock.advance(Duration.ofSeconds(2));
        }
        // The tenth came 18 s after the first; now 20 s after it.
        assertEquals(Duration.ofSeconds(40), limiter.attempt("10.0.0.1"));
        assertEquals(Duration.ofSeconds(40), limiter.attempt("10.0.0.1"), "a refused attempt does not move the window");
        assertEquals(Duration.ZERO, limiter.attempt("10.0.0.2"), "per client");
        clock.advance(Duration.ofSeconds(39));
        assertEquals(Duration.ofSeconds(1), limiter.attempt("10.0.0.1"));
        clock.advance(Duration.ofSeconds(1));
        assertEquals(Duration.ZERO, limiter.attempt("10.0.0.1"), "the minute is over");
        for (int i = 1; i < 10; i++) {
            assertEquals(Duration.ZERO, limiter.attempt("10.0.0.1"), "a new window counts from one: " + i);
        }
        assertTrue(limiter.attempt("10.0.0.1").compareTo(Duration.ZERO) > 0);
    }

    @Test
    void aRightTokenClearsTheClientsAttempts() {
        LoginLimiter limiter = new LoginLimiter(clock, 3, Duration.ofMinutes(1), 10);
        limiter.attempt("a");
        limiter.attempt("a");
        limiter.attempt("a");
        limiter.succeeded("a"); // the third was the right token
        assertEquals(Duration.ZERO, limiter.attempt("a"));
        assertEquals(Duration.ZERO, limiter.attempt("a"));
        assertEquals(Duration.ZERO, limiter.attempt("a"));
        assertTrue(limiter.attempt("a").compareTo(Duration.ZERO) > 0);
    }

    /**
     * The check and the count are one step: however many workers try at once, exactly
     * {@code maxFailures} attempts go through in a window. (Checking in one call and counting in
     * another let each of the admin listener's four workers pass the check at nine.)
     */
    @Test
    void concurrentAttemptsGetExactlyTheAllowanceAndNoMore() throws Exception {
        LoginLimiter limiter = new LoginLimiter(clock, LoginLimiter.MAX_FAILURES, LoginLimiter.WINDOW, LoginLimiter.MAX_CLIENTS);
        int threads = 8;
        CountDownLatch go = new CountDownLatch(1);
        AtomicInteger allowed = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                done.add(pool.submit(() -> {
                    go.await();
                    for (int i = 0; i < 50; i++) {
                        if (limiter.attempt("10.0.0.1").isZero()) {
                            allowed.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : done) {
                f.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(LoginLimiter.MAX_FAILURES, allowed.get());
    }

    @Test
    void anIpv6ClientIsItsSlash64AndIpv4ItsAddress() throws Exception {
        assertEquals("2001:db8:0:1::/64", LoginLimiter.key(InetAddress.getByName("2001:db8:0:1::1")));
        assertEquals("2001:db8:0:1::/64", LoginLimiter.key(InetAddress.getByName("2001:db8:0:1:ffff:eeee:dddd:cccc")));
        assertEquals("2001:db8:0:2::/64", LoginLimiter.key(InetAddress.getByName("2001:db8:0:2::1")));
        assertEquals("0:0:0:0::/64", LoginLimiter.key(InetAddress.getByName("::1")));
        assertEquals("10.0.0.1", LoginLimiter.key(InetAddress.getByName("10.0.0.1")));
        assertEquals("10.0.0.1", LoginLimiter.key(InetAddress.getByName("::ffff:10.0.0.1")), "IPv4-mapped is IPv4");

        LoginLimiter limiter = new LoginLimiter(clock, 2, Duration.ofMinutes(1), 10);
        limiter.attempt(LoginLimiter.key(InetAddress.getByName("2001:db8:0:1::1")));
        limiter.attempt(LoginLimiter.key(InetAddress.getByName("2001:db8:0:1::2")));
        assertTrue(limiter.attempt(LoginLimiter.key(InetAddress.getByName("2001:db8:0:1::3"))).compareTo(Duration.ZERO) > 0,
                "another address of the same /64 is the same client");
        assertEquals(Duration.ZERO, limiter.attempt(LoginLimiter.key(InetAddress.getByName("2001:db8:0:2::1"))), "the next /64 is not");
    }

    @Test
    void theLimiterTracksABoundedNumberOfClients() {
        LoginLimiter limiter = new LoginLimiter(clock, 2, Duration.ofMinutes(1), 4);
        limiter.attempt("blocked");
        limiter.attempt("blocked");
        for (int i = 0; i < 3; i++) {
            limiter.attempt("other-" + i);
        }
        assertTrue(limiter.attempt("blocked").compareTo(Duration.ZERO) > 0, "just looked at: the most recently used");
        for (int i = 3; i < 100; i++) {
            limiter.attempt("other-" + i);
        }
        assertEquals(4, limiter.tracked());
        assertEquals(Duration.ZERO, limiter.attempt("blocked"), "forgotten, as the least recently used");
    }

    @Test
    void aShortTokenFromTheEnvironmentIsWarnedAboutAndNothingElseIs() {
        AdminConfig loopback = new AdminConfig(new InetSocketAddress("127.0.0.1", 0), null, null);
        String w = TokenFile.weakTokenWarning(loopback, "abc");
        assertNotNull(w);
        assertTrue(w.startsWith("admin: KODIAK_ADMIN_TOKEN is only 3 characters"), w);
        assertFalse(w.contains("abc"), "never the token itself in a log line: " + w);
        assertNull(TokenFile.weakTokenWarning(loopback, "0123456789abcdef"), "16 is enough");
        assertNull(TokenFile.weakTokenWarning(loopback, null), "none: a generated one");
        assertNull(TokenFile.weakTokenWarning(loopback, ""));
        AdminConfig configured = new AdminConfig(new InetSocketAddress("127.0.0.1", 0), "0123456789abcdef-from-the-file", null);
        assertNull(TokenFile.weakTokenWarning(configured, "abc"), "the file's token wins; the environment's is not used");
    }
}
