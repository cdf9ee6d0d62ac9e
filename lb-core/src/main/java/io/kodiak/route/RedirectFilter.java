package io.kodiak.route;

import io.kodiak.config.RedirectConfig;
import io.kodiak.filter.RequestContext;
import io.kodiak.filter.RequestFilter;
import io.kodiak.filter.RequestVariables;
import io.kodiak.http.FieldEdits;
import io.kodiak.http.ResponseEncoder;
import io.kodiak.http.UriText;

import java.nio.charset.StandardCharsets;

/**
 * A route's {@code redirect}: answers with its status and a {@code Location} expanded from the
 * target, without an upstream (nginx {@code rewrite ... redirect|permanent}, {@code return 301 URL};
 * HAProxy {@code http-request redirect}). As nginx's rewrite does, the client's query is appended
 * when the target has no '?', and a target that ends in '?' drops it (the '?' too). A relative
 * target goes out as it is (RFC 9110 §10.2.2 allows it).
 *
 * <p>The target's variables come from the request, so the {@code Location} is percent-encoded
 * ({@link UriText#reference}): a CR, LF, space or control character a client put in its path or
 * a field can never split the field or the head. The short HTML body is nginx's kind, made once
 * per status; a HEAD answer has none.
 *
 * <p>Immutable and thread-safe; runs on a selector thread and never blocks.
 */
public final class RedirectFilter implements RequestFilter {
    private static final String HTML = "text/html; charset=utf-8";
    private final RedirectConfig c;
    private final byte[] body;

    public RedirectFilter(RedirectConfig c) {
        this.c = c;
        String title = c.status() + " " + ResponseEncoder.reason(c.status());
        this.body = ("<html>\r\n<head><title>" + title + "</title></head>\r\n<body>\r\n<center><h1>" + title
                + "</h1></center>\r\n</body>\r\n</html>\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    @Override
    public Verdict onRequest(RequestContext r) {
        r.respond(c.status(), HTML, body, new FieldEdits().add("Location", location(r)));
        return Verdict.RESPONDED;
    }

    /** The {@code Location} for {@code r}: expanded, the query appended or dropped, encoded. */
    String location(RequestContext r) {
        String to = c.to().expand(RequestVariables.of(r));
        int q = to.indexOf('?');
        if (q < 0) {
            String target = r.head().target();
            int tq = target.indexOf('?');
            if (tq >= 0) {
                to = to + target.substring(tq);
            }
        } else if (q == to.length() - 1) {
            to = to.substring(0, q);
        }
        return UriText.reference(to);
    }

    @Override
    public String toString() {
        return "RedirectFilter[" + c.status() + " " + c.to() + "]";
    }
}
