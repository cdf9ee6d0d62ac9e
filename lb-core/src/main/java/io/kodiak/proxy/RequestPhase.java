package io.kodiak.proxy;

import io.kodiak.filter.RequestContext;
import io.kodiak.filter.RequestFilter;
import io.kodiak.http.FieldEdits;
import io.kodiak.http.RequestHead;
import io.kodiak.upstream.PoolRuntime;

import java.util.Objects;

/**
 * The request filter phase of one exchange: runs the filters in order and keeps what they
 * decided (the pool, the edits to the upstream fields, or an answer of their own). Made only when
 * a listener or route has request filters, so a request without filters allocates nothing here.
 *
 * <p>A filter may suspend the phase ({@link #suspend()}, then {@code SUSPENDED}); {@link #advance}
 * then returns false, and the exchange calls it again once the filter resumed it, to run the
 * filter's step and the filters after it. A resume that comes while the phase is still running
 * (the filter resumed before it returned) is taken by the same call.
 *
 * <p>Threading: called with the session's lock held, on its selector thread.
 */
final class RequestPhase implements RequestContext {
    private final RequestFilter[] filters;
    /** The next filter to run. */
    private int next;
    /** The suspension in force, until its step has run; null when the phase is not suspended. */
    private PhaseSuspension suspension;
    /** How the exchange wakes on its own thread, the timer, and where end hooks go: null until a filter asks. */
    private final Exchange exchange;
    private boolean running;
    private io.kodiak.accesslog.Termination termination = io.kodiak.accesslog.Termination.LOCAL_ANSWER;
    private String remoteUser;
    private final RequestHead head;
    private final String clientIp;
    private final java.util.function.Supplier<String> requestId;
    private final Router router;
    private final String scheme;
    private final int serverPort;
    private PoolRuntime pool;
    private FieldEdits edits;
    private boolean answered;
    private int status;
    private String contentType;
    private byte[] body;
    private FieldEdits answerFields;
    /** The route's path-regex, and its match once a filter asked for it. */
    private final java.util.regex.Pattern pathRegex;
    private java.util.regex.Matcher pathMatch;
    private io.kodiak.http.FixedResponse fixed;
    private String target;
    private String host;
    private boolean hostRewritten;
    /** A static route's file, once it answered with one. */
    private io.kodiak.filter.FileAnswer file;
    private final String routePrefix;
    private final String routeName;
    /** What the filters asked to see of the body (request rules), or null. */
    private io.kodiak.filter.BodyInspector bodyInspector;

    /**
     * What a rewrite changed of the request line and Host: {@code target} (null: the client's),
     * {@code host} (null with {@code hostOfUpstream}: the upstream's, resolved per attempt).
     */
    record Rewrite(String target, String host, boolean hostOfUpstream) {
    }

    private RequestPhase(RequestFilter[] filters, Exchange exchange, RequestHead head, String clientIp,
                         java.util.function.Supplier<String> requestId, Router router, PoolRuntime pool,
                         String scheme, int serverPort, java.util.regex.Pattern pathRegex, String routePrefix,
                         String routeName) {
        this.filters = filters;
        this.exchange = exchange;
        this.head = head;
        this.routeName = routeName;
        this.pathRegex = pathRegex;
        this.routePrefix = routePrefix;
        this.scheme = scheme;
        this.serverPort = serverPort;
        this.clientIp = clientIp;
        this.requestId = requestId;
        this.router = router;
        this.pool = pool;
    }

    /**
     * Runs {@code filters} in order until one answers or suspends (then {@link #suspended()}).
     *
     * @param exchange  the exchange, for suspensions and end hooks; null where no filter suspends (tests)
     * @param pathRegex the route's {@code path-regex}, or null
     * @param routePrefix the matched route's path-prefix, or null
     */
    static RequestPhase run(RequestFilter[] filters, Exchange exchange, RequestHead head, String clientIp,
                            java.util.function.Supplier<String> requestId,
                            Router router, PoolRuntime pool, String scheme, int serverPort,
                            java.util.regex.Pattern pathRegex, String routePrefix, String routeName) {
        RequestPhase p = new RequestPhase(filters, exchange, head, clientIp, requestId, router, pool, scheme, serverPort,
                pathRegex, routePrefix, routeName);
        p.advance();
        return p;
    }

    /**
     * Runs the filters from where the phase stands: the resumed step of a suspension first, then the
     * filters after it, until one answers or suspends.
     *
     * @return false while suspended (nothing to do until the filter resumes the phase)
     */
    boolean advance() {
        if (running) {
            return false; // a resume from inside the filter still running: the loop below takes it
        }
        running = true;
        try {
            return steps();
        } catch (RuntimeException e) {
            // A filter that suspended and then failed (or returned another verdict): the exchange
            // answers 500 and ends, and its suspension must not outlive it (a timer task, a hash).
            cancel();
            suspension = null;
            throw e;
        } finally {
            running = false;
        }
    }

    private boolean steps() {
        while (true) {
            RequestFilter f;
            if (suspension != null) {
                f = suspension.step();
                if (f == null) {
                    return false;
                }
                suspension = null;
            } else if (next < filters.length) {
                f = filters[next++];
            } else {
                return true;
            }
            RequestFilter.Verdict v = f.onRequest(this);
            if (v == RequestFilter.Verdict.RESPONDED) {
                if (!answered) {
                    throw new IllegalStateException(f + " returned RESPONDED without responding");
                }
                return true;
            }
            if (answered) {
                if (file != null) {
                    file.close();
                }
                throw new IllegalStateException(f + " responded but returned " + v);
            }
            if ((v == RequestFilter.Verdict.SUSPENDED) != (suspension != null)) {
                throw new IllegalStateException(f + (suspension == null
                        ? " returned SUSPENDED without suspending" : " suspended but returned " + v));
            }
        }
    }

