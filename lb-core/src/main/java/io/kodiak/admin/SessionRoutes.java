package io.kodiak.admin;

import org.glassfish.grizzly.http.server.Request;
import org.glassfish.grizzly.http.server.Response;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.IntSupplier;

/**
 * {@code /v1/session}: the status page logs in with the admin token once and gets a session
 * cookie and a CSRF token ({@code docs/admin-api.md}, "Sessions and the status page's security").
 * <ul>
 *   <li>{@code GET}: {@code {"authenticated", "reads_open", "expires_at"}}, no auth needed (the page
 *       asks it first, to know whether to show the login). Never the CSRF token: whoever holds only
 *       the cookie (a server on another port of the host the browser sends it to, a stolen cookie
 *       jar) must not be able to fetch the token that makes it good for changes;</li>
 *   <li>{@code POST {"token": "..."}} (JSON only): the cookie and the CSRF token, the only answer
 *       that carries it (the page keeps it in {@code sessionStorage}); 403 for a wrong token, 429
 *       with {@code Retry-After} after too many attempts from one client ({@link LoginLimiter}).
 *       A browser that sends a live session's cookie (a second tab logging in) gets that session
 *       under a new id with the same CSRF token ({@link Sessions#renew}), so its other tabs go on;</li>
 *   <li>{@code DELETE} with the cookie and {@code X-Kodiak-CSRF}: the session ends, the cookie is
 *       cleared.</li>
 * </ul>
 *
 * <p>The cookie is {@code kodiak_admin_PORT}, PORT the admin listener's bound port: cookies do not
 * tell ports apart, so two Kodiaks on one host (or two tunnels on one loopback address) would
 * otherwise overwrite each other's session. It is {@code HttpOnly} (no script, injected or not, can
 * read the id), {@code SameSite=Strict} (another site's page cannot make the browser send it) and
 * {@code Path=/}; {@code Secure} when the login came from an {@code https://} origin (the page
 * through a TLS proxy: the browser then never sends it over plain HTTP), not otherwise, since a
 * browser would never send a Secure cookie back to the plain-HTTP listener. {@code AdminServer.authorize}
 * accepts the session for changes only together with its CSRF token, which the page's script holds
 * and a forged form cannot send. Runs on the admin listener's worker threads; the state is
 * {@link Sessions}' and {@link LoginLimiter}'s.
 */
final class SessionRoutes {
    /** The session cookie's name before the port: {@code kodiak_admin_9090}. */
    static final String COOKIE_PREFIX = "kodiak_admin_";
    /** The header every change made with the session cookie must carry, with the session's CSRF token. */
    static final String CSRF_HEADER = "X-Kodiak-CSRF";
    static final String WRONG_CSRF = "missing or wrong CSRF token (" + CSRF_HEADER + ")";

    private final String token;
    private final Sessions sessions;
    private final LoginLimiter limiter;
    /** The admin listener's bound port: known only once it listens, after this is made. */
    private final IntSupplier port;

    SessionRoutes(String token, Sessions sessions, LoginLimiter limiter, IntSupplier port) {
        this.token = token;
        this.sessions = sessions;
        this.limiter = limiter;
        this.port = port;
    }

    /** The session cookie's name on this listener: {@code kodiak_admin_PORT}. */
    String cookie() {
        return COOKIE_PREFIX + port.getAsInt();
    }

