package io.kodiak.auth;

import io.kodiak.htpasswd.HtpasswdUsers;
import io.kodiak.htpasswd.PasswordHash;

import io.kodiak.config.BasicAuthConfig;
import io.kodiak.filter.RequestContext;
import io.kodiak.filter.RequestFilter;
import io.kodiak.filter.Suspension;
import io.kodiak.http.FieldEdits;
import io.kodiak.http.FieldRemovals;
import io.kodiak.http.HeaderFields;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;

/**
 * {@code basic-auth}: lets a request through only with the user and password of an htpasswd file
 * (nginx {@code auth_basic}, HAProxy {@code http-request auth}, Traefik {@code BasicAuth}); any
 * other gets 401 with {@code WWW-Authenticate: Basic realm="...", charset="UTF-8"} (and the
 * route's or listener's error pages). A missing, repeated or malformed {@code Authorization}
 * is a 401, never a 500.
 *
 * <p>How a request is checked, cheapest first: a recent success of the same user, password and
 * hash line ({@link PasswordCache}) lets it through at once; a recent failure refuses it at once;
 * a {@code {SHA}} hash is checked in place (one SHA-1); bcrypt and APR1 are checked by a worker
 * of {@link BasicAuthRuntime} while the request is suspended, and resumed on its own thread. An
 * unknown user is checked against the file's dummy hash, as costly as its dearest, so that it
 * is answered as slowly as a wrong password. When the workers have {@link BasicAuthRuntime#DEFAULT_PENDING}
 * checks pending the answer is 503 with {@code Retry-After: 1}.
 *
 * <p>Let through, the request goes upstream without the client's {@code Authorization} unless
 * {@code pass-authorization}, and with the user's name in {@code user-header} if set (the client's
 * field of that name is replaced, so it cannot be forged).
 *
 * <p>Threading: {@link #onRequest} on the client's selector thread with its lock held, never
 * blocking; the check on a worker; the verdict back on the selector thread through the
 * {@link Suspension}. Immutable but for the shared runtime; one per configured section.
 */
public final class BasicAuthFilter implements RequestFilter {
    private static final String TEXT = "text/plain; charset=utf-8";
    private final BasicAuthRuntime rt;
    private final HtpasswdWatch users;
    private final boolean passAuthorization;
    private final String userHeader;
    /** The user-header and its '_' twins, removed before it is set; null without one. */
    private final FieldRemovals userHeaderTwins;
    /*
     * The answers, made once and shared: they go through respond(status, ...) rather than as a
     * FixedResponse so that the route's and listener's error-pages apply to them.
     */
    private static final byte[] UNAUTHORIZED = "401 Unauthorized\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] UNAVAILABLE = "503 Service Unavailable\n".getBytes(StandardCharsets.US_ASCII);
    private static final FieldEdits RETRY = new FieldEdits().set("Retry-After", "1");
    private final FieldEdits challenge;

    public BasicAuthFilter(BasicAuthConfig c, BasicAuthRuntime rt) {
        this.rt = rt;
        this.users = rt.watch(c.usersFile(), c.users());
        this.passAuthorization = c.passAuthorization();
        this.userHeader = c.userHeader();
        this.userHeaderTwins = userHeader == null ? null : FieldRemovals.withUnderscoreTwins(List.of(userHeader));
        this.challenge = new FieldEdits().set("WWW-Authenticate", "Basic realm=\"" + c.realm() + "\", charset=\"UTF-8\"");
    }

    @Override
    public Verdict onRequest(RequestContext request) {
        HeaderFields fields = request.head().fields();
        int at = fields.indexOf("authorization", 0);
        if (at < 0 || fields.indexOf("authorization", at + 1) >= 0) {
            return refuse(request); // none, or two: which one would we believe?
        }
        BasicCredentials credentials = BasicCredentials.parse(fields.value(at));
        if (credentials == null) {
            return refuse(request);
        }
        String user = credentials.user();
        byte[] password = credentials.password();
        HtpasswdUsers table = users.current();
        PasswordHash hash = table.get(user);
        ByteBuffer key = PasswordCache.key(user, password, hash == null ? "" : hash.text());
        if (hash != null && rt.passed.contains(key)) {
            rt.countGranted(true);
            return grant(request, user);
        }
        if (rt.failed.contains(key)) {
            return refuse(request);
        }
        PasswordHash check = hash == null ? table.dummy() : hash;
        if (!check.expensive()) {
            boolean ok = remember(key, check.matches(password) && hash != null);
            return ok ? granted(request, user) : refuse(request);
        }
        if (!rt.tryStart()) {
            return busy(request);
        }
        Suspension suspension;
        try {
            suspension = request.suspend();
        } catch (RuntimeException e) {
            rt.abandon();
            throw e;
        }
        try {
            rt.execute(() -> {
                if (suspension.cancelled()) {
                    return; // the client left: spare the CPU
                }
                boolean ok;
                try {
                    ok = remember(key, check.matches(password) && hash != null); // remembered even if the client left meanwhile
                } catch (RuntimeException e) {
                    suspension.resume(r -> {
                        throw e; // a bug: the exchange answers 500 and logs it, as for any filter's
                    });
                    return;
                }
                suspension.resume(r -> ok ? granted(r, user) : refuse(r));
            });
        } catch (RejectedExecutionException e) { // stopping
            rt.abandon();
            suspension.resume(this::busy);
        }
        return Verdict.SUSPENDED;
    }

    /** Puts a check's result in the cache of successes or of failures; any thread. */
    private boolean remember(ByteBuffer key, boolean ok) {
        (ok ? rt.passed : rt.failed).put(key);
        return ok;
    }

    /** Lets through a request whose password was just checked. */
    private Verdict granted(RequestContext request, String user) {
        rt.countGranted(false);
        return grant(request, user);
    }

    private Verdict grant(RequestContext request, String user) {
        request.remoteUser(user);
        FieldEdits upstream = request.upstreamFields();
        if (!passAuthorization) {
            upstream.remove("Authorization");
        }
        if (userHeader != null) {
            upstream.removeAll(userHeaderTwins); // X_User too: a WSGI app reads it as X-User
            upstream.set(userHeader, fieldSafe(user));
        }
        return Verdict.CONTINUE;
    }

    private Verdict refuse(RequestContext request) {
        rt.countRefused();
        request.respond(401, TEXT, UNAUTHORIZED, challenge);
        return Verdict.RESPONDED;
    }

    private Verdict busy(RequestContext request) {
        rt.countBusy();
        request.respond(503, TEXT, UNAVAILABLE, RETRY);
        return Verdict.RESPONDED;
    }

    /**
     * The user's name as a field value: as it is when printable ASCII, else its UTF-8 bytes
     * outside printable ASCII (and '%') percent-encoded, so that a name never becomes bytes the
     * upstream would read in another charset.
     */
    static String fieldSafe(String user) {
        boolean plain = true;
        for (int i = 0; i < user.length() && plain; i++) {
            char c = user.charAt(i);
            plain = c > 0x20 && c < 0x7f && c != '%';
        }
        if (plain) {
            return user;
        }
        StringBuilder b = new StringBuilder();
        for (byte x : user.getBytes(StandardCharsets.UTF_8)) {
            int c = x & 0xff;
            if (c > 0x20 && c < 0x7f && c != '%') {
                b.append((char) c);
            } else {
                b.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 15, 16)));
            }
        }
        return b.toString();
    }

    @Override
    public String toString() {
        return "BasicAuthFilter[" + users.file() + ", pass-authorization " + passAuthorization
                + (userHeader == null ? "" : ", user-header " + userHeader) + "]";
    }
}
