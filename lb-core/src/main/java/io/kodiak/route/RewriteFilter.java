package io.kodiak.route;

import io.kodiak.config.RewriteConfig;
import io.kodiak.filter.RequestContext;
import io.kodiak.filter.RequestFilter;
import io.kodiak.filter.RequestVariables;
import io.kodiak.filter.Template;
import io.kodiak.http.HttpException;
import io.kodiak.http.PathNormalizer;
import io.kodiak.http.UriText;

/**
 * A route's {@code rewrite}: changes the target and Host sent upstream, never the rest of the
 * head (nginx {@code rewrite ... break} and {@code proxy_pass} with a URI, HAProxy
 * {@code http-request set-path|replace-path|set-query}, Traefik StripPrefix).
 *
 * <p>The path forms work on the normalised path the route matched (dot segments removed,
 * unreserved characters decoded: {@link io.kodiak.http.PathNormalizer}), as nginx rewrites its
 * normalised {@code $uri}; a request whose path is left as it was, with no {@code query} to set,
 * goes upstream byte for byte. What a template adds from the request is percent-encoded
 * ({@link UriText}), so a rewritten target is always a valid origin-form: a '?' in a path value
 * becomes {@code %3F}, a space {@code %20}, and no CR or LF can reach the request line.
 *
 * <p>Immutable and thread-safe; runs on a selector thread and never blocks.
 */
public final class RewriteFilter implements RequestFilter {
    private static final byte[] BAD_PATH = "400 Bad Request\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private final RewriteConfig c;

    public RewriteFilter(RewriteConfig c) {
        this.c = c;
    }

    @Override
    public Verdict onRequest(RequestContext r) {
        String target;
        try {
            target = target(r);
        } catch (HttpException e) {
            // A value from the request climbed out of the path: the request is refused, as one
            // whose own path does that is (nginx answers 400 too).
            r.respond(400, "text/plain; charset=utf-8", BAD_PATH, null);
            return Verdict.RESPONDED;
        }
        if (target != null) {
            r.rewriteTarget(target);
        }
        if (c.hostOfUpstream()) {
            r.rewriteHost(null);
        } else if (c.host() != null) {
            r.rewriteHost(c.host());
        }
        return Verdict.CONTINUE;
    }

    /**
     * The new target, or null when the client's goes upstream unchanged.
     *
     * @throws HttpException 400 when the new path climbs above the root
     */
    String target(RequestContext r) throws HttpException {
        String path = r.head().path();
        if (path.isEmpty() || path.charAt(0) != '/') {
            return null; // OPTIONS *: nothing to rewrite
        }
        String newPath = newPath(r, path);
        if (newPath == null && c.query() == null) {
            return null;
        }
        if (newPath == null) {
            newPath = path;
        }
        String original = r.head().target();
        if (c.query() == null) {
            int q = original.indexOf('?');
            return q < 0 ? newPath : newPath + original.substring(q);
        }
        String query = UriText.query(c.query().expand(RequestVariables.of(r)));
        return query.isEmpty() ? newPath : newPath + "?" + query;
    }

    /**
     * The rewritten path, or null when no path form applies. What a replacement or a template
     * made is normalised again ({@code /a/../b} is {@code /b}), so that a value from the request
     * cannot add dot segments the upstream would resolve above the path the route meant.
     */
    private String newPath(RequestContext r, String path) throws HttpException {
        if (c.stripPrefix() != null) {
            return path.startsWith(c.stripPrefix()) ? rooted(path.substring(c.stripPrefix().length())) : null;
        }
        if (c.replaceFrom() != null) {
            return path.startsWith(c.replaceFrom())
                    ? PathNormalizer.normalize(c.replaceTo() + path.substring(c.replaceFrom().length())) : null;
        }
        Template t = c.path();
        return t == null ? null : PathNormalizer.normalize(rooted(UriText.path(t.expand(RequestVariables.of(r)))));
    }

    /** {@code p} as an origin-form path: "" is "/", and one without a leading '/' gets one. */
    private static String rooted(String p) {
        return p.isEmpty() ? "/" : p.charAt(0) == '/' ? p : "/" + p;
    }

    @Override
    public String toString() {
        return "RewriteFilter[" + c + "]";
    }
}