    void route(Request req, Response resp, String method, boolean openReads) throws Refused {
        switch (method) {
            case "GET", "HEAD" -> {
                Sessions.Session s = session(req);
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("authenticated", s != null);
                m.put("reads_open", openReads);
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
        Map<String, Object> body = AdminBodies.body(req);
        if (!(body.get("token") instanceof String given)) {
            throw new Refused(400, "missing field \"token\" (a string: the admin token, as kodiak ctl token prints it)");
        }
        AdminBodies.only(body, "token");
        // Counted before the comparison, under the limiter's lock: no worker can slip a guess in
        // between another's check and its count. A malformed body above costs no attempt.
        String client = client(req);
        Duration wait = limiter.attempt(client);
        if (wait.compareTo(Duration.ZERO) > 0) {
            long seconds = Math.max(1, (wait.toMillis() + 999) / 1000);
            resp.setHeader("Retry-After", Long.toString(seconds));
            AdminServer.send(resp, AdminServer.Reply.error(429, "too many wrong tokens from " + client + ": try again in "
                    + seconds + " s"));
            return;
        }
        if (!Sessions.sameSecret(given, token)) {
            throw new Refused(403, "wrong token");
        }
        limiter.succeeded(client);
        // A browser's live session goes on under a new id with its CSRF token (Sessions.renew: the
        // other tabs hold that token); any other session id it sends ends rather than stay live.
        Sessions.Session s = null;
        for (String old : cookieValues(req)) {
            Sessions.Session renewed = s == null ? sessions.renew(old) : null;
            if (renewed != null) {
                s = renewed;
            } else {
                sessions.remove(old);
            }
        }
        if (s == null) {
            s = sessions.create();
        }
        resp.addHeader("Set-Cookie", cookie() + "=" + s.id() + "; Path=/; HttpOnly; SameSite=Strict; Max-Age="
                + Sessions.ABSOLUTE.toSeconds() + secure(req));
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
        Sessions.Session s = session(req);
        if (s != null) {
            if (!Sessions.csrfMatches(s, req.getHeader(CSRF_HEADER))) {
                throw new Refused(403, WRONG_CSRF);
            }
            sessions.remove(s.id());
        }
        resp.addHeader("Set-Cookie", cookie() + "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0" + secure(req));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("authenticated", false);
        AdminServer.send(resp, AdminServer.Reply.ok(m));
    }

    /** The live session of the request's session cookie (marked as used), or {@code null}. */
    Sessions.Session session(Request req) {
        for (String id : cookieValues(req)) {
            Sessions.Session s = sessions.find(id);
            if (s != null) {
                return s;
            }
        }
        return null;
    }

    /** Whether the request carries this listener's session cookie at all, live or not (for the refusal's wording). */
    boolean hasCookie(Request req) {
        return !cookieValues(req).isEmpty();
    }

    /**
     * Every value of this listener's session cookie in the request's {@code Cookie} fields: a
     * browser may send two of a name (set for different paths), and only one of them may be live.
     * Another port's {@code kodiak_admin_PORT} is another Kodiak's and is not looked at.
     */
    private List<String> cookieValues(Request req) {
        String name = cookie();
        List<String> out = new ArrayList<>();
        for (String field : req.getHeaders("Cookie")) {
            for (String pair : field.split(";")) {
                int eq = pair.indexOf('=');
                if (eq > 0 && pair.substring(0, eq).trim().equals(name)) {
                    String v = pair.substring(eq + 1).trim();
                    if (!v.isEmpty()) {
                        out.add(v);
                    }
                }
            }
        }
        return out;
    }

    /**
     * {@code "; Secure"} when the request came from an {@code https://} page (through a TLS proxy;
     * {@link HostGuard} has already checked that the Origin is this listener's own), else nothing:
     * over plain HTTP a browser would drop a Secure cookie.
     */
    private static String secure(Request req) {
        String origin = req.getHeader("Origin");
        return origin != null && origin.trim().regionMatches(true, 0, "https://", 0, 8) ? "; Secure" : "";
    }

    /** The limiter's client of the request: its address, an IPv6 one as its /64 ({@link LoginLimiter#key}). */
    private static String client(Request req) {
        Object peer = req.getRequest().getConnection().getPeerAddress();
        if (peer instanceof InetSocketAddress a && a.getAddress() != null) {
            return LoginLimiter.key(a.getAddress());
        }
        return String.valueOf(req.getRemoteAddr()); // not an IP socket: no /64 to take
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
