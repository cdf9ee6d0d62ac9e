package io.kodiak.route;

import io.kodiak.filter.RequestContext;
import io.kodiak.http.FieldEdits;
import io.kodiak.http.FixedResponse;
import io.kodiak.http.HeadParser;
import io.kodiak.http.RequestHead;

import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@link RequestContext} for unit tests of route filters: a parsed head, a path match from a
 * regular expression as the route's {@code path-regex} gives it, and what a filter set.
 */
final class FakeRequest implements RequestContext {
    private final RequestHead head;
    private final Matcher match;
    String target;
    String host;
    boolean hostRewritten;
    int status;
    String contentType;
    byte[] body;
    FieldEdits fields;
    FixedResponse fixed;

    /** @param regex the route's path-regex, or null for none */
    FakeRequest(String rawHead, String regex) throws Exception {
        this.head = HeadParser.parseRequest(rawHead.getBytes(StandardCharsets.ISO_8859_1), 100);
        if (regex == null) {
            match = null;
        } else {
            match = Pattern.compile(regex).matcher(head.path());
            if (!match.matches()) {
                throw new IllegalArgumentException(regex + " does not match " + head.path());
            }
        }
    }

    static FakeRequest get(String target, String regex) throws Exception {
        return new FakeRequest("GET " + target + " HTTP/1.1\r\nHost: front.example\r\n\r\n", regex);
    }

    @Override
    public RequestHead head() {
        return head;
    }

    @Override
    public String clientAddress() {
        return "192.0.2.7";
    }

    @Override
    public String requestId() {
        return "rid";
    }

    @Override
    public Matcher pathMatch() {
        return match;
    }

    @Override
    public String pool() {
        return "web";
    }

    @Override
    public boolean usePool(String name) {
        return false;
    }

    @Override
    public FieldEdits upstreamFields() {
        throw new UnsupportedOperationException();
    }

    @Override
    public void rewriteTarget(String t) {
        if (!io.kodiak.http.UriText.isOriginForm(t)) {
            throw new IllegalArgumentException(t);
        }
        target = t;
    }

    @Override
    public void rewriteHost(String authority) {
        host = authority;
        hostRewritten = true;
    }

    @Override
    public void respond(int status, String contentType, byte[] body, FieldEdits fields) {
        this.status = status;
        this.contentType = contentType;
        this.body = body;
        this.fields = fields;
    }

    @Override
    public void respond(FixedResponse answer) {
        this.status = answer.status();
        this.fixed = answer;
    }
}