    /** Whether a filter suspended the phase and has not resumed it yet. */
    boolean suspended() {
        return suspension != null;
    }

    /** The exchange ended: a suspension in force is cancelled (its timer, later resumes). */
    void cancel() {
        if (suspension != null) {
            suspension.cancel();
        }
    }

    /** How the log names a filter's answer. */
    io.kodiak.accesslog.Termination termination() {
        return termination;
    }

    @Override
    public io.kodiak.filter.Suspension suspend() {
        if (exchange == null) {
            throw new UnsupportedOperationException("suspend");
        }
        if (suspension != null) {
            throw new IllegalStateException("already suspended");
        }
        suspension = exchange.newSuspension();
        return suspension;
    }

    @Override
    public void onEnd(Runnable r) {
        if (exchange == null) {
            throw new UnsupportedOperationException("onEnd");
        }
        exchange.onEnd(java.util.Objects.requireNonNull(r, "r"));
    }

    @Override
    public void remoteUser(String user) {
        remoteUser = user;
    }

    /** The user an authentication let through ({@code $remote_user}), or null. */
    String remoteUser() {
        return remoteUser;
    }

    @Override
    public void termination(io.kodiak.accesslog.Termination t) {
        termination = java.util.Objects.requireNonNull(t, "t");
    }

    boolean answered() {
        return answered;
    }

    int status() {
        return status;
    }

    String contentType() {
        return contentType;
    }

    byte[] body() {
        return body;
    }

    /** The answer when it is a fixed one, or null. */
    io.kodiak.http.FixedResponse fixed() {
        return fixed;
    }

    /** The file a static route answered with (the caller closes it), or null. */
    io.kodiak.filter.FileAnswer file() {
        return file;
    }

    /** The answer's own fields as lines, or null. */
    String answerLines() {
        return answerFields == null ? null : answerFields.addedLines();
    }

    /** The filters' look at the body before it goes upstream, or null. */
    io.kodiak.filter.BodyInspector bodyInspector() {
        return bodyInspector;
    }

    /** The pool chosen (the route's unless a filter changed it), or null. */
    PoolRuntime chosenPool() {
        return pool;
    }

    /** The edits to the fields sent upstream, or null if none were made. */
    FieldEdits edits() {
        if (hostRewritten && edits != null) {
            edits.remove("Host"); // the rewrite's Host wins; only one goes upstream
        }
        return edits == null || edits.isEmpty() ? null : edits;
    }

    /** What a rewrite changed of the target and Host, or null if nothing. */
    Rewrite rewrite() {
        return target == null && !hostRewritten ? null : new Rewrite(target, host, hostRewritten && host == null);
    }

    @Override
    public RequestHead head() {
        return head;
    }

    @Override
    public String clientAddress() {
        return clientIp;
    }

    @Override
    public String scheme() {
        return scheme;
    }

    @Override
    public int serverPort() {
        return serverPort;
    }

    @Override
    public String requestId() {
        return requestId.get();
    }

    /** Found again here, when a filter first asks: a route whose filters never ask costs no Matcher. */
    @Override
    public java.util.regex.Matcher pathMatch() {
        if (pathMatch == null && pathRegex != null) {
            java.util.regex.Matcher m = io.kodiak.config.RequestRegex.found(pathRegex, head.path());
            if (m == null) {
                throw new IllegalStateException("the route's path-regex " + pathRegex + " no longer finds " + head.path());
            }
            pathMatch = m;
        }
        return pathMatch;
    }

    @Override
    public String routePrefix() {
        return routePrefix;
    }

    @Override
    public String route() {
        return routeName;
    }

    @Override
    public String pool() {
        return pool == null ? null : pool.name();
    }

    @Override
    public boolean usePool(String name) {
        PoolRuntime p = router.pool(name);
        if (p == null) {
            return false;
        }
        pool = p;
        return true;
    }

    @Override
    public void rewriteTarget(String t) {
        if (!io.kodiak.http.UriText.isOriginForm(t)) {
            throw new IllegalArgumentException("not an origin-form target: " + t);
        }
        target = t;
    }

    @Override
    public String upstreamTarget() {
        return target != null ? target : head.target();
    }

    @Override
    public void rewriteHost(String authority) {
        if (authority != null && !io.kodiak.http.UriText.isAuthority(authority)) {
            throw new IllegalArgumentException("not a host[:port]: " + authority);
        }
        host = authority;
        hostRewritten = true;
    }

    @Override
    public FieldEdits upstreamFields() {
        if (edits == null) {
            edits = new FieldEdits();
        }
        return edits;
    }

    @Override
    public void inspectBody(io.kodiak.filter.BodyInspector i) {
        bodyInspector = bodyInspector == null ? i : io.kodiak.filter.BodyInspector.both(bodyInspector, i);
    }

    @Override
    public void respond(int status, String contentType, byte[] body, FieldEdits fields) {
        if (status < 200 || status > 599) {
            throw new IllegalArgumentException("a filter's answer must be final (200-599): " + status);
        }
        this.answered = true;
        this.status = status;
        this.contentType = Objects.requireNonNull(contentType, "contentType");
        this.body = Objects.requireNonNull(body, "body");
        this.answerFields = fields;
    }

    @Override
    public void respond(io.kodiak.http.FixedResponse answer) {
        this.answered = true;
        this.status = answer.status();
        this.fixed = answer;
    }

    @Override
    public void respondFile(io.kodiak.filter.FileAnswer answer) {
        this.answered = true;
        this.status = answer.status();
        this.file = Objects.requireNonNull(answer, "answer");
    }
}
