package io.kodiak.auth;

import io.kodiak.filter.RequestContext;
import io.kodiak.filter.RequestFilter;
import io.kodiak.filter.Suspension;
import io.kodiak.http.FieldEdits;
import io.kodiak.http.HeadParser;
import io.kodiak.http.RequestHead;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A {@link RequestContext} for unit tests of {@link BasicAuthFilter}: a parsed head, what the
 * filter answered or set upstream, and a suspension whose resumption a test waits for and runs.
 */
final class FakeAuthRequest implements RequestContext {
    private final RequestHead head;
    final FieldEdits upstream = new FieldEdits();
    int status;
    FieldEdits answerFields;
    final CompletableFuture<RequestFilter> resumed = new CompletableFuture<>();
    volatile boolean cancelled;
    String remoteUser;
    private boolean suspended;

    FakeAuthRequest(String... fields) throws Exception {
        StringBuilder b = new StringBuilder("GET /admin/ HTTP/1.1\r\nHost: front.example\r\n");
        for (String f : fields) {
            b.append(f).append("\r\n");
        }
        head = HeadParser.parseRequest(b.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1), 100);
    }

    /** Waits (bounded) for the worker's resumption and runs its step here, as the selector would. */
    RequestFilter.Verdict awaitResumed() throws Exception {
        return resumed.get(30, TimeUnit.SECONDS).onRequest(this);
    }

    boolean wasSuspended() {
        return suspended;
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
        return upstream;
    }

    @Override
    public void respond(int status, String contentType, byte[] body, FieldEdits fields) {
        this.status = status;
        this.answerFields = fields;
    }

    @Override
    public void remoteUser(String user) {
        remoteUser = user;
    }

    @Override
    public Suspension suspend() {
        suspended = true;
        return new Suspension() {
            @Override
            public void resume(RequestFilter step) {
                resumed.complete(step);
            }

            @Override
            public void resumeAfter(long delayNanos, RequestFilter step) {
                resumed.complete(step);
            }

            @Override
            public boolean cancelled() {
                return cancelled;
            }
        };
    }
}
