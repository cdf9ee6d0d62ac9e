package io.kodiak.proxy;

import io.kodiak.accesslog.Termination;
import io.kodiak.buffer.Spool;
import io.kodiak.buffer.TempSpaceExhausted;
import io.kodiak.config.PoolConfig;
import io.kodiak.config.RequestTracing;
import io.kodiak.filter.Filters;
import io.kodiak.http.FieldEdits;
import io.kodiak.http.Bytes;
import io.kodiak.http.HeadParser;
import io.kodiak.http.HttpException;
import io.kodiak.http.RequestEncoder;
import io.kodiak.http.RequestHead;
import io.kodiak.http.RequestIds;
import io.kodiak.http.ResponseHead;
import io.kodiak.metrics.ErrorCause;
import io.kodiak.upstream.PoolRuntime;
import io.kodiak.upstream.Upstream;
import org.glassfish.grizzly.Buffer;
import org.glassfish.grizzly.IOEvent;

import java.io.IOException;
import java.util.logging.Logger;

/**
 * One request and its response, as named phases that this class orders: request head (read by
 * the session) → route → request body ({@link RequestBody}) → dispatch ({@link Dispatcher}: pick,
 * queue, retry policy and budget) → attempt ({@link Attempt}: slot, pooled or new connection, the
 * one place that records an attempt's result; {@link RequestSender} writes the request) → response
 * head ({@link ResponseFramingPlan}) → relay ({@link ResponseRelay}: spool to the client with
 * backpressure) → log ({@link ExchangeLog}); a WebSocket upgrade becomes a {@link Tunnel}. The
 * phases own their state and report outcomes; only this class calls the {@link ClientSession}.
 *
 * <p>Threading: every method runs with the owning session's monitor held; events from the
 * upstream connection, temp-file I/O, the queue and the sweeper take it first.
 */
