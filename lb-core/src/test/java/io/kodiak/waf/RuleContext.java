package io.kodiak.waf;

import io.kodiak.filter.BodyInspector;
import io.kodiak.filter.RequestContext;
import io.kodiak.http.FieldEdits;
import io.kodiak.http.HeadParser;
import io.kodiak.http.RequestHead;

import java.nio.charset.StandardCharsets;

/** A {@link RequestContext} for unit tests of request rules: a parsed head, and what the filter did. */
final class RuleContext implements RequestContext {
    private final RequestHead head;
    int status;
    BodyInspector inspector;

    RuleContext(String rawHead) throws Exception {
        this.head = HeadParser.parseRequest(rawHead.getBytes(StandardCharsets.ISO_8859_1), 200);
    }

    static RuleContext request(String method, String target, String... fields) throws Exception {
        StringBuilder sb = new StringBuilder(method + " " + target + " HTTP/1.1\r\nHost: app.example\r\n");
        for (String f : fields) {
            sb.append(f).append("\r\n");
        }
        return new RuleContext(sb.append("\r\n").toString());
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
    public void respond(int status, String contentType, byte[] body, FieldEdits fields) {
        this.status = status;
    }

    @Override
    public void inspectBody(BodyInspector i) {
        inspector = inspector == null ? i : BodyInspector.both(inspector, i);
    }
}
