package io.kodiak.admin;

import org.glassfish.grizzly.http.server.Request;
import org.glassfish.grizzly.http.server.Response;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code /v1/session}: the status page logs in with the admin token once and gets a session
 * cookie and a CSRF token ({@code docs/admin-api.md}, "Sessions and the status page's security").
 * <ul>
 *   <li>{@code GET}: {@code {"authenticated", "reads_open", "csrf", "expires_at"}}, no auth needed
 *       (the page asks it first, to know whether to show the login);</li>
 *   <li>{@code POST {"token": "..."}} (JSON only): the cookie {@value #COOKIE} and the CSRF token;
 *       403 for a wrong token, 429 with {@code Retry-After} after too many from one address
 *       ({@link LoginLimiter});</li>
 *   <li>{@code DELETE} with the cookie and {@code X-Kodiak-CSRF}: the session ends, the cookie is
 *       cleared.</li>
 * </ul>
 *
 * <p>The cookie is {@code HttpOnly} (no script, injected or not, can read the id),
 * {@code SameSite=Strict} (another site's page cannot make the browser send it) and
 * {@code Path=/}; it has no {@code Secure} because the admin listener speaks plain HTTP (a remote
 * admin listener belongs behind TLS or an SSH tunnel). {@code AdminServer.authorize} accepts the
 * session for changes only together with its CSRF token, which the page's script holds and a
 * forged form cannot send. Runs on the admin listener's worker threads; the state is
 * {@link Sessions}' and {@link LoginLimiter}'s.
 */
final class SessionRoutes {
    /** The session cookie's name. */
    static final String COOKIE = "kodiak_admin";
    /** The header every change made with the session cookie must carry, with the session's CSRF token. */
    static final String CSRF_HEADER = "X-Kodiak-CSRF";
    static final String WRONG_CSRF = "missing or wrong CSRF token (" + CSRF_HEADER + ")";

    private final String token;
    private final Sessions sessions;
    private final LoginLimiter limiter;

    SessionRoutes(String token, Sessions sessions, LoginLimiter limiter) {
        this.token = token;
        this.sessions = sessions;
        this.limiter = limiter;
    }

    void route(Request req, Response resp, String method, boolean openReads) throws Refused {
        switch (method) {
            case "GET", "HEAD" -> {
                Sessions.Session s = session(req, sessions);
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("authenticated", s != null);
                m.put("reads_open", openReads);
                m.put("csrf", s == null ? null : s.csrf());
                m.put("expires_at", s == null ? null : iso(s.expiresAt()));
                AdminServer.send(resp, AdminServer.Reply.ok(m));
            }
            case "POST" -> login(req, resp);
            case "DELETE" -> logout(req, resp);
            default -> throw new Refused(405, "method " + method + " is not allowed here (use GET, POST to log in or DELETE to log out)");
        }
    }

    private void login(Request req, Response resp) throws Refused {
        if (!isJson(req)) {
            throw new Refused(415, "the login is JSON (Content-Type: application/json): {\"token\": \"...\"}");
        }
        String address = req.getRemoteAddr();
        Duration wait = limiter.blockedFor(address);
        if (wait.compareTo(Duration.ZERO) > 0) {
            long seconds = Math.max(1, (wait.toMillis() + 999) / 1000);
            resp.setHeader("Retry-After", Long.toString(seconds));
            AdminServer.send(resp, AdminServer.Reply.error(429, "too many wrong tokens from " + address + ": try again in "
                    + seconds + " s"));
            return;
        }
        Map<String, Object> body = AdminBodies.body(req);
        if (!(body.get("token") instanceof String given)) {
            throw new Refused(400, "missing field \"token\" (a string: the admin token, as kodiak ctl token prints it)");
        }
        AdminBodies.only(body, "token");
        if (!MessageDigest.isEqual(given.getBytes(StandardCharsets.UTF_8), token.getBytes(StandardCharsets.UTF_8))) {
            limiter.failed(address);
            throw new Refused(403, "wrong token");
        }
        limiter.succeeded(address);
        for (String old : cookieValues(req)) {
            sessions.remove(old); // a new login replaces the browser's old session rather than leave it live
        }
        Sessions.Session s = sessions.create();
        resp.addHeader("Set-Cookie", COOKIE + "=" + s.id() + "; Path=/; HttpOnly; SameSite=Strict; Max-Age="
                + Sessions.ABSOLUTE.toSeconds());
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("authenticated", true);
        m.put("csrf", s.csrf());
        m.put("expires_at", iso(s.expiresAt()));
        AdminServer.send(resp, AdminServer.Reply.ok(m));
    }

    /**
     * Ends the session. Without a live session there is nothing to protect, so it answers the
     * same (logged out, cookie cleared): a page whose session ran out can still log out cleanly.
     * With one, the CSRF token is needed, so that no other page can log the operator out.
     */
    private void logout(Request req, Response resp) throws Refused {
        Sessions.Session s = session(req, sessions);
        if (s != null) {
            if (!Sessions.csrfMatches(s, req.getHeader(CSRF_HEADER))) {
                throw new Refused(403, WRONG_CSRF);
            }
            sessions.remove(s.id());
        }
        resp.addHeader("Set-Cookie", COOKIE + "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("authenticated", false);
        AdminServer.send(resp, AdminServer.Reply.ok(m));
    }

    /** The live session of the request's {@value #COOKIE} cookie (marked as used), or {@code null}. */
    static Sessions.Session session(Request req, Sessions sessions) {
        for (String id : cookieValues(req)) {
            Sessions.Session s = sessions.find(id);
            if (s != null) {
                return s;
            }
        }
        return null;
    }

    /** Whether the request carries a {@value #COOKIE} cookie at all, live or not (for the refusal's wording). */
    static boolean hasCookie(Request req) {
        return !cookieValues(req).isEmpty();
    }

    /**
     * Every {@value #COOKIE} value in the request's {@code Cookie} fields: a browser may send two
     * of a name (set for different paths), and only one of them may be live.
     */
    private static List<String> cookieValues(Request req) {
        List<String> out = new ArrayList<>();
        for (String field : req.getHeaders("Cookie")) {
            for (String pair : field.split(";")) {
                int eq = pair.indexOf('=');
                if (eq > 0 && pair.substring(0, eq).trim().equals(COOKIE)) {
                    String v = pair.substring(eq + 1).trim();
                    if (!v.isEmpty()) {
                        out.add(v);
                    }
                }
            }
        }
        return out;
    }

    /** Whether the request says its body is JSON: {@code application/json}, parameters allowed. */
    static boolean isJson(Request req) {
        String ct = req.getHeader("Content-Type");
        return ct != null && ct.split(";", 2)[0].trim().toLowerCase(Locale.ROOT).equals("application/json");
    }

    private static String iso(Instant t) {
        return t.truncatedTo(ChronoUnit.MILLIS).toString();
    }
}