final class Exchange implements Spool.Listener, WaitQueue.Waiter, UpstreamConnection.Owner, Attempt.Events,
        RequestSender.Events {
    private static final Logger LOG = Logger.getLogger(Exchange.class.getName());

    private enum Phase { BODY, QUEUED, CONNECTING, SENDING, WAITING, RECEIVING, TUNNEL, DONE }

    private static final int NONE = 0, CONNECT = 1, SEND = 2, RESPONSE = 3, READ = 4, TUNNEL_IDLE = 5, QUEUE = 6;

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
    /** The request filters' changes to the fields sent upstream, or null. */
    private FieldEdits upstreamEdits;
    private final RequestTracing tracing;
    final String requestId;
    /** {@code X-Request-ID: ...}, the same on every attempt and in the echo. */
    private final String idField;
    /** When the head was read, for {@code X-Request-Start}; 0 when the listener sends none. */
    private final long startedMicros;
    /** When the head was read (the clock of {@link ProxyContext#now()}). */
    final long startedAt;

    private RequestBody body;
    private boolean bodyComplete;
    private Dispatcher dispatcher;
    Attempt attempt;
    private RequestSender sender;
    ResponseRelay relay;
    private Tunnel tunnel;
    private Phase phase = Phase.BODY;
    private long deadline;
    private int deadlineKind;
    private boolean anyResponseByte;
    private boolean finished;
    /** Whether the pool's client-side count has this request's outcome yet. */
    private boolean counted;
    /** Set when the answer is a failure: how it ended, for the access log. */
    private Termination failure;
    private final ExchangeLog log;

    /** @param route the route the request matched, or null */
    Exchange(ClientSession s, RequestHead req, Router.Route route) {
        this.s = s;
        this.ctx = s.ctx;
        this.metrics = ExchangeMetrics.of(ctx.metrics);
        this.req = req;
        this.pool = route == null ? null : route.pool();
        this.filters = route == null ? s.listener.filters : s.listener.filters.then(route.filters());
        this.tracing = s.config.tracing();
        String id = tracing.trustClientId() ? RequestIds.fromClient(req, tracing.idHeaderLower()) : null;
        this.requestId = id != null ? id : RequestIds.generate();
        this.idField = tracing.idHeader() + ": " + requestId;
        this.startedMicros = tracing.requestStart() ? epochMicros() : 0; // the head was just read
        this.startedAt = ctx.now();
        this.log = new ExchangeLog(s, this);
    }

    /** Now, in microseconds since the Unix epoch (the resolution APMs read X-Request-Start in). */
    private static long epochMicros() {
        java.time.Instant now = java.time.Instant.now();
        return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
    }

    String requestId() {
        return requestId;
    }

    /** Bytes of the request body read from the client, framing included. */
    long bodyWireBytes() {
        return body == null ? 0 : body.wireBytes();
    }

    int attempts() {
        return dispatcher == null ? 0 : dispatcher.attempts();
    }

    // ------------------------------------------------------------------ request head, route, body

    void start() {
        if (filters.request().length > 0) {
            RequestPhase rp;
            try {
                rp = RequestPhase.run(filters.request(), req, s.clientIp, requestId, s.listener.router, pool);
            } catch (RuntimeException e) {
                // A filter's bug costs this request an answer, not the connection nor the process.
                LOG.log(java.util.logging.Level.WARNING, "request filter failed on " + req, e);
                answer(500, Termination.LOCAL_ANSWER, req.keepAlive() && !req.hasBody(), null);
                return;
            }
            if (rp.answered()) {
                respondLocal(rp.status(), rp.contentType(), rp.body(), req.keepAlive() && !req.hasBody(),
                        rp.answerLines(), Termination.LOCAL_ANSWER);
                return;
            }
            pool = rp.chosenPool();
            upstreamEdits = rp.edits();
        }
        if (pool == null) {
            answer(404, Termination.LOCAL_ANSWER, req.keepAlive() && !req.hasBody(), null);
            return;
        }
        pc = pool.config();
        queue = ctx.queues.get(pool);
        dispatcher = new Dispatcher(pool);
        if (pc.retries().attempts() > 0) {
            pool.retryBudget().onRequest(); // only retries spend what requests earn
        }
        metrics.request(pool);
        if (req.contentLength() > pc.buffering().maxRequestBody()) {
            fail413();
            return;
        }
        if (req.webSocketUpgrade() || !req.hasBody()) {
            bodyComplete = true;
            sender = new RequestSender(s, ctx, metrics, this, null, false);
            dispatch();
            return;
        }
        body = new RequestBody(s, req, pc.buffering(), ctx.spoolIo, this,
                () -> s.resumeRead(ClientSession.PAUSE_BODY), this::onBodyFailed);
        sender = new RequestSender(s, ctx, metrics, this, body,
                body.streaming() && req.contentLength() == RequestHead.CHUNKED);
        if (req.expectContinue()) {
            s.write(LocalAnswers.CONTINUE, LocalAnswers.CONTINUE.length);
        }
        s.expectBody();
        if (body.streaming()) {
            dispatch();
        }
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
            pumpRequest();
        }
    }

    /** A temp-file write failed while the body was still arriving (reading may be paused on it). */
    private void onBodyFailed(Throwable error) {
        LOG.warning(() -> pool.name() + ": cannot buffer request body: " + error);
        s.reject(new HttpException(500, "temp file failed"));
    }

    /** Whether a response head has gone to the client: from here a failure can only cut the response. */
    boolean responseStarted() {
        return relay != null || tunnel != null;
    }

    private void fail413() {
        if (responseStarted()) {
            failAfterStart(Termination.LOCAL_ANSWER); // never write a 413 into a response under way
            return;
        }
        // When streaming, the upstream already has part of the body: that request can never end.
        dropUpstream();
        cleanup();
        answer(413, Termination.LOCAL_ANSWER, false, null);
    }

    // ------------------------------------------------------------------ dispatch

    private void dispatch() {
        if (finished) {
            return;
        }
        long key = dispatcher.usesKey() ? HashKeys.of(pc.hash(), req, s.clientIp) : 0;
        Upstream u = dispatcher.pick(key);
        if (u != null) {
            startAttempt(u);
        } else if (dispatcher.noPick() == Dispatcher.NoPick.QUEUE) {
            enqueue();
        } else {
            noUpstream();
        }
    }

    /** {@code u}'s slot is ours: use a pooled connection or connect. */
    private void startAttempt(Upstream u) {
        dispatcher.attempting(u);
        // In flight from the pick, not from the connect: least-connections must see the requests
        // still connecting, or a burst of picks would all land on the same upstream.
        attempt = new Attempt(u, s, ctx, metrics, queue, this);
        if (attempt.reusePooled()) {
            send();
        } else {
            connect();
        }
    }

    /** Every upstream that could take the request is at its max-connections: wait in the pool's queue. */
    private void enqueue() {
        if (!queue.offer(this)) {
            pool.queueFull().increment();
            LOG.info(() -> pool.name() + ": queue full, 503");
            serviceUnavailable(true, Termination.QUEUE_FULL);
            return;
        }
        phase = Phase.QUEUED;
        log.queued(ctx.now());
        setDeadline(QUEUE, pc.queue().timeout().toNanos());
        // A slot may have freed between the pick that found none and joining the queue, and its
        // end found the queue empty: offer every free slot to the head of the queue now.
        for (Upstream u : pool.selection().members()) {
            queue.handOff(u);
        }
    }

    @Override
    public boolean triedOn(Upstream u) {
        return dispatcher.triedOn(u);
    }

    @Override
    public void rejectFromQueue() {
        s.connection.executeInEventThread(IOEvent.READ, () -> {
            synchronized (s) {
                if (!finished && phase == Phase.QUEUED) {
                    clearDeadline();
                    log.dequeued(ctx.now());
                    serviceUnavailable(true, Termination.NO_UPSTREAM);
                }
            }
        });
    }

    /** Called on the thread that freed the slot: the rest runs on this exchange's own selector thread. */
    @Override
    public void grant(Upstream u) {
        s.connection.executeInEventThread(IOEvent.READ, () -> {
            synchronized (s) {
                if (finished || phase != Phase.QUEUED) {
                    u.end(); // gone meanwhile: pass the slot on
                    queue.handOff(u);
                    return;
                }
                log.dequeued(ctx.now());
                startAttempt(u);
            }
        });
    }

    private void connect() {
        phase = Phase.CONNECTING;
        setDeadline(CONNECT, pc.timeouts().connect().toNanos());
        attempt.connect(this);
    }

    @Override
    public void connected(Attempt a) {
        if (a == attempt && !finished) {
            send();
        }
    }

    @Override
    public void connectFailed(Attempt a, ErrorCause cause, String why) {
        if (a != attempt || finished) {
            return;
        }
        failure = cause == ErrorCause.CONNECT_TIMEOUT ? Termination.CONNECT_TIMEOUT : Termination.CONNECT_FAILED;
        attempt.connectFailed(cause);
        LOG.info(() -> pool.name() + "/" + a.upstream.name() + ": connect failed (" + why + "), trying the next upstream");
        dispatch();
    }

    /**
     * Gives up the current attempt and sends the request to another upstream, if {@code enabled}
     * for this cause and the dispatcher's policy and the pool's budget allow.
     *
     * @return whether a retry was started; if not, the caller answers the failure
     */
    private boolean retry(boolean enabled, String why) {
        if (!enabled || !dispatcher.mayRetry(responseStarted(), body == null || !body.streaming(), req.method())) {
            return false;
        }
        Upstream failed = attempt.upstream;
        if (!dispatcher.spendRetry()) {
            LOG.info(() -> pool.name() + "/" + failed.name() + ": " + why + "; retry budget spent, not retrying");
            return false;
        }
        LOG.info(() -> pool.name() + "/" + failed.name() + ": " + why + "; retrying on another upstream");
        releaseUpstream(false);
        dispatch();
        return true;
    }

    /** Nothing could take the request: the pool's error page, or 502 after failed attempts, 503 without any. */
    private void noUpstream() {
        Termination t = failure != null ? failure : Termination.NO_UPSTREAM;
        if (!dispatcher.triedAny() || pc.errorPage() != null) {
            // After failed attempts the built-in answer is a 502, which promises no retry time.
            serviceUnavailable(!dispatcher.triedAny(), t);
            return;
        }
        cleanup();
        answer(502, t, req.keepAlive() && bodyComplete, null);
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
        if (page != null) {
            respondLocal(page.status(), page.contentType(), page.body(), keep, retry, t);
        } else {
            answer(503, t, keep, retry);
        }
    }

    // ------------------------------------------------------------------ sending

    private void send() {
        phase = Phase.SENDING;
        anyResponseByte = false;
        long length = body == null ? 0 : body.upstreamLength();
        Bytes head = RequestEncoder.encode(req, s.config.forwarded(), s.clientIp, "http", length,
                tracing.idHeaderLower(), idField, startedMicros, upstreamEdits);
        setDeadline(SEND, pc.timeouts().send().toNanos());
        sender.start(attempt.connection(), head);
        pumpRequest();
    }

    private void pumpRequest() {
        if (finished || phase == Phase.CONNECTING || !sender.active()) {
            return;
        }
        if (sender.pump() && !finished && phase == Phase.SENDING) {
            phase = Phase.WAITING;
            setDeadline(RESPONSE, pc.timeouts().response().toNanos());
        }
        if (body != null && body.streaming() && !finished && !body.full()) {
            s.resumeRead(ClientSession.PAUSE_BODY);
        }
    }

    @Override
    public void written(UpstreamConnection target) {
        if (phase == Phase.SENDING) {
            setDeadline(SEND, pc.timeouts().send().toNanos());
            pumpRequest();
        } else if (phase == Phase.TUNNEL && !tunnel.upstreamBusy()) {
            s.resumeRead(ClientSession.PAUSE_TUNNEL);
        }
    }

    @Override
    public void writeFailed(UpstreamConnection target) {
        onUpstreamClosed(target);
    }

    // ------------------------------------------------------------------ response head and relay

    @Override
    public void onUpstreamRead(UpstreamConnection c, Buffer in) {
        synchronized (s) {
            if (attempt == null || c != attempt.connection() || finished) {
                if (c.owner == null || c.owner == this) {
                    c.pool.retire(c);
                }
                return;
            }
            anyResponseByte = true;
            metrics.bytesFromUpstream(attempt.upstream, in.remaining());
            if (phase == Phase.TUNNEL) {
                s.write(in);
                setDeadline(TUNNEL_IDLE, tunnel.idleTimeout());
                if (!s.clientWritable() && !attempt.pauseReads()) {
                    onUpstreamClosed(c);
                }
                return;
            }
            try {
                while (in.hasRemaining() && (relay == null || !relay.isUpstreamDone())) {
                    if (relay == null) {
                        byte[] head = c.responseHeads.read(in);
                        if (head == null) {
                            break;
                        }
                        ResponseHead r = HeadParser.parseResponse(head, req.isHead());
                        if (r.isInterim()) {
                            continue;
                        }
                        if (!responseHead(r, in) || phase != Phase.RECEIVING) {
                            return; // a retry went elsewhere, or a tunnel started
                        }
                    } else if (relay.accept(in)) {
                        upstreamComplete(in.hasRemaining(), ctx.now());
                    }
                }
            } catch (HttpException e) {
                badResponse(e.getMessage());
                return;
            } catch (IOException e) {
                LOG.warning(() -> pool.name() + ": cannot buffer response: " + e.getMessage());
                failAfterStart(Termination.TEMP_SPACE);
                return;
            }
            if (phase == Phase.RECEIVING && !relay.isUpstreamDone()) {
                setDeadline(READ, pc.timeouts().read().toNanos());
            }
            pumpResponse();
            if (relay != null && attempt.connection() != null && relay.spoolFull()) {
                pauseUpstream();
            }
        }
    }

    /**
     * A final response head: retry on a listed status, open a tunnel on a 101, or start relaying.
     *
     * @return false if the exchange left this connection (a retry); true otherwise
     */
    private boolean responseHead(ResponseHead r, Buffer in) throws HttpException, IOException {
        long headAt = ctx.now(); // one clock read for the first byte, the deadline and a head-only rtt
        attempt.headArrived(headAt);
        if (r.status() == 101) {
            if (!req.webSocketUpgrade()) {
                throw new HttpException(502, "101 without an upgrade request");
            }
            if (!r.upgradesToWebSocket()) {
                throw new HttpException(502, "101 to a protocol other than websocket");
            }
            startTunnel(r, in);
            return true;
        }
        if (pc.retries().onStatus().contains(r.status())) {
            Attempt answered = attempt;
            if (retry(true, "answered " + r.status())) {
                answered.responded(r.status(), headAt); // a 5xx: counts against its latency
                return false;
            }
        }
        phase = Phase.RECEIVING;
        deadlineKind = READ;
        deadline = ClientSession.nonZero(headAt + pc.timeouts().read().toNanos());
        ResponsePhase filtered = null;
        if (filters.response().length > 0) {
            try {
                filtered = ResponsePhase.run(filters.response(), req, r);
            } catch (RuntimeException e) {
                // Not the upstream's fault: no failure counts against it.
                LOG.log(java.util.logging.Level.WARNING, "response filter failed on " + req, e);
                releaseUpstream(false);
                respondError(502, Termination.LOCAL_ANSWER);
                return false;
            }
        }
        boolean keepAllowed = bodyComplete && !ctx.stopping() && !s.closingWhenIdle();
        ResponseFramingPlan plan = ResponseFramingPlan.of(r, req, keepAllowed, s.config.serverHeader(),
                tracing.echoId() ? tracing.idHeaderLower() : null, tracing.echoId() ? idField : null,
                filtered == null ? null : filtered.edits(), filtered != null && filtered.transform() != null);
        relay = new ResponseRelay(s, r, plan, pc.buffering(), ctx.spoolIo, this, s,
                filtered == null ? null : filtered.transform());
        metrics.clientFirstByte(pool, headAt - startedAt); // committed: from here a failure can only truncate
        if (relay.bodyless()) {
            upstreamComplete(in.hasRemaining(), headAt);
        }
        return true;
    }

    /** The upstream has sent the whole response (at {@code now}); {@code extra} means it sent more than that. */
    private void upstreamComplete(boolean extra, long now) throws IOException {
        relay.upstreamDone();
        attempt.responded(relay.head.status(), now);
        boolean reusable = relay.head.keepAlive() && sender.complete() && !extra && !req.webSocketUpgrade();
        if (extra) {
            LOG.fine(() -> pool.name() + "/" + attempt.upstream.name() + ": bytes after the response; connection not reused");
        }
        releaseUpstream(reusable);
    }

    private void releaseUpstream(boolean reusable) {
        clearDeadline();
        if (attempt != null) {
            sender.detach();
            attempt.release(reusable);
        }
    }

    private void pumpResponse() {
        if (relay == null || finished) {
            return;
        }
        boolean done = relay.pump(s);
        if (attempt != null && attempt.paused() && attempt.connection() != null && !relay.spoolFull()) {
            resumeUpstream();
        }
        if (done && !finished) {
            clientDone(relay.head.status());
            phase = Phase.DONE;
            cleanup();
            log.finish(Termination.NORMAL, relay.head.status(), relay.bytesSent(), relay.headBytes());
            s.exchangeDone(relay.keepAlive());
        }
    }

    void onClientWritable() {
        if (phase == Phase.TUNNEL) {
            if (attempt.paused() && attempt.connection() != null && s.clientWritable()) {
                attempt.resumeReads();
            }
            return;
        }
        pumpResponse();
    }

    @Override
    public void onSpoolReady(Spool spool) {
        if (finished) {
            return; // a read-ahead of a closed body or spool completing late
        }
        if (relay != null && relay.isSpool(spool)) {
            pumpResponse();
        } else {
            pumpRequest();
        }
    }

    @Override
    public void onSpoolFailed(Spool spool, Throwable error) {
        if (finished) {
            return; // closing a body or spool fails its read in flight: nothing is wrong
        }
        LOG.warning(() -> pool.name() + ": temp file failed: " + error);
        failAfterStart(Termination.TEMP_SPACE);
    }

    private void pauseUpstream() {
        if (attempt.paused()) {
            return;
        }
        if (deadlineKind == READ) {
            // Kodiak stops reading because the client is slow: the upstream is not stalling, so
            // its read timeout waits until reading resumes (the client's send timeout applies).
            clearDeadline();
        }
        if (!attempt.pauseReads()) {
            onUpstreamClosed(attempt.connection());
        }
    }

    private void resumeUpstream() {
        if (phase == Phase.RECEIVING && !relay.isUpstreamDone()) {
            setDeadline(READ, pc.timeouts().read().toNanos());
        }
        attempt.resumeReads();
    }

    // ------------------------------------------------------------------ failures

    @Override
    public void onUpstreamClosed(UpstreamConnection c) {
        synchronized (s) {
            if (attempt == null || c != attempt.connection() || finished) {
                return;
            }
            Upstream u = attempt.upstream;
            if (phase == Phase.TUNNEL) {
                endTunnel();
                return;
            }
            if (relay == null) {
                // Written whole, a non-idempotent request may have run before the connection
                // closed: a stale connection and a worker that died after the work look alike.
                boolean replayable = (body == null || !body.streaming())
                        && (!sender.complete() || pc.retries().mayRepeat(req.method()));
                if (!anyResponseByte && replayable && attempt.mayRetryStale()) {
                    // A pooled connection the upstream had already closed: nothing was processed.
                    LOG.fine(() -> pool.name() + "/" + u.name() + ": stale pooled connection, retrying on a new one");
                    sender.detach();
                    phase = Phase.CONNECTING;
                    setDeadline(CONNECT, pc.timeouts().connect().toNanos());
                    attempt.retryStale(this);
                    return;
                }
                attempt.failed(ErrorCause.RESET);
                failure = Termination.UPSTREAM_RESET;
                if (retry(pc.retries().onReset(), "connection closed before a response")) {
                    return;
                }
                LOG.info(() -> pool.name() + "/" + u.name() + ": connection closed before a response");
                releaseUpstream(false);
                respondError(502, Termination.UPSTREAM_RESET);
                return;
            }
            if (relay.completesOnEof()) {
                try {
                    upstreamComplete(false, ctx.now());
                } catch (IOException e) {
                    LOG.warning(() -> pool.name() + ": cannot buffer response: " + e.getMessage());
                    failAfterStart(Termination.TEMP_SPACE);
                    return;
                }
                pumpResponse();
                return;
            }
            if (!relay.isUpstreamDone()) {
                attempt.failed(ErrorCause.RESET);
                LOG.info(() -> pool.name() + "/" + u.name() + ": response truncated; closing the client connection");
                failAfterStart(Termination.UPSTREAM_ABORT);
            }
        }
    }

    private void badResponse(String why) {
        attempt.failed(ErrorCause.INVALID_RESPONSE);
        LOG.warning(() -> pool.name() + "/" + attempt.upstream.name() + ": invalid response: " + why);
        if (responseStarted()) {
            failAfterStart(Termination.INVALID_RESPONSE);
        } else {
            releaseUpstream(false);
            respondError(502, Termination.INVALID_RESPONSE);
        }
    }

    /** Kodiak's own answer with its built-in body. */
    private void answer(int status, Termination t, boolean keep, String extraField) {
        respondLocal(status, LocalAnswers.TEXT, LocalAnswers.body(status), keep, extraField, t);
    }

    private void respondLocal(int status, String contentType, byte[] body, boolean keep, String extraField, Termination t) {
        finished = true;
        clientDone(status);
        if (tracing.echoId()) {
            extraField = extraField == null ? idField : extraField + "\r\n" + idField;
        }
        long sent = s.respondLocal(status, contentType, body, keep, extraField, req.isHead());
        log.finish(t, status, sent, sent - (req.isHead() ? 0 : body.length));
    }

    /** An error before any response byte reached the client. */
    private void respondError(int status, Termination t) {
        cleanup();
        answer(status, t, req.keepAlive() && bodyComplete, null);
    }

    /** The response has started: the client must see it truncated. */
    private void failAfterStart(Termination t) {
        int status = relay != null ? relay.head.status() : 502;
        clientDone(status);
        releaseUpstream(false);
        cleanup();
        log.finish(t, status, relay == null ? 0 : relay.bytesSent(), relay == null ? 0 : relay.headBytes());
        s.abort();
    }

    void checkTimeouts(long now) {
        if (deadline == 0 || now - deadline < 0 || finished) {
            return;
        }
        int kind = deadlineKind;
        clearDeadline();
        switch (kind) {
            case QUEUE -> {
                if (queue.remove(this)) {
                    pool.queueTimeouts().increment();
                    log.dequeued(now);
                    LOG.info(() -> pool.name() + ": waited " + pc.queue().timeout().toMillis() + " ms in the queue, 503");
                    serviceUnavailable(true, Termination.QUEUE_TIMEOUT);
                } // else a granted slot is already on its way to this exchange
            }
            case CONNECT -> {
                attempt.cancelConnect();
                connectFailed(attempt, ErrorCause.CONNECT_TIMEOUT, "timeout");
            }
            case SEND, RESPONSE -> {
                attempt.failed(ErrorCause.TIMEOUT);
                failure = Termination.RESPONSE_TIMEOUT;
                if (!responseStarted() && retry(pc.retries().onTimeout(), "no response in time")) {
                    return;
                }
                LOG.info(() -> pool.name() + "/" + attempt.upstream.name() + ": no response in time (504)");
                if (responseStarted()) {
                    failAfterStart(Termination.RESPONSE_TIMEOUT);
                } else {
                    releaseUpstream(false);
                    respondError(504, Termination.RESPONSE_TIMEOUT);
                }
            }
            case READ -> {
                attempt.failed(ErrorCause.TIMEOUT);
                LOG.info(() -> pool.name() + "/" + attempt.upstream.name() + ": response body stalled; closing");
                failAfterStart(Termination.READ_TIMEOUT);
            }
            case TUNNEL_IDLE -> endTunnel();
            default -> { }
        }
    }

    /**
     * The client went away, or the session gave up ({@code why}, answering {@code status} itself
     * if it is not 0): drop everything.
     */
    void abort(Termination why, int status) {
        if (finished) {
            return;
        }
        finished = true;
        if (pool != null && !counted) {
            counted = true;
            pool.clientAborts().increment();
        }
        if (phase == Phase.QUEUED) {
            queue.remove(this); // if a grant is already on its way, it passes the slot on
            log.dequeued(ctx.now());
        }
        dropUpstream();
        cleanup();
        if (why == null) {
            why = bodyComplete || body == null ? Termination.CLIENT_ABORT : Termination.CLIENT_ABORT_REQUEST;
        }
        int sent = status != 0 ? status : relay != null ? relay.head.status() : 0;
        log.finish(why, sent, relay == null ? 0 : relay.bytesSent(), relay == null ? 0 : relay.headBytes());
    }

    /** Gives up the upstream side: a connect in progress is cancelled, a connection closed. */
    private void dropUpstream() {
        clearDeadline();
        if (attempt != null) {
            sender.detach();
            attempt.drop();
        }
    }

    private void cleanup() {
        finished = true;
        if (body != null) {
            body.close();
        }
        if (relay != null) {
            relay.close();
        }
    }

    // ------------------------------------------------------------------ tunnel

    private void startTunnel(ResponseHead r, Buffer rest) {
        phase = Phase.TUNNEL;
        tunnel = new Tunnel(sender, pc, s.config);
        Bytes head = Tunnel.head(r, req, s.config);
        s.write(head.array(), head.length());
        attempt.upgraded();
        clientDone(101);
        log.tunnelOpened(head.length());
        setDeadline(TUNNEL_IDLE, tunnel.idleTimeout());
        if (rest.hasRemaining()) {
            s.write(rest);
        }
        s.startTunnel();
    }

    void tunnelFromClient(Buffer b) {
        if (attempt == null || attempt.connection() == null) {
            return;
        }
        if (tunnel.fromClient(b)) {
            s.pauseRead(ClientSession.PAUSE_TUNNEL);
        }
        setDeadline(TUNNEL_IDLE, tunnel.idleTimeout());
    }

    private void endTunnel() {
        releaseUpstream(false);
        cleanup();
        log.finish(Termination.NORMAL, 101, log.tunnelHeadBytes(), log.tunnelHeadBytes());
        s.close();
    }

    /** The client has its answer (or all of it that it will get): counted once per request, for the pool. */
    private void clientDone(int status) {
        if (counted || pool == null) {
            return;
        }
        counted = true;
        metrics.response(pool, status, ctx.now() - startedAt);
    }

    private void setDeadline(int kind, long afterNanos) {
        deadlineKind = kind;
        deadline = ClientSession.nonZero(ctx.now() + afterNanos);
    }

    private void clearDeadline() {
        deadline = 0;
        deadlineKind = NONE;
    }

    @Override
    public String toString() {
        return "Exchange[" + req + " -> " + (attempt == null ? pool : attempt.upstream.name()) + ", " + phase + "]";
    }
}
