package io.kodiak.admin;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The status page's sessions: after a login with the admin token, the browser holds a session id
 * in an HttpOnly cookie and the page's script a CSRF token that every change must carry
 * ({@link SessionRoutes}, {@code AdminServer.authorize}).
 *
 * <p><b>Bounds.</b> At most {@value #MAX_SESSIONS} sessions: a new login past that ends the oldest
 * one (a person needs few; a script that logs in again and again must not grow the heap). A session
 * ends after {@link #IDLE} without use or {@link #ABSOLUTE} after the login, whichever comes first,
 * as OWASP's session guidance suggests for an admin interface: a forgotten browser is logged out
 * by the next morning, and no cookie is good forever.
 *
 * <p><b>Secrets.</b> Ids and CSRF tokens are 32 bytes of {@link SecureRandom} each, base64url.
 * The store is keyed by the SHA-256 of the id, not the id: a map lookup's timing depends on the
 * key, and on a hash it tells an attacker nothing about the ids (and a heap dump holds no usable
 * id). CSRF tokens are compared in constant time ({@link MessageDigest#isEqual}).
 *
 * <p>Thread-safe: every method holds the store's lock for a few map operations; the admin
 * listener's worker threads call it. Time comes from the given {@link InstantSource}, so tests
 * move a clock instead of sleeping.
 */
final class Sessions {
    static final int MAX_SESSIONS = 64;
    static final Duration IDLE = Duration.ofHours(8);
    static final Duration ABSOLUTE = Duration.ofHours(24);
    private static final int SECRET_BYTES = 32;

    /**
     * A live session as a request sees it.
     *
     * @param id        the cookie's value (only the browser and this record hold it)
     * @param csrf      the token every change must send in {@code X-Kodiak-CSRF}
     * @param expiresAt when it ends if not used before (idle), never after the absolute end
     * @param endsAt    the absolute end: the cookie's {@code Max-Age} counts down to it
     */
    record Session(String id, String csrf, Instant expiresAt, Instant endsAt) {
        @Override
        public String toString() {
            return "Session[expires " + expiresAt + "]"; // never the secrets, should one reach a log line
        }
    }

    private static final class Entry {
        final String csrf;
        final Instant created;
        Instant lastUsed;

        Entry(String csrf, Instant created) {
            this.csrf = csrf;
            this.created = created;
            this.lastUsed = created;
        }

        Instant end() {
            return created.plus(ABSOLUTE);
        }

        Instant expiresAt() {
            Instant idle = lastUsed.plus(IDLE);
            return idle.isBefore(end()) ? idle : end();
        }
    }

    private final InstantSource clock;
    private final SecureRandom random;
    /** By SHA-256 of the id; insertion order, so the first entry is the oldest login. */
    private final Map<String, Entry> byHash = new LinkedHashMap<>();

    Sessions(InstantSource clock, SecureRandom random) {
        this.clock = clock;
        this.random = random;
    }

    /** Sessions on the system clock. */
    Sessions() {
        this(InstantSource.system(), new SecureRandom());
    }

    /** A new session (after a login with the right token); the oldest goes if there are {@value #MAX_SESSIONS}. */
    synchronized Session create() {
        Instant now = clock.instant();
        purge(now);
        while (byHash.size() >= MAX_SESSIONS) {
            Iterator<String> oldest = byHash.keySet().iterator();
            oldest.next();
            oldest.remove();
        }
        String id = secret();
        Entry e = new Entry(secret(), now);
        byHash.put(hash(id), e);
        return new Session(id, e.csrf, e.expiresAt(), e.end());
    }

    /**
     * A login in a browser that already has the live session {@code oldId}: the session goes on
     * under a new id (the old one ends: a copy of the old cookie is no good any more, and an id
     * planted before the login is never the one logged in) with the same CSRF token, and counts its
     * 24 hours from now. The token stays because it lives in each tab's {@code sessionStorage}:
     * a second tab that logs in must not leave the first holding a token of an ended session. The
     * caller has checked the admin token, so handing out the CSRF token again tells nobody
     * anything new. {@code null} if {@code oldId} is no live session (then {@link #create}).
     */
    synchronized Session renew(String oldId) {
        if (oldId == null || oldId.isEmpty() || oldId.length() > 100) {
            return null;
        }
        Instant now = clock.instant();
        Entry old = byHash.remove(hash(oldId));
        if (old == null || !now.isBefore(old.expiresAt())) {
            return null;
        }
        String id = secret();
        Entry e = new Entry(old.csrf, now);
        byHash.put(hash(id), e);
        return new Session(id, e.csrf, e.expiresAt(), e.end());
    }

    /**
     * The live session of the cookie value {@code id}, marked as used now, or {@code null} for an
     * unknown, ended or malformed id.
     */
    synchronized Session find(String id) {
        if (id == null || id.isEmpty() || id.length() > 100) {
            return null;
        }
        String key = hash(id);
        Entry e = byHash.get(key);
        if (e == null) {
            return null;
        }
        Instant now = clock.instant();
        if (!now.isBefore(e.expiresAt())) {
            byHash.remove(key);
            return null;
        }
        e.lastUsed = now;
        return new Session(id, e.csrf, e.expiresAt(), e.end());
    }

    /** Ends the session of {@code id} (logout); nothing if there is none. */
    synchronized void remove(String id) {
        if (id != null) {
            byHash.remove(hash(id));
        }
    }

    /** Whether {@code given} (the {@code X-Kodiak-CSRF} header, or {@code null}) is {@code s}'s token; constant time. */
    static boolean csrfMatches(Session s, String given) {
        return given != null && sameSecret(given.trim(), s.csrf());
    }

    /**
     * Whether {@code given} is {@code expected}, in time that depends only on their lengths: the one
     * comparison of the admin token (bearer and login) and of CSRF tokens, so the checks cannot drift apart.
     */
    static boolean sameSecret(String given, String expected) {
        return MessageDigest.isEqual(given.getBytes(StandardCharsets.UTF_8), expected.getBytes(StandardCharsets.UTF_8));
    }

    /** How many sessions are live now. */
    synchronized int size() {
        purge(clock.instant());
        return byHash.size();
    }

    private void purge(Instant now) {
        byHash.values().removeIf(e -> !now.isBefore(e.expiresAt()));
    }

    private String secret() {
        byte[] b = new byte[SECRET_BYTES];
        random.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    private static String hash(String id) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(id.getBytes(StandardCharsets.UTF_8));
            return Base64.getEncoder().encodeToString(d);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    @Override
    public synchronized String toString() {
        return "Sessions[" + byHash.size() + " of at most " + MAX_SESSIONS + "]";
    }
}
