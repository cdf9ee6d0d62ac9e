package io.kodiak.auth;

import io.kodiak.config.ForwardAuthConfig;
import io.kodiak.filter.RequestContext;
import io.kodiak.filter.RequestFilter;
import io.kodiak.filter.Suspension;
import io.kodiak.http.Bytes;
import io.kodiak.http.FieldRemovals;
import io.kodiak.http.HeaderFields;
import io.kodiak.http.RequestHead;

import java.util.List;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * {@code forward-auth}: asks an auth service about each request before it goes on (nginx
 * {@code auth_request} + {@code auth_request_set}, Traefik ForwardAuth). The subrequest is
 * {@code GET path} to the configured pool with the client's chosen fields ({@code Authorization},
 * {@code Cookie}...) and what Kodiak knows of the request: {@code X-Forwarded-Method},
 * {@code -Proto}, {@code -Host}, {@code -Uri}, {@code -For} (the real client address) and
 * {@code X-Original-URI}; never a body. The answer is {@link ForwardAuthDecision}'s to interpret.
 *
 * <p>The filter suspends the request while the subrequest is out ({@link RequestContext#suspend})
 * and resumes it from the reply; the subrequest's own timeout bounds the wait. A request whose
 * credential has a cached answer is decided at once, without a subrequest.
 *
 * <p>Threading: {@link #onRequest} on a client's selector thread with its lock held; it never
 * blocks (the subrequest is Kodiak's non-blocking upstream I/O). Shared by every connection of its
 * listener or route; its only state is the cache, which is thread-safe.
 */
public final class ForwardAuthFilter implements RequestFilter {
    private final ForwardAuthConfig config;
    private final ForwardAuthSender sender;
    /** The configured request-headers in lower case. */
    private final String[] requestLower;
    private final long timeoutNanos;
    private final ForwardAuthCache cache;
    private final String where;
    /** The response-headers and their '_' twins: the client's are removed from every request let through. */
    private final FieldRemovals removed;

    /**
     * @param sender   sends to the configured pool
     * @param nanoTime the cache's clock
     * @param where    the route or listener, for the log
     */
    public ForwardAuthFilter(ForwardAuthConfig config, ForwardAuthSender sender, LongSupplier nanoTime, String where) {
        this.config = config;
        this.sender = sender;
        this.where = where;
        this.requestLower = config.requestHeaders().stream().map(n -> n.toLowerCase(Locale.ROOT)).toArray(String[]::new);
        this.timeoutNanos = config.timeout().toNanos();
        this.removed = FieldRemovals.withUnderscoreTwins(config.responseHeaders());
        ForwardAuthConfig.Cache c = config.cache();
        this.cache = c == null ? null : new ForwardAuthCache(c.ttl().toNanos(), c.maxEntries(), c.denials(), nanoTime);
    }

    @Override
    public Verdict onRequest(RequestContext ctx) {
        RequestHead head = ctx.head();
        ForwardAuthCache.Key key = null;
        if (cache != null) {
            key = ForwardAuthCache.key(head, config.requestHeaders(), config.cache().scope(), ctx.scheme(), ctx.clientAddress());
            ForwardAuthDecision hit = key == null ? null : cache.get(key);
            if (hit != null) {
                return hit.apply(ctx, removed);
            }
        }
        byte[] fields = fields(ctx);
        Suspension s = ctx.suspend();
        ForwardAuthCache.Key k = key;
        sender.send(config.path(), fields, head, ctx.clientAddress(), config.maxBody(), timeoutNanos, reply -> {
            ForwardAuthDecision d = ForwardAuthDecision.of(reply, config.responseHeaders(), where);
            if (k != null) {
                cache.put(k, d); // kept even if this client left: the next request with the credential uses it
            }
            s.resume(c -> d.apply(c, removed));
        });
        return Verdict.SUSPENDED;
    }

    /** The subrequest's fields: the client's chosen ones as it sent them, then Kodiak's. */
    byte[] fields(RequestContext ctx) {
        RequestHead head = ctx.head();
        HeaderFields f = head.fields();
        Bytes out = new Bytes(256);
        for (int i = 0; i < f.size(); i++) {
            for (String lower : requestLower) {
                if (f.nameIs(i, lower)) {
                    out.append(f.bytes(), f.nameStart(i), f.nameEnd(i)).append(": ")
                            .append(f.bytes(), f.valueStart(i), f.valueEnd(i)).crlf();
                    break;
                }
            }
        }
        String host = head.host();
        out.field("X-Forwarded-Method", head.method())
                .field("X-Forwarded-Proto", ctx.scheme());
        if (host != null) {
            out.field("X-Forwarded-Host", host);
        }
        out.field("X-Forwarded-Uri", head.target())
                .field("X-Original-URI", head.target())
                .field("X-Forwarded-For", ctx.clientAddress())
                .field("X-Request-ID", ctx.requestId());
        return out.toArray();
    }

    /** Answers kept, for tests and toString. */
    int cached() {
        return cache == null ? 0 : cache.size();
    }

    @Override
    public String toString() {
        return "ForwardAuthFilter[" + where + " -> " + config.pool() + config.path()
                + (cache == null ? "" : ", " + cache) + "]";
    }
}
