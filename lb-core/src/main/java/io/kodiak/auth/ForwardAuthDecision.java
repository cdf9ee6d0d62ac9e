package io.kodiak.auth;

import io.kodiak.filter.RequestContext;
import io.kodiak.filter.RequestFilter;
import io.kodiak.http.FieldEdits;
import io.kodiak.http.FieldRemovals;
import io.kodiak.http.HeaderFields;
import io.kodiak.http.ResponseEncoder;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.logging.Logger;

/**
 * What a forward-auth answer means for the request, worked out once from the reply so that the
 * cache can keep it: let it through with the fields to add upstream ({@link #allows()}), or answer
 * the client ({@code status}, {@code fields}, {@code body}): the auth service's denial, or
 * Kodiak's 500 (the service failed, as nginx's {@code auth_request}) or 503 (no upstream of its pool
 * could be asked).
 *
 * <p>Immutable; applied on the client's selector thread.
 *
 * @param status      0 to let the request through; else the status of the answer to the client
 * @param fields      for a 2xx, the auth service's fields to copy upstream; for a denial, those
 *                    that go to the client ({@code Location}, {@code WWW-Authenticate},
 *                    {@code Set-Cookie}); as name, value, name, value...
 * @param contentType a denial's body's type, or null
 * @param body        a denial's body; empty otherwise
 */
record ForwardAuthDecision(int status, List<String> fields, String contentType, byte[] body) {
    private static final Logger LOG = Logger.getLogger(ForwardAuthDecision.class.getName());
    private static final List<String> TO_CLIENT = List.of("location", "www-authenticate", "set-cookie");
    private static final String TEXT = "text/plain; charset=utf-8";

    boolean allows() {
        return status == 0;
    }

    /** Whether the cache may keep it: an allowance, or (if {@code denials}) a 401 or 403. */
    boolean cacheable(boolean denials) {
        return allows() || denials && (status == 401 || status == 403);
    }

    /** About how many bytes it holds, for the cache's bound on one entry. */
    int weight() {
        int w = body.length + 64;
        for (String s : fields) {
            w += s.length() + 16;
        }
        return w;
    }

    /**
     * @param copied the configured {@code response-headers}
     * @param where  the route or listener, for the log
     */
    static ForwardAuthDecision of(ForwardAuthReply r, List<String> copied, String where) {
        if (r.failure() != null) {
            int status = r.failure() == ForwardAuthReply.Failure.UNAVAILABLE ? 503 : 500;
            LOG.info(() -> where + ": " + r.reason() + "; answering " + status);
            return error(status);
        }
        int status = r.status();
        HeaderFields f = r.fields();
        List<String> fields = new ArrayList<>();
        if (status >= 200 && status < 300) {
            for (String name : copied) {
                String lower = name.toLowerCase(Locale.ROOT);
                for (int i = f.indexOf(lower, 0); i >= 0; i = f.indexOf(lower, i + 1)) {
                    fields.add(name);
                    fields.add(f.value(i));
                }
            }
            return new ForwardAuthDecision(0, List.copyOf(fields), null, new byte[0]);
        }
        if (!ForwardAuthReply.isDenial(status)) {
            LOG.info(() -> where + ": the auth service answered " + status + " (not 2xx, 401, 403 or a redirect); answering 500");
            return error(500);
        }
        for (int i = 0; i < f.size(); i++) {
            for (String name : TO_CLIENT) {
                if (f.nameIs(i, name)) {
                    fields.add(f.name(i));
                    fields.add(f.value(i));
                }
            }
        }
        String type = f.get("content-type");
        if (type == null) { // sent only with a body; a type is needed all the same
            type = r.body().length > 0 ? "application/octet-stream" : TEXT;
        }
        try {
            edits(fields); // a value Kodiak cannot send is the auth service's fault
        } catch (IllegalArgumentException e) {
            LOG.info(() -> where + ": the auth service answered a field Kodiak cannot pass on (" + e.getMessage() + "); answering 500");
            return error(500);
        }
        return new ForwardAuthDecision(status, List.copyOf(fields), type, r.body());
    }

    private static ForwardAuthDecision error(int status) {
        return new ForwardAuthDecision(status, List.of(), TEXT,
                (status + " " + ResponseEncoder.reason(status) + "\n").getBytes(StandardCharsets.US_ASCII));
    }

    private static FieldEdits edits(List<String> fields) {
        FieldEdits e = new FieldEdits();
        for (int i = 0; i < fields.size(); i += 2) {
            e.add(fields.get(i), fields.get(i + 1));
        }
        return e;
    }

    /**
     * Applies it: the client's fields named in {@code response-headers} are removed whatever the
     * answer, with their '_' twins ({@code removed}: a client never forges {@code X-User}, nor
     * {@code X_User} that a WSGI app reads alike), then a 2xx's are added; a denial or an error
     * answers.
     */
    RequestFilter.Verdict apply(RequestContext ctx, FieldRemovals removed) {
        if (!allows()) {
            ctx.respond(status, contentType, body, fields.isEmpty() ? null : edits(fields));
            return RequestFilter.Verdict.RESPONDED;
        }
        FieldEdits up = ctx.upstreamFields();
        up.removeAll(removed);
        for (int i = 0; i < fields.size(); i += 2) {
            up.add(fields.get(i), fields.get(i + 1));
        }
        return RequestFilter.Verdict.CONTINUE;
    }

    @Override
    public String toString() {
        return "ForwardAuthDecision[" + (allows() ? "allow " + fields.size() / 2 + " fields" : status) + "]";
    }
}
