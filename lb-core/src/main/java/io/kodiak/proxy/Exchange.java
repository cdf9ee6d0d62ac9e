package io.kodiak.proxy;

import io.kodiak.accesslog.Termination;
import io.kodiak.buffer.TempSpaceExhausted;
import io.kodiak.config.ListenerConfig;
import io.kodiak.config.PoolConfig;
import io.kodiak.config.RequestTracing;
import io.kodiak.filter.Filters;
import io.kodiak.http.FieldEdits;
import io.kodiak.http.HttpException;
import io.kodiak.http.RequestHead;
import io.kodiak.http.RequestIds;
import io.kodiak.upstream.PoolRuntime;
import io.kodiak.upstream.Upstream;
import org.glassfish.grizzly.Buffer;
import org.glassfish.grizzly.IOEvent;

import java.io.IOException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One request and its response, as named phases that this class orders and decides between:
 * request head (read by the session) → route → request filters ({@link RequestPhase}) → request
 * body ({@link RequestBody}) → dispatch ({@link Dispatcher}: pick, queue, retry policy and budget)
 * → queue ({@link QueueWait}) → attempt ({@link Attempt}, the one place that records an attempt's result) and the upstream
 * side ({@link UpstreamLeg}: send, response head and filters, relay, tunnel) → log
 * ({@link ExchangeLog}). The phases own their state and report outcomes; the decisions (retry
 * or answer, which answer, how it is logged) are made here.
 *
 * <p>The exchange is the one caller of its {@link ClientSession}: a phase that needs something of
 * the client connection (more body bytes, a tunnel's backpressure, the tunnel itself) reports it
 * here, and only here does the session's reading state change. Phases write to the client
 * through the narrow {@link ClientOutput}.
 *
 * <p>Size: about 590 lines, over the project's 400, as the one place where the phases' outcomes
 * meet the decisions (retry or answer, which answer, how it is logged) and the session's one
 * caller; half of it is those answers and the events it hands on. Kodiak's own answers are the
 * next piece to move out.
 *
 * <p>Threading: every method runs with the owning session's monitor held; events from the
 * upstream connection, temp-file I/O, the queue and the sweeper take it first.
 */
final class Exchange {
    private static final Logger LOG = Logger.getLogger(Exchange.class.getName());

    private final ClientSession s;
    private final ProxyContext ctx;
    private final ExchangeMetrics metrics;
    final RequestHead req;
    /** The route's pool, unless a request filter chose another; null if none (404). */
    PoolRuntime pool;
    private PoolConfig pc;
    private WaitQueue queue;
    /** The listener's filters, then the route's. */
    final Filters filters;
    /** The route's path-regex, or null: the request phase finds its groups again if a filter asks. */
    private final java.util.regex.Pattern pathRegex;
    /** The route's alone, where its error pages are found ({@link ErrorPageFilter#find}). */
    private final Filters routeFilters;
    /** The request filters' changes to the fields sent upstream, or null. */
    FieldEdits upstreamEdits;
    /** A rewrite's target and Host for every attempt, or null (the client's go upstream). */
    RequestPhase.Rewrite rewrite;
    final RequestTracing tracing;
    // The request ID, its field line and X-Request-Start are made when first asked for (an
    // upstream attempt, an echo, a log line, a filter): an answer of Kodiak's own that needs none
    // of them, such as a route's respond, skips the random numbers and the strings.
    private String requestId;
    private String idField;
    private long startedMicros = -1;
    /** When the head was read (the clock of {@link ProxyContext#now()}). */
    final long startedAt;
    private final ExchangeLog log;

    private RequestBody body;
    private boolean bodyComplete;
    private Dispatcher dispatcher;
    private UpstreamLeg leg;
    /** A static route's file answer, once one is under way. */
    private FileResponse staticFile;
    /** The matched route's path-prefix, for the request filters (a static route maps the rest). */
    private final String routePrefix;
    /** The route's name for {@code $route} ({@code routes[N]} without one), or null. */
    final String routeName;
    /** The wait in the pool's queue, once the request had to wait; null before. */
    private QueueWait queueWait;
    private boolean finished;
    /** Whether the pool's client-side count has this request's outcome yet. */
    private boolean counted;
    /** How the last failed attempt ended: what a 502 after failed attempts is logged as. */
    private Termination failure;
    /** The request filters' phase, while it runs or stays suspended; null without request filters. */
    private RequestPhase phase;
    /** What the filters asked to run when the exchange ends ({@link #onEnd}): null, one Runnable, or a list. */
    private Object endHooks;
    /** Request rules on the body, once the request filters asked for them; null otherwise. */
    private io.kodiak.filter.BodyInspector bodyInspector;

    /** The request's client: the connection's, or the one {@code real-ip} found in a trusted header. */
    final ClientAddress client;

    /** @param route the route the request matched, or null */
    Exchange(ClientSession s, RequestHead req, Router.Route route) {
        this(s, req, route, s.connectionAddress());
    }

    /** @param client the request's client, settled before routing ({@link RealIp}) */
    Exchange(ClientSession s, RequestHead req, Router.Route route, ClientAddress client) {
        this.s = s;
        this.client = client;
        this.ctx = s.ctx;
        this.metrics = ExchangeMetrics.of(ctx.metrics);
        this.req = req;
        this.pool = route == null ? null : route.pool();
        this.routePrefix = route == null ? null : route.config().pathPrefix();
        this.routeName = route == null ? null : route.name();
        this.filters = route == null ? s.listener.filters : route.combined(); // combined once, per router
        this.pathRegex = route == null ? null : route.pathRegex();
        this.routeFilters = route == null ? Filters.NONE : route.filters();
        this.tracing = s.config.tracing();
        this.startedAt = ctx.now();
        this.log = new ExchangeLog(this);
    }

    /** The user an authentication let through, for {@code $remote_user}; null if none. */
    String remoteUser() {
        return phase == null ? null : phase.remoteUser();
    }

    /** The request ID (the client's if the listener trusts it, else generated), the same for the whole exchange. */
    String requestId() {
        if (requestId == null) {
            String id = tracing.trustClientId() ? RequestIds.fromClient(req, tracing.idHeaderLower()) : null;
            requestId = id != null ? id : RequestIds.generate();
        }
        return requestId;
    }

    /** {@code X-Request-ID: ...}, the same on every attempt and in the echo. */
    String idField() {
        if (idField == null) {
            idField = tracing.idHeader() + ": " + requestId();
        }
        return idField;
    }

    /**
     * When the head was read, in microseconds since the epoch, for {@code X-Request-Start}; 0 when
     * the listener sends none. Worked out on first use from the wall clock now less the time
     * since the head was read, which is the same instant as reading the wall clock then.
     */
    long startedMicros() {
        if (startedMicros < 0) {
            startedMicros = tracing.requestStart() ? epochMicros() - Math.max(0, ctx.now() - startedAt) / 1_000 : 0;
        }
        return startedMicros;
    }

    /** Now, in microseconds since the Unix epoch (the resolution APMs read X-Request-Start in). */
    private static long epochMicros() {
        java.time.Instant now = java.time.Instant.now();
        return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
    }

    boolean finished() {
        return finished;
    }

    boolean bodyComplete() {
        return bodyComplete;
    }

    // The session as the phases need it. The exchange is the session's one caller: a phase reports
    // what it needs (body bytes, a tunnel's backpressure), and these calls turn it into the
    // session's reading state, so the connection's state changes in one place.

    ProxyContext ctx() {
        return ctx;
    }

    ListenerConfig listenerConfig() {
        return s.config;
    }

    String clientIp() {
        return client.ip();
    }

    /** The client's port; -1 when {@code real-ip} took the address from a header without one. */
    int clientPort() {
        return client.port();
    }

    /** The connection's address (after the PROXY protocol), which {@code real-ip} trusted or not: {@code $realip_remote_addr}. */
    String connectionIp() {
        return s.connectionAddress().ip();
    }

    /** The port the client connected to (the listener's, also when it was bound to port 0). */
    int localPort() {
        return s.localPort();
    }

    ListenerRuntime listener() {
        return s.listener;
    }

    /** Whether the response may keep the connection open: the body was read, nothing is closing it. */
    boolean keepAliveAllowed() {
        return bodyComplete && !ctx.stopping() && !s.closingWhenIdle();
    }

    /** A streamed body has room again: read the client's body on. */
    void wantClientBody() {
        s.resumeRead(ClientSession.PAUSE_BODY);
    }

    /** A tunnel's upstream side is busy ({@code false}) or took its bytes ({@code true}). */
    void tunnelClientReads(boolean on) {
        if (on) {
            s.resumeRead(ClientSession.PAUSE_TUNNEL);
        } else {
            s.pauseRead(ClientSession.PAUSE_TUNNEL);
        }
    }

    /** The 101 and what came with it are written: the connection is a tunnel from here. */
    void tunnelStarted() {
        s.startTunnel();
    }

    /**
     * Runs {@code r} on the client connection's own selector thread under the session's lock: how
     * an event from another connection (a freed slot in the queue) reaches this exchange.
     */
    void onOwnThread(Runnable r) {
        s.connection.executeInEventThread(IOEvent.READ, () -> {
            synchronized (s) {
                r.run();
            }
        });
    }

    /** Bytes of the request body read from the client, framing included. */
    long bodyWireBytes() {
        return body == null ? 0 : body.wireBytes();
    }

    int attempts() {
        return dispatcher == null ? 0 : dispatcher.attempts();
    }

    /** The current or last attempt, or null if none was made. */
    Attempt attempt() {
        return leg == null ? null : leg.attempt();
    }

    // ------------------------------------------------------------------ request head, filters, body

    void start() {
        if (s.misdirected(req.host())) {
            answer(421, Termination.LOCAL_ANSWER, req.keepAlive() && !req.hasBody(), null);
            return;
        }
        if (filters.request().length > 0 && !advanceFilters(true)) {
            return; // answered, failed, or suspended until a filter resumes it (resumeFilters)
        }
        proceed();
    }

    /** After the request filters: the pool, the body, the dispatch. */
    private void proceed() {
        if (pool == null) {
            answer(404, Termination.LOCAL_ANSWER, req.keepAlive() && !req.hasBody(), null);
            return;
        }
        upstreamEdits = s.clientCertFields(upstreamEdits); // after the filters: theirs cannot forge these
        if (client.distrusted()) {
            upstreamEdits = RealIp.dropClaims(upstreamEdits, s.listener.config.realIp());
        }
        pc = pool.config();
        queue = ctx.queues.get(pool);
        dispatcher = new Dispatcher(pool);
        if (pc.retries().attempts() > 0) {
            pool.retryBudget().onRequest(); // only retries spend what requests earn
        }
        metrics.request(pool);
        if (req.contentLength() > pc.buffering().maxRequestBody()
                || bodyInspector != null && req.contentLength() > bodyInspector.maxBody()) {
            fail413();
            return;
        }
        if (req.webSocketUpgrade() || !req.hasBody()) {
            bodyComplete = true;
            leg = new UpstreamLeg(this, s, s, metrics, pc, null);
            dispatch();
            return;
        }
        leg = new UpstreamLeg(this, s, s, metrics, pc, body = newBody());
        if (bodyInspector != null) {
            body.inspect(bodyInspector);
        }
        if (req.expectContinue()) {
            s.write(LocalAnswers.CONTINUE, LocalAnswers.CONTINUE.length);
        }
        s.expectBody();
        if (body.streaming()) {
            dispatch();
        }
    }

    /**
     * Runs the request filters, from the first ({@code first}) or from where a suspension left them.
     *
     * @return false if a filter answered (or failed), and the exchange is over, or suspended the phase
     */
    private boolean advanceFilters(boolean first) {
        RequestPhase rp;
        try {
            if (first) {
                rp = phase = RequestPhase.run(filters.request(), this, req, client.ip(), this::requestId, s.listener.router,
                        pool, s.config.scheme(), s.localPort(), pathRegex, routePrefix, routeName);
            } else {
                rp = phase;
                rp.advance();
            }
            if (rp.suspended()) {
                return false;
            }
        } catch (io.kodiak.config.RequestRegex.TooDeep e) {
            // The route's expression, found again deeper in the stack than the router found it.
            answer(400, Termination.LOCAL_ANSWER, req.keepAlive() && !req.hasBody(), null);
            return false;
        } catch (RuntimeException e) {
            // A filter's bug costs this request an answer, not the connection nor the process.
            LOG.log(Level.WARNING, "request filter failed on " + req, e);
            answer(500, Termination.LOCAL_ANSWER, req.keepAlive() && !req.hasBody(), null);
            return false;
        }
        if (rp.answered() && rp.fixed() != null) {
            respondFixed(rp.fixed(), req.keepAlive() && !req.hasBody(), rp.termination());
            return false;
        }
        if (rp.answered() && rp.file() != null) {
            serveFile(rp.file());
            return false;
        }
        if (rp.answered()) {
            // A filter's error (a static route's 404, 403 or 405) takes the error page, as nginx's
            // error_page serves its own 404s; the filter's fields (Allow...) stay.
            var page = rp.status() >= 400
                    ? ErrorPageFilter.find(rp.status(), routeFilters, pool == null ? null : pool.config(), s.listener.filters)
                    : null;
            respondLocal(rp.status(), page == null ? rp.contentType() : page.contentType(),
                    page == null ? rp.body() : page.body(), req.keepAlive() && !req.hasBody(),
                    rp.answerLines(), rp.termination());
            return false;
        }
        pool = rp.chosenPool();
        upstreamEdits = rp.edits();
        rewrite = rp.rewrite();
        bodyInspector = rp.bodyInspector();
        return true;
    }

    /**
     * A suspended filter resumed the phase (posted to this connection's thread): the filters go on,
     * then the exchange, and the client's bytes that waited meanwhile (a body) are read.
     */
    private void resumeFilters() {
        if (finished || phase == null || !phase.suspended()) {
            return;
        }
        if (advanceFilters(false)) {
            proceed();
            s.readPending();
        }
    }

    /** A suspension for the request phase: its resume runs {@link #resumeFilters} on this connection's thread. */
    PhaseSuspension newSuspension() {
        return new PhaseSuspension(() -> onOwnThread(this::resumeFilters), ctx.features.timer());
    }

    /** Runs {@code r} once when the exchange ends ({@link io.kodiak.filter.RequestContext#onEnd}). */
    @SuppressWarnings("unchecked")
    void onEnd(Runnable r) {
        if (endHooks == null) {
            endHooks = r;
        } else if (endHooks instanceof java.util.List<?> l) {
            ((java.util.List<Runnable>) l).add(r);
        } else {
            java.util.List<Runnable> l = new java.util.ArrayList<>(2);
            l.add((Runnable) endHooks);
            l.add(r);
            endHooks = l;
        }
    }

    /** The exchange ended, however (from the log phase, once): a suspension is cancelled and the end hooks run. */
    void ended() {
        if (phase != null) {
            phase.cancel();
        }
        Object hooks = endHooks;
        endHooks = null;
        if (hooks instanceof Runnable r) {
            runHook(r);
        } else if (hooks instanceof java.util.List<?> l) {
            for (Object r : l) {
                runHook((Runnable) r);
            }
        }
    }

    private void runHook(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "a filter's end hook failed on " + req, e); // the others still run
        }
    }

    /** A static route's file: its head through the response filters, then its bytes ({@link FileResponse}). */
    private void serveFile(io.kodiak.filter.FileAnswer a) {
        boolean echo = tracing.echoId();
        try {
            staticFile = FileResponse.of(this, s, a, req, filters.response(),
                    req.keepAlive() && !req.hasBody() && !ctx.stopping() && !s.closingWhenIdle(), s.config.serverHeader(),
                    echo ? tracing.idHeaderLower() : null, echo ? idField() : null);
        } catch (RuntimeException e) {
            a.close();
            LOG.log(Level.WARNING, "response filter failed on " + req, e);
            answer(500, Termination.LOCAL_ANSWER, req.keepAlive() && !req.hasBody(), null);
            return;
        }
        staticFile.pump();
    }

    private RequestBody newBody() {
        // The body's spool reports to the upstream leg, which sends what arrives.
        var b = pc.buffering();
        if (bodyInspector != null && !b.request()) {
            // A body that is already upstream can no longer be refused: inspected bodies are buffered.
            b = new io.kodiak.config.BufferingConfig(true, b.response(), b.memory(), b.maxRequestBody(), b.maxTempFile(), b.tempDir());
        }
        return new RequestBody(s, req, b, ctx.spoolIo, new io.kodiak.buffer.Spool.Listener() {
            @Override
            public void onSpoolReady(io.kodiak.buffer.Spool spool) {
                leg.onSpoolReady(spool);
            }

            @Override
            public void onSpoolFailed(io.kodiak.buffer.Spool spool, Throwable error) {
                leg.onSpoolFailed(spool, error);
            }
        }, this::wantClientBody, this::onBodyFailed);
    }

    /** Client bytes for the request body. */
    void clientBody(Buffer in) {
        RequestBody.Progress p;
        try {
            p = body.accept(in);
        } catch (HttpException e) {
            s.reject(e);
            return;
        } catch (TempSpaceExhausted e) {
            LOG.warning(() -> pool.name() + ": " + e.getMessage() + "; request body refused with 503");
            cleanup();
            answer(503, Termination.TEMP_SPACE, false, "Retry-After: 5");
            return;
        } catch (IOException e) {
            LOG.warning(() -> pool.name() + ": cannot buffer request body: " + e.getMessage());
            s.reject(new HttpException(500, "temp file failed"));
            return;
        }
        if (body.lastData() > 0) {
            s.bodyProgress(body.lastData());
        }
        switch (p) {
            case TOO_LARGE -> {
                fail413();
                return;
            }
            case PAUSE -> s.pauseRead(ClientSession.PAUSE_BODY);
            case DONE -> {
                bodyComplete = true;
                s.bodyDone();
                if (bodyInspector != null && bodyDenied()) {
                    return;
                }
                if (!body.streaming()) {
                    body.whenWritten(() -> {
                        if (body.failure() != null) {
                            s.reject(new HttpException(500, "temp file failed"));
                        } else {
                            dispatch();
                        }
                    });
                    return;
                }
            }
            default -> { }
        }
        if (body.streaming()) {
            leg.pumpRequest();
        }
    }

    /** Request rules on the complete body: whether they denied it (and it was answered). */
    private boolean bodyDenied() {
        int status = body.inspected();
        if (status == 0) {
            return false;
        }
        cleanup();
        answer(status, Termination.LOCAL_ANSWER, req.keepAlive(), null);
        return true;
    }

    /** A temp-file write failed while the body was still arriving (reading may be paused on it). */
    private void onBodyFailed(Throwable error) {
        LOG.warning(() -> pool.name() + ": cannot buffer request body: " + error);
        s.reject(new HttpException(500, "temp file failed"));
    }

    /** Whether a response head has gone to the client: from here a failure can only cut the response. */
    boolean responseStarted() {
        return leg != null && leg.responseStarted() || staticFile != null;
    }

    private void fail413() {
        if (responseStarted()) {
            leg.cut(Termination.LOCAL_ANSWER); // never a 413 inside a response under way
            return;
        }
        if (queueWait != null) {
            queueWait.cancel(); // streamed bodies wait in the queue while they arrive
        }
        // When streaming, the upstream already has part of the body: that request can never end.
        if (leg != null) {
            leg.drop();
        }
        cleanup();
        answer(413, Termination.LOCAL_ANSWER, false, null);
    }

    // ------------------------------------------------------------------ dispatch and the queue

    private void dispatch() {
        if (finished) {
            return;
        }
        Upstream u = dispatcher.pick(req, client.ip());
        if (u != null) {
            startAttempt(u);
        } else if (dispatcher.noPick() == Dispatcher.NoPick.QUEUE) {
            enqueue();
        } else {
            noUpstream();
        }
    }

    /** {@code u}'s slot is ours: in flight from the pick, so least-connections sees requests still connecting. */
    private void startAttempt(Upstream u) {
        dispatcher.attempting(u);
        leg.begin(new Attempt(u, s, ctx, metrics, queue, leg));
    }

    /** Every upstream that could take the request is at its max-connections: wait in the pool's queue. */
    private void enqueue() {
        if (queueWait == null) {
            queueWait = new QueueWait(this, ctx, pool, queue, dispatcher, log);
        }
        if (!queueWait.join()) {
            serviceUnavailable(true, Termination.QUEUE_FULL);
        }
    }

    /** The queue holds a slot of {@code u} for this request. */
    void granted(Upstream u) {
        startAttempt(u);
    }

    /** The queue gave up: timed out, or no upstream is left. */
    void queueGaveUp(Termination t) {
        serviceUnavailable(true, t);
    }

    // ------------------------------------------------------------------ outcomes of the upstream leg

    /** The attempt's connect failed ({@code t}): the next upstream, if any. */
    void connectFailed(Termination t) {
        failure = t;
        dispatch();
    }

    /** An attempt failed as {@code t}: what the answer is logged as if no retry follows. */
    void failure(Termination t) {
        failure = t;
    }

    /**
     * Gives up the current attempt and sends the request to another upstream, if {@code enabled}
     * for this cause and the dispatcher's policy and the pool's budget allow.
     *
     * @return whether a retry was started; if not, the caller answers the failure
     */
    boolean retry(boolean enabled, String why) {
        if (!enabled || !dispatcher.mayRetry(responseStarted(), body == null || !body.streaming(), req.method())) {
            return false;
        }
        Upstream failed = leg.attempt().upstream;
        if (!dispatcher.spendRetry()) {
            LOG.info(() -> pool.name() + "/" + failed.name() + ": " + why + "; retry budget spent, not retrying");
            return false;
        }
        LOG.info(() -> pool.name() + "/" + failed.name() + ": " + why + "; retrying on another upstream");
        leg.release(false);
        dispatch();
        return true;
    }

    /** The whole response went to the client connection. */
    void responseDone(int status, boolean keepAlive, long bytesSent, long headBytes) {
        clientDone(status);
        cleanup();
        log.finish(Termination.NORMAL, status, bytesSent, headBytes);
        s.exchangeDone(keepAlive);
    }

    /** The response has started and cannot be completed: the client must see it truncated. */
    void cut(Termination t, int status, long bytesSent, long headBytes) {
        clientDone(status);
        cleanup();
        log.finish(t, status, bytesSent, headBytes);
        s.abort();
    }

    void tunnelOpened(long headBytes) {
        clientDone(101);
        log.tunnelOpened(headBytes);
    }

    void tunnelEnded() {
        cleanup();
        logTunnel(Termination.NORMAL);
        s.close();
    }

    /** A WebSocket's line: the 101 and every byte relayed each way after it. */
    private void logTunnel(Termination t) {
        Tunnel tunnel = leg.tunnel();
        log.tunnelClosed(tunnel.bytesFromClient());
        log.finish(t, 101, log.tunnelHeadBytes() + tunnel.bytesToClient(), log.tunnelHeadBytes());
    }

    // ------------------------------------------------------------------ answers of Kodiak's own

    /** Nothing could take the request: the pool's error page, or 502 after failed attempts, 503 without any. */
    private void noUpstream() {
        Termination t = Endings.noUpstream(failure);
        if (!dispatcher.triedAny() || pc.errorPage() != null) {
            // After failed attempts the built-in answer is a 502, which promises no retry time.
            serviceUnavailable(!dispatcher.triedAny(), t);
            return;
        }
        answerError(502, t);
    }

    /**
     * No upstream can take the request now: the pool's error page, or 503.
     *
     * @param retryAfter send Retry-After, as the built-in 503 does; a custom page replaces the
     *                   body, not what the answer tells clients about retrying
     */
    private void serviceUnavailable(boolean retryAfter, Termination t) {
        cleanup();
        var page = pc.errorPage();
        boolean keep = req.keepAlive() && bodyComplete;
        String retry = retryAfter ? "Retry-After: 1" : null;
        if (page != null && ErrorPageFilter.in(routeFilters, 503) == null) { // a route's error-pages come first
            respondLocal(page.status(), page.contentType(), page.body(), keep, retry, t);
        } else {
            answer(503, t, keep, retry);
        }
    }

    /** An error before any response byte reached the client. */
    void answerError(int status, Termination t) {
        cleanup();
        answer(status, t, req.keepAlive() && bodyComplete, null);
    }

    /** Kodiak's own answer: the body of its error page (route, pool, listener), else the built-in one. */
    private void answer(int status, Termination t, boolean keep, String extraField) {
        var page = ErrorPageFilter.find(status, routeFilters, pool == null ? null : pool.config(), s.listener.filters);
        if (page != null) {
            respondLocal(status, page.contentType(), page.body(), keep, extraField, t);
        } else {
            respondLocal(status, LocalAnswers.TEXT, LocalAnswers.body(status), keep, extraField, t);
        }
    }

    private void respondLocal(int status, String contentType, byte[] body, boolean keep, String extraField, Termination t) {
        finished = true;
        if (req.hasBody() && this.body == null) {
            s.bodyLeftUnread();
        }
        clientDone(status);
        if (tracing.echoId()) {
            extraField = extraField == null ? idField() : extraField + "\r\n" + idField();
        }
        long bodyBytes = req.isHead() ? 0 : body.length;
        s.respondLocal(status, contentType, body, keep, extraField, req.isHead(), req.versionMinor(),
                sent -> log.finish(t, status, sent, Math.max(0, sent - bodyBytes)));
    }

    /** A fixed answer (a route's {@code respond}), as {@link #respondLocal} but encoded ahead. */
    private void respondFixed(io.kodiak.http.FixedResponse a, boolean keep, Termination t) {
        finished = true;
        if (req.hasBody() && body == null) {
            s.bodyLeftUnread();
        }
        int status = a.status();
        clientDone(status);
        long bodyBytes = req.isHead() ? 0 : a.bodyLength();
        s.respondFixed(a, keep, tracing.echoId() ? idField() : null, req.isHead(), req.versionMinor(),
                sent -> log.finish(t, status, sent, Math.max(0, sent - bodyBytes)));
    }

    // ------------------------------------------------------------------ events from the session

    void onClientWritable() {
        if (leg != null && !finished) {
            leg.onClientWritable();
        } else if (staticFile != null && !finished) {
            staticFile.onClientWritable();
        }
    }

    void tunnelFromClient(Buffer b) {
        leg.tunnelFromClient(b);
    }

    void checkTimeouts(long now) {
        if (finished) {
            return;
        }
        if (queueWait != null && queueWait.waiting()) {
            queueWait.checkTimeout(now);
            return;
        }
        if (leg != null) {
            leg.checkTimeouts(now);
        }
    }

    /**
     * The client went away, or the session gave up ({@code why}; null: the client closed), and
     * answers {@code status} itself if it is not 0: drop everything.
     */
    void abort(Termination why, int status) {
        abort(why, status, 0);
    }

    /** As {@link #abort(Termination, int)}, after the session wrote its own answer of {@code sent} bytes. */
    void abort(Termination why, int status, long sent) {
        abort(why, status, sent, status == 0 ? 0 : LocalAnswers.body(status).length);
    }

    /** @param bodyBytes the body of the session's answer (its error page's, or the built-in one) */
    void abort(Termination why, int status, long sent, int bodyBytes) {
        if (finished) {
            return;
        }
        finished = true;
        if (reachedPool() && !counted) { // a request held by a filter (a tarpit) never reached the pool
            counted = true;
            pool.clientAborts().increment();
        }
        if (queueWait != null) {
            queueWait.cancel();
        }
        if (leg != null) {
            leg.drop();
        }
        if (staticFile != null) {
            staticFile.drop();
        }
        cleanup();
        boolean tunnel = leg != null && leg.tunnelOpen();
        if (why == null) {
            why = Endings.clientGone(bodyComplete || body == null, tunnel);
        }
        if (tunnel) {
            logTunnel(why);
            return;
        }
        ResponseRelay relay = leg == null ? null : leg.relay();
        if (staticFile != null && status == 0) {
            log.finish(why, staticFile.status(), staticFile.bytesSent(), staticFile.headBytes());
            return;
        }
        if (status != 0) {
            // The session's own answer (408, 400...), with its built-in body or the listener's page.
            log.finish(why, status, sent, Math.max(0, sent - bodyBytes));
        } else {
            log.finish(why, relay != null ? relay.head.status() : 0, relay == null ? 0 : relay.bytesSent(),
                    relay == null ? 0 : relay.headBytes());
        }
    }

    private void cleanup() {
        finished = true;
        if (body != null) {
            body.close();
        }
        if (leg != null) {
            leg.close();
        }
        if (staticFile != null) {
            staticFile.close();
        }
    }

    /** The client has its answer (or all of it that it will get): counted once per request, for the pool. */
    private void clientDone(int status) {
        if (counted || !reachedPool()) {
            return; // a filter's answer (a denial, a 401, a 429) is Kodiak's, not the pool's
        }
        counted = true;
        metrics.response(pool, status, ctx.now() - startedAt);
    }

    /** Whether the request went on to its pool (counted there as a request): not when a filter answered or held it. */
    private boolean reachedPool() {
        return pool != null && dispatcher != null;
    }

    @Override
    public String toString() {
        // The state is the session's (the client side) and the leg's (the upstream side): no third copy here.
        return "Exchange[" + req + " -> " + (leg == null ? pool : leg) + (finished ? ", finished" : "") + "]";
    }
}
