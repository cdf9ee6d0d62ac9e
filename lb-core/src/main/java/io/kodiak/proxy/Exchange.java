package io.kodiak.proxy;

import io.kodiak.balancer.Strategy;
import io.kodiak.buffer.BodyBuffer;
import io.kodiak.buffer.Spool;
import io.kodiak.buffer.TempSpaceExhausted;
import io.kodiak.config.BufferingConfig;
import io.kodiak.config.PoolConfig;
import io.kodiak.config.RequestTracing;
import io.kodiak.http.BodyDecoder;
import io.kodiak.http.Bytes;
import io.kodiak.http.HeadParser;
import io.kodiak.http.HttpException;
import io.kodiak.http.RequestEncoder;
import io.kodiak.http.RequestHead;
import io.kodiak.http.RequestIds;
import io.kodiak.http.ResponseEncoder;
import io.kodiak.http.ResponseEncoder.ClientFraming;
import io.kodiak.http.ResponseHead;
import io.kodiak.metrics.ErrorCause;
import io.kodiak.upstream.PoolRuntime;
import io.kodiak.upstream.Upstream;
import org.glassfish.grizzly.Buffer;
import org.glassfish.grizzly.CompletionHandler;
import org.glassfish.grizzly.Connection;
import org.glassfish.grizzly.GrizzlyFuture;
import org.glassfish.grizzly.IOEvent;
import org.glassfish.grizzly.WriteResult;
import org.glassfish.grizzly.memory.Buffers;

import java.io.IOException;
import java.net.ConnectException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;

/**
 * One request and its response: receives the request body (buffered whole, or streamed), picks
 * an upstream, connects or reuses a pooled connection, sends the request, reads the response and
 * relays it to the client through a {@link Spool}, so a slow client never holds the upstream.
 *
 * <p>Threading: every method runs with the owning {@link ClientSession}'s monitor held.
 */
final class Exchange implements Spool.Listener {
    private static final Logger LOG = Logger.getLogger(Exchange.class.getName());

    private enum Phase { BODY, QUEUED, CONNECTING, SENDING, WAITING, RECEIVING, TUNNEL, DONE }

    private static final int NONE = 0, CONNECT = 1, SEND = 2, RESPONSE = 3, READ = 4, TUNNEL_IDLE = 5, QUEUE = 6;
    private static final int UPSTREAM_HIGH_WATER = 256 * 1024;
    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] LAST_CHUNK = "0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CONTINUE = "HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private final ClientSession s;
    private final ProxyContext ctx;
    private final RequestHead req;
    private final PoolRuntime pool;
    private final PoolConfig pc;
    private final WaitQueue queue;
    private final RequestTracing tracing;
    private final String requestId;
    /** {@code X-Request-ID: ...}, the same on every attempt and in the echo. */
    private final String idField;
    /** When the head was read, for {@code X-Request-Start}; 0 when the listener sends none. */
    private final long startedMicros;

    // request body
    private BodyDecoder bodyDecoder;
    private BodyBuffer body;
    private Spool stream;
    private long bodyBytes;
    private boolean bodyComplete;

    // upstream
    private Phase phase = Phase.BODY;
    private final List<Upstream> tried = new ArrayList<>(2);
    private Upstream upstream;
    private UpstreamConnection uc;
    private GrizzlyFuture<Connection> connecting;
    private int attempt;
    private boolean fresh;
    private boolean staleRetried;
    /** Retries made after a failure the upstream may have processed (not connect failures). */
    private int retries;
    private boolean begun;
    private BodyBuffer.Reader reader;
    private int upInflight;
    /** The request head, written with the first body bytes. */
    private Buffer upHead;
    /** The response head, written with the first body bytes. */
    private Buffer clientHead;
    private boolean pumpingRequest;
    private boolean repumpRequest;
    private boolean pumpingResponse;
    private boolean repumpResponse;
    private boolean requestSent;
    private boolean upstreamPaused;
    private long deadline;
    /** When the current upstream was picked. */
    private long dispatchedAt;
    // metrics (ctx.metrics): when the request head was read, when the current connect began, and
    // whether the pool's client-side count has this request's outcome yet
    private long startedAt;
    private long connectStartedAt;
    private boolean counted;
    private int deadlineKind;

    // response
    private ResponseHead resp;
    private BodyDecoder respDecoder;
    private Spool respSpool;
    private ClientFraming framing;
    private boolean keepAlive;
    private boolean headSent;
    private boolean anyResponseByte;
    private boolean upstreamDone;
    private boolean finished;

    Exchange(ClientSession s, RequestHead req, PoolRuntime pool) {
        this.s = s;
        this.ctx = s.ctx;
        this.req = req;
        this.pool = pool;
        this.pc = pool == null ? null : pool.config();
        this.queue = pool == null ? null : ctx.queues.get(pool);
        this.tracing = s.config.tracing();
        String id = tracing.trustClientId() ? RequestIds.fromClient(req, tracing.idHeaderLower()) : null;
        this.requestId = id != null ? id : RequestIds.generate();
        this.idField = tracing.idHeader() + ": " + requestId;
        this.startedMicros = tracing.requestStart() ? epochMicros() : 0; // the head was just read
    }

    /** Now, in microseconds since the Unix epoch (the resolution APMs read X-Request-Start in). */
    private static long epochMicros() {
        java.time.Instant now = java.time.Instant.now();
        return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
    }

    /** This request's ID: the client's if the listener trusts it, else a generated one. */
    String requestId() {
        return requestId;
    }

    // ------------------------------------------------------------------ request

    void start() {
        if (pool == null) {
            byte[] msg = "404 Not Found\n".getBytes(StandardCharsets.US_ASCII);
            finished = true;
            respondLocal(404, "text/plain; charset=utf-8", msg, req.keepAlive() && !req.hasBody(), null);
            return;
        }
        if (pc.retries().attempts() > 0) {
            pool.retryBudget().onRequest(); // only retries spend what requests earn
        }
        if (ctx.metrics) {
            startedAt = ctx.now();
            pool.clientStats().recordRequest();
        }
        BufferingConfig b = pc.buffering();
        long cl = req.contentLength();
        if (cl > b.maxRequestBody()) {
            fail413();
            return;
        }
        if (req.webSocketUpgrade() || !req.hasBody()) {
            bodyComplete = true;
            dispatch();
            return;
        }
        bodyDecoder = cl == RequestHead.CHUNKED ? BodyDecoder.chunked(400) : BodyDecoder.length(cl);
        if (req.expectContinue()) {
            s.write(CONTINUE, CONTINUE.length);
        }
        if (b.request()) {
            body = new BodyBuffer(s, b.memory(), b.tempDir(), ctx.spoolIo, this::onBodyWritable, this::onBodyFailed);
        } else {
            stream = new Spool(s, b.memory(), 0, b.tempDir(), ctx.spoolIo, this);
        }
        s.expectBody();
        if (stream != null) {
            dispatch();
        }
    }

    /** Client bytes for the request body; stops early if the body buffer asks to pause. */
    void clientBody(Buffer in) {
        long before = bodyBytes;
        try {
            while (in.hasRemaining() && !bodyDecoder.done()) {
                Buffer data = bodyDecoder.decode(in);
                if (data != null) {
                    bodyBytes += data.remaining();
                    if (bodyBytes > pc.buffering().maxRequestBody()) {
                        fail413();
                        return;
                    }
                    if (body != null) {
                        body.add(data);
                    } else {
                        stream.add(data);
                    }
                }
                if (body != null ? body.full() : stream.full()) {
                    s.pauseRead(ClientSession.PAUSE_BODY);
                    break;
                }
            }
        } catch (HttpException e) {
            s.reject(e);
            return;
        } catch (TempSpaceExhausted e) {
            LOG.warning(() -> pool.name() + ": " + e.getMessage() + "; request body refused with 503");
            cleanup();
            respondLocal(503, "text/plain; charset=utf-8", "503 Service Unavailable\n".getBytes(StandardCharsets.US_ASCII),
                    false, "Retry-After: 5");
            return;
        } catch (IOException e) {
            LOG.warning(() -> pool.name() + ": cannot buffer request body: " + e.getMessage());
            s.reject(new HttpException(500, "temp file failed"));
            return;
        }
        if (bodyBytes > before) {
            s.bodyProgress((int) (bodyBytes - before));
        }
        if (bodyDecoder.done()) {
            bodyComplete = true;
            s.bodyDone();
            if (body != null) {
                body.whenWritten(() -> {
                    if (body.failure() != null) {
                        s.reject(new HttpException(500, "temp file failed"));
                    } else {
                        dispatch();
                    }
                });
                return;
            }
            stream.end();
        }
        if (stream != null) {
            pumpRequest();
        }
    }

    private void onBodyWritable() {
        s.resumeRead(ClientSession.PAUSE_BODY);
    }

    /** A temp-file write failed while the body was still arriving (reading may be paused on it). */
    private void onBodyFailed(Throwable error) {
        LOG.warning(() -> pool.name() + ": cannot buffer request body: " + error);
        s.reject(new HttpException(500, "temp file failed"));
    }

    /** Whether a response head has gone to the client: from here a failure can only cut the response. */
    boolean responseStarted() {
        return headSent;
    }

    private void fail413() {
        if (headSent) {
            failAfterStart(); // the response is under way: cut it, never write a 413 into it
            return;
        }
        byte[] msg = "413 Content Too Large\n".getBytes(StandardCharsets.US_ASCII);
        // When streaming, the upstream already has part of the body: that request can never end.
        dropUpstream();
        cleanup();
        respondLocal(413, "text/plain; charset=utf-8", msg, false, null);
    }

    // ------------------------------------------------------------------ upstream selection

    private void dispatch() {
        if (finished) {
            return;
        }
        // One snapshot for the whole decision: the health checker may publish another meanwhile.
        PoolRuntime.Selection selection = pool.selection();
        Strategy<Upstream> strategy = selection.strategy();
        long key = strategy.usesKey() ? HashKeys.of(pc.hash(), req, s.clientIp) : 0;
        // A pick can race another selector thread for an upstream's last slot; then pick again.
        for (int race = 0; race < 4; race++) {
            // adminOut: the operator may have drained an upstream after this selection was built.
            Upstream u = strategy.pick(key, x -> !tried.contains(x) && x.hasCapacity() && !x.adminOut());
            if (u == null) {
                break;
            }
            if (u.tryBegin()) {
                if (selection.panic()) {
                    pool.countPanicRequest();
                }
                startAttempt(u);
                return;
            }
        }
        if (selection.members().stream().anyMatch(x -> !tried.contains(x) && !x.hasCapacity() && !x.adminOut())) {
            enqueue();
        } else {
            noUpstream();
        }
    }

    /** {@code u}'s slot is ours (counted in flight from here): use a pooled connection or connect. */
    private void startAttempt(Upstream u) {
        tried.add(u);
        upstream = u;
        staleRetried = false; // one stale-connection retry per upstream, not per request
        // In flight from the pick, not from the connect: least-connections must see the requests
        // still connecting, or a burst of picks would all land on the same upstream.
        begun = true;
        dispatchedAt = ctx.now();
        if (ctx.metrics) {
            u.stats().recordRequest();
        }
        UpstreamConnection c = ctx.connectionPools.get(u).acquire(dispatchedAt);
        if (c != null) {
            fresh = false;
            bind(c);
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
            serviceUnavailable();
            return;
        }
        phase = Phase.QUEUED;
        setDeadline(QUEUE, pc.queue().timeout().toNanos());
        // A slot may have freed between the pick that found none and joining the queue, and its
        // end found the queue empty: offer every free slot to the head of the queue now.
        for (Upstream u : pool.selection().members()) {
            queue.handOff(u);
        }
    }

    /**
     * The queue reserved a slot of {@code u} for this exchange. Called on the thread that freed
     * it, with that exchange's lock held: the rest runs on this exchange's own selector thread.
     */
    /**
     * Whether this request already went to {@code u}. Read by the queue while the exchange waits
     * in it, when nothing changes the list: it is written only in {@link #startAttempt}, before the
     * exchange joined the queue under the queue's lock.
     */
    boolean triedOn(Upstream u) {
        return tried.contains(u);
    }

    /** The queue gave up on this exchange (no upstream is left): answer it on its own selector thread. */
    void rejectFromQueue() {
        s.connection.executeInEventThread(IOEvent.READ, () -> {
            synchronized (s) {
                if (!finished && phase == Phase.QUEUED) {
                    deadline = 0;
                    deadlineKind = NONE;
                    serviceUnavailable();
                }
            }
        });
    }

    void grant(Upstream u) {
        s.connection.executeInEventThread(IOEvent.READ, () -> {
            synchronized (s) {
                if (finished || phase != Phase.QUEUED) {
                    u.end(); // gone meanwhile: pass the slot on
                    queue.handOff(u);
                    return;
                }
                startAttempt(u);
            }
        });
    }

    private void connect() {
        phase = Phase.CONNECTING;
        int my = ++attempt;
        Upstream u = upstream;
        ConnectionPool cp = ctx.connectionPools.get(u);
        setDeadline(CONNECT, pc.timeouts().connect().toNanos());
        if (ctx.metrics) {
            connectStartedAt = ctx.now();
        }
        GrizzlyFuture<Connection> f = ctx.connector.connect(u.address());
        connecting = f;
        f.addCompletionHandler(new CompletionHandler<>() {
            @Override
            public void completed(Connection c) {
                synchronized (s) {
                    if (my != attempt || phase != Phase.CONNECTING || finished) {
                        c.closeSilently();
                        return;
                    }
                    connecting = null;
                    if (ctx.metrics) {
                        u.stats().connectTime().record(ctx.now() - connectStartedAt);
                    }
                    UpstreamConnection nc = new UpstreamConnection(u, c, cp);
                    UpstreamFilter.UPSTREAM.set(c, nc);
                    fresh = true;
                    bind(nc);
                    send();
                }
            }

            @Override
            public void failed(Throwable t) {
                synchronized (s) {
                    if (my != attempt || phase != Phase.CONNECTING || finished) {
                        return;
                    }
                    connecting = null;
                    connectFailed(ErrorCause.CONNECT_REFUSED, t instanceof ConnectException ? "connection refused" : String.valueOf(t));
                }
            }

            @Override
            public void cancelled() {
            }

            @Override
            public void updated(Connection result) {
            }
        });
    }

    private void connectFailed(ErrorCause cause, String why) {
        recordError(cause);
        endAttempt();
        upstream.failed();
        LOG.info(() -> pool.name() + "/" + upstream.name() + ": connect failed (" + why + "), trying the next upstream");
        dispatch();
    }

    /**
     * Whether this request may be sent again after its upstream may have processed it: nothing of
     * a response reached the client, the method is idempotent, the body is buffered (so it can be
     * replayed), attempts are left, and some available upstream has not been tried yet (never the
     * same one twice). The budget is checked last, in {@link #retry}, so it is spent only on retries
     * that happen.
     */
    private boolean mayRetry() {
        return !headSent && stream == null && retries < pc.retries().attempts() && pc.retries().mayRepeat(req.method())
                && pool.selection().members().stream().anyMatch(u -> !tried.contains(u));
    }

    /**
     * Gives up the current attempt and sends the request to another upstream, if {@code enabled}
     * for this cause and {@link #mayRetry()} and the pool's budget allow.
     *
     * @return whether a retry was started; if not, the caller answers the failure
     */
    private boolean retry(boolean enabled, String why) {
        if (!enabled || !mayRetry()) {
            return false;
        }
        Upstream failed = upstream;
        if (!pool.retryBudget().tryRetry()) {
            LOG.info(() -> pool.name() + "/" + failed.name() + ": " + why + "; retry budget spent, not retrying");
            return false;
        }
        retries++;
        pool.retries().increment();
        LOG.info(() -> pool.name() + "/" + failed.name() + ": " + why + "; retrying on another upstream");
        releaseUpstream(false);
        dispatch();
        return true;
    }

    /** Nothing could take the request: the pool's error page, or 502 after failed attempts, 503 without any. */
    private void noUpstream() {
        if (tried.isEmpty() || pc.errorPage() != null) {
            // After failed attempts the built-in answer is a 502, which promises no retry time.
            serviceUnavailable(tried.isEmpty());
            return;
        }
        cleanup();
        respondLocal(502, "text/plain; charset=utf-8", "502 Bad Gateway\n".getBytes(StandardCharsets.US_ASCII),
                req.keepAlive() && bodyComplete, null);
    }

    /** No upstream can take the request now (none usable, queue full or wait expired): the error page or 503. */
    private void serviceUnavailable() {
        serviceUnavailable(true);
    }

    /**
     * @param retryAfter send Retry-After, as the built-in 503 does; a custom page replaces the
     *                   body, not what the answer tells clients about retrying
     */
    private void serviceUnavailable(boolean retryAfter) {
        cleanup();
        var page = pc.errorPage();
        boolean keep = req.keepAlive() && bodyComplete;
        String retry = retryAfter ? "Retry-After: 1" : null;
        if (page != null) {
            respondLocal(page.status(), page.contentType(), page.body(), keep, retry);
        } else {
            respondLocal(503, "text/plain; charset=utf-8", "503 Service Unavailable\n".getBytes(StandardCharsets.US_ASCII),
                    keep, retry);
        }
    }

    private void bind(UpstreamConnection c) {
        uc = c;
        c.owner = this;
        c.uses++;
        upInflight = 0;
    }

    private void endAttempt() {
        if (begun) {
            upstream.end();
            begun = false;
            queue.handOff(upstream);
        }
    }

    // ------------------------------------------------------------------ sending

    private void send() {
        phase = Phase.SENDING;
        requestSent = false;
        anyResponseByte = false;
        resp = null;
        long length = body != null ? body.length() : stream != null ? req.contentLength() : 0;
        Bytes head = RequestEncoder.encode(req, s.config.forwarded(), s.clientIp, "http", length,
                tracing.idHeaderLower(), idField, startedMicros);
        // The reader must exist before the first write: a write may complete synchronously and pump.
        reader = body != null ? body.reader(this) : null;
        setDeadline(SEND, pc.timeouts().send().toNanos());
        upHead = Buffers.wrap(uc.connection.getMemoryManager(), head.array(), 0, head.length());
        pumpRequest();
    }

    /**
     * Writes request bytes while the upstream takes them. A write can complete synchronously and
     * call back into this method; the guard turns that into another turn of the outer loop, so
     * the pieces of one chunk (size line, data, CRLF) are never interleaved with the next.
     */
    private void pumpRequest() {
        if (pumpingRequest) {
            repumpRequest = true;
            return;
        }
        pumpingRequest = true;
        try {
            do {
                repumpRequest = false;
                pumpRequestOnce();
            } while (repumpRequest && !finished);
        } finally {
            pumpingRequest = false;
        }
    }

    private void pumpRequestOnce() {
        if (uc == null || requestSent || phase == Phase.CONNECTING || finished) {
            return;
        }
        // A write can fail at once and start a retry on another connection from inside this call;
        // then this turn's request is not the one on uc any more, and must not mark it complete.
        UpstreamConnection target = uc;
        // Everything ready goes out in one write: the head with the first body bytes, and a
        // chunk's size line, data and CRLF together.
        Buffer out = upHead;
        upHead = null;
        boolean chunked = stream != null && req.contentLength() == RequestHead.CHUNKED;
        long budget = UPSTREAM_HIGH_WATER - upInflight;
        boolean complete = false;
        while (budget > 0) {
            Buffer b = reader != null ? reader.poll() : stream != null ? stream.poll() : null;
            if (b == null) {
                if (reader != null ? reader.done() : stream == null || stream.drained()) {
                    if (chunked) {
                        out = gather(out, wrap(LAST_CHUNK));
                    }
                    complete = true;
                }
                break;
            }
            budget -= b.remaining();
            if (chunked) {
                out = gather(out, wrap((Integer.toHexString(b.remaining()) + "\r\n").getBytes(StandardCharsets.US_ASCII)));
                out = gather(gather(out, b), wrap(CRLF));
            } else {
                out = gather(out, b);
            }
        }
        if (out != null) {
            writeUpstream(out);
        }
        if (complete && uc == target && !finished) {
            requestComplete();
        }
        if (stream != null && !finished && !stream.full()) {
            s.resumeRead(ClientSession.PAUSE_BODY);
        }
    }

    private Buffer gather(Buffer a, Buffer b) {
        return a == null ? b : Buffers.appendBuffers(s.connection.getMemoryManager(), a, b, false);
    }

    private void requestComplete() {
        requestSent = true;
        if (resp == null && phase == Phase.SENDING) {
            phase = Phase.WAITING;
            setDeadline(RESPONSE, pc.timeouts().response().toNanos());
        }
    }

    private Buffer wrap(byte[] b) {
        return Buffers.wrap(s.connection.getMemoryManager(), b);
    }

    private void writeUpstream(Buffer b) {
        UpstreamConnection target = uc;
        if (target == null) {
            return; // an earlier write of the same batch failed at once and ended this attempt
        }
        int n = b.remaining();
        upInflight += n;
        if (ctx.metrics) {
            target.upstream.stats().addBytesOut(n);
        }
        ctx.write(target.connection, b, new CompletionHandler<WriteResult>() {
            @Override
            public void completed(WriteResult result) {
                synchronized (s) {
                    if (target != uc) {
                        return;
                    }
                    upInflight -= n;
                    if (phase == Phase.SENDING) {
                        setDeadline(SEND, pc.timeouts().send().toNanos());
                        pumpRequest();
                    } else if (phase == Phase.TUNNEL) {
                        if (upInflight < UPSTREAM_HIGH_WATER) {
                            s.resumeRead(ClientSession.PAUSE_TUNNEL);
                        }
                    }
                }
            }

            @Override
            public void failed(Throwable t) {
                synchronized (s) {
                    if (target == uc) {
                        onUpstreamClosed(target);
                    }
                }
            }

            @Override
            public void cancelled() {
                failed(null);
            }

            @Override
            public void updated(WriteResult result) {
            }
        });
    }

    // ------------------------------------------------------------------ receiving

    void onUpstreamRead(UpstreamConnection c, Buffer in) {
        synchronized (s) {
            if (c != uc || finished) {
                if (c.owner == null || c.owner == this) {
                    c.pool.retire(c);
                }
                return;
            }
            anyResponseByte = true;
            if (ctx.metrics) {
                upstream.stats().addBytesIn(in.remaining());
            }
            if (phase == Phase.TUNNEL) {
                s.write(in);
                setDeadline(TUNNEL_IDLE, tunnelTimeout());
                if (!s.clientWritable()) {
                    pauseUpstream();
                }
                return;
            }
            try {
                while (in.hasRemaining() && !upstreamDone) {
                    if (resp == null) {
                        byte[] head = c.responseHeads.read(in);
                        if (head == null) {
                            break;
                        }
                        ResponseHead r = HeadParser.parseResponse(head, req.isHead());
                        if (r.isInterim()) {
                            continue;
                        }
                        long headAt = ctx.now(); // one clock read for the time to first byte, the deadline and a head-only rtt
                        if (ctx.metrics) {
                            upstream.stats().timeToFirstByte().record(headAt - dispatchedAt);
                        }
                        if (r.status() == 101) {
                            if (!req.webSocketUpgrade()) {
                                throw new HttpException(502, "101 without an upgrade request");
                            }
                            if (!r.upgradesToWebSocket()) {
                                throw new HttpException(502, "101 to a protocol other than websocket");
                            }
                            resp = r;
                            startTunnel(in);
                            return;
                        }
                        if (pc.retries().onStatus().contains(r.status())) {
                            Upstream answered = upstream;
                            long rtt = headAt - dispatchedAt;
                            if (retry(true, "answered " + r.status())) {
                                answered.responded(r.status(), rtt); // a 5xx: counts against its latency
                                if (ctx.metrics) {
                                    answered.stats().recordResponse(r.status());
                                    answered.stats().latency().record(rtt);
                                }
                                return;
                            }
                        }
                        resp = r;
                        startResponse(headAt);
                        if (respDecoder == null) {
                            upstreamComplete(in.hasRemaining(), headAt);
                        }
                    } else {
                        Buffer data = respDecoder.decode(in);
                        if (data != null) {
                            respSpool.add(data);
                        }
                        if (respDecoder.done()) {
                            upstreamComplete(in.hasRemaining(), ctx.now());
                        }
                    }
                }
            } catch (HttpException e) {
                badResponse(e.getMessage());
                return;
            } catch (IOException e) {
                LOG.warning(() -> pool.name() + ": cannot buffer response: " + e.getMessage());
                failAfterStart();
                return;
            }
            if (phase == Phase.RECEIVING && !upstreamDone) {
                setDeadline(READ, pc.timeouts().read().toNanos());
            }
            pumpResponse();
            if (uc != null && respSpool != null && respSpool.full()) {
                pauseUpstream();
            }
        }
    }

    /** {@code now}: when the head arrived. */
    private void startResponse(long now) {
        phase = Phase.RECEIVING;
        deadlineKind = READ;
        deadline = ClientSession.nonZero(now + pc.timeouts().read().toNanos());
        long length = resp.contentLength();
        framing = switch (resp.framing()) {
            case NONE -> ClientFraming.NONE;
            case LENGTH -> ClientFraming.LENGTH;
            case CHUNKED, CLOSE -> req.versionMinor() == 1 ? ClientFraming.CHUNKED : ClientFraming.CLOSE;
        };
        keepAlive = req.keepAlive() && framing != ClientFraming.CLOSE && bodyComplete && !ctx.stopping() && !s.closingWhenIdle();
        Bytes head = ResponseEncoder.encode(resp, s.config.serverHeader(), framing, length, keepAlive,
                req.versionMinor(), false, tracing.echoId() ? tracing.idHeaderLower() : null,
                tracing.echoId() ? idField : null);
        clientHead = Buffers.wrap(s.connection.getMemoryManager(), head.array(), 0, head.length());
        headSent = true; // committed: from here on a failure can only truncate
        if (ctx.metrics) {
            pool.clientStats().timeToFirstByte().record(now - startedAt);
        }
        respDecoder = switch (resp.framing()) {
            case NONE -> null;
            case LENGTH -> length == 0 ? null : BodyDecoder.length(length);
            case CHUNKED -> BodyDecoder.chunked(502);
            case CLOSE -> BodyDecoder.closeDelimited();
        };
        BufferingConfig b = pc.buffering();
        respSpool = new Spool(s, b.memory(), b.response() ? b.maxTempFile() : 0, b.tempDir(), ctx.spoolIo, this);
    }

    /** The upstream has sent the whole response (at {@code now}); {@code extra} means it sent more than that. */
    private void upstreamComplete(boolean extra, long now) {
        upstreamDone = true;
        respSpool.end();
        // The round trip for the latency estimate: from the pick to the last byte from the upstream.
        long rtt = now - dispatchedAt;
        upstream.responded(resp.status(), rtt);
        if (ctx.metrics) {
            upstream.stats().recordResponse(resp.status());
            upstream.stats().latency().record(rtt);
        }
        boolean reusable = resp.keepAlive() && requestSent && !extra && !req.webSocketUpgrade();
        if (extra) {
            LOG.fine(() -> pool.name() + "/" + upstream.name() + ": bytes after the response; connection not reused");
        }
        releaseUpstream(reusable);
    }

    private void releaseUpstream(boolean reusable) {
        endAttempt();
        UpstreamConnection c = uc;
        uc = null;
        deadline = 0;
        deadlineKind = NONE;
        if (c == null) {
            return;
        }
        if (reusable) {
            if (upstreamPaused) {
                resumeUpstream(c);
            }
            c.pool.release(c, ctx.now());
        } else {
            c.close();
        }
    }

    /** Writes response bytes while the client takes them; re-entrant calls fold into the outer loop. */
    private void pumpResponse() {
        if (pumpingResponse) {
            repumpResponse = true;
            return;
        }
        pumpingResponse = true;
        try {
            do {
                repumpResponse = false;
                pumpResponseOnce();
            } while (repumpResponse && !finished);
        } finally {
            pumpingResponse = false;
        }
    }

    private void pumpResponseOnce() {
        if (!headSent || finished) {
            return;
        }
        // Everything ready goes out in one write: the head with the first body bytes, and a
        // chunk's size line, data and CRLF together.
        Buffer out = clientHead;
        clientHead = null;
        long budget = ClientSession.CLIENT_HIGH_WATER - s.clientInflight();
        while (budget > 0) {
            Buffer b = respSpool.poll();
            if (b == null) {
                break;
            }
            budget -= b.remaining();
            if (framing == ClientFraming.CHUNKED) {
                out = gather(out, wrap((Integer.toHexString(b.remaining()) + "\r\n").getBytes(StandardCharsets.US_ASCII)));
                out = gather(gather(out, b), wrap(CRLF));
            } else {
                out = gather(out, b);
            }
        }
        boolean done = upstreamDone && respSpool.drained();
        if (done && framing == ClientFraming.CHUNKED) {
            out = gather(out, wrap(LAST_CHUNK));
        }
        if (out != null) {
            s.write(out);
        }
        if (upstreamPaused && uc != null && !respSpool.full()) {
            resumeUpstream(uc);
        }
        if (done) {
            clientDone(resp.status());
            finished = true;
            phase = Phase.DONE;
            cleanup();
            s.exchangeDone(keepAlive);
        }
    }

    void onClientWritable() {
        if (phase == Phase.TUNNEL) {
            if (upstreamPaused && uc != null && s.clientWritable()) {
                resumeUpstream(uc);
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
        if (spool == null || spool == stream) {
            pumpRequest();
        } else {
            pumpResponse();
        }
    }

    @Override
    public void onSpoolFailed(Spool spool, Throwable error) {
        if (finished) {
            return; // closing a body or spool fails its read in flight: nothing is wrong
        }
        LOG.warning(() -> pool.name() + ": temp file failed: " + error);
        failAfterStart();
    }

    private void pauseUpstream() {
        if (!upstreamPaused && uc != null) {
            upstreamPaused = true;
            if (deadlineKind == READ) {
                // Kodiak stops reading because the client is slow: the upstream is not stalling, so
                // its read timeout waits until reading resumes (the client's send timeout applies).
                deadline = 0;
                deadlineKind = NONE;
            }
            try {
                uc.connection.disableIOEvent(IOEvent.READ);
            } catch (IOException e) {
                onUpstreamClosed(uc);
            }
        }
    }

    private void resumeUpstream(UpstreamConnection c) {
        upstreamPaused = false;
        if (c == uc && phase == Phase.RECEIVING && !upstreamDone) {
            setDeadline(READ, pc.timeouts().read().toNanos());
        }
        try {
            c.connection.enableIOEvent(IOEvent.READ);
        } catch (IOException e) {
            c.close();
        }
    }

    // ------------------------------------------------------------------ failures

    void onUpstreamClosed(UpstreamConnection c) {
        synchronized (s) {
            if (c != uc || finished) {
                return;
            }
            if (phase == Phase.TUNNEL) {
                releaseUpstream(false);
                finished = true;
                cleanup();
                s.close();
                return;
            }
            if (resp == null) {
                // Written whole, a non-idempotent request may have run before the connection
                // closed: a stale connection and a worker that died after the work look alike.
                boolean replayable = stream == null && (!requestSent || pc.retries().mayRepeat(req.method()));
                if (!anyResponseByte && !fresh && !staleRetried && replayable) {
                    // A pooled connection the upstream had already closed: nothing was processed.
                    staleRetried = true;
                    UpstreamConnection stale = uc; // the slot stays ours for the retry
                    uc = null;
                    stale.close();
                    LOG.fine(() -> pool.name() + "/" + upstream.name() + ": stale pooled connection, retrying on a new one");
                    connect();
                    return;
                }
                upstream.failed();
                recordError(ErrorCause.RESET);
                if (retry(pc.retries().onReset(), "connection closed before a response")) {
                    return;
                }
                LOG.info(() -> pool.name() + "/" + upstream.name() + ": connection closed before a response");
                releaseUpstream(false);
                respondError(502);
                return;
            }
            if (respDecoder != null && respDecoder.completesOnEof() && !upstreamDone) {
                upstreamComplete(false, ctx.now());
                pumpResponse();
                return;
            }
            if (!upstreamDone) {
                upstream.failed();
                recordError(ErrorCause.RESET);
                LOG.info(() -> pool.name() + "/" + upstream.name() + ": response truncated; closing the client connection");
                releaseUpstream(false);
                failAfterStart();
            }
        }
    }

    private void badResponse(String why) {
        upstream.failed();
        recordError(ErrorCause.INVALID_RESPONSE);
        LOG.warning(() -> pool.name() + "/" + upstream.name() + ": invalid response: " + why);
        releaseUpstream(false);
        if (headSent) {
            failAfterStart();
        } else {
            respondError(502);
        }
    }

    private void respondLocal(int status, String contentType, byte[] body, boolean keep, String extraField) {
        clientDone(status);
        if (tracing.echoId()) {
            extraField = extraField == null ? idField : extraField + "\r\n" + idField;
        }
        s.respondLocal(status, contentType, body, keep, extraField, req.isHead());
    }

    /** An error before any response byte reached the client. */
    private void respondError(int status) {
        cleanup();
        boolean keep = req.keepAlive() && bodyComplete;
        respondLocal(status, "text/plain; charset=utf-8",
                (status + " " + ResponseEncoder.reason(status) + "\n").getBytes(StandardCharsets.US_ASCII), keep, null);
    }

    /** The response has started: the client must see it truncated. */
    private void failAfterStart() {
        clientDone(resp != null ? resp.status() : 502);
        releaseUpstream(false);
        cleanup();
        s.abort();
    }

    void checkTimeouts(long now) {
        if (deadline == 0 || now - deadline < 0 || finished) {
            return;
        }
        int kind = deadlineKind;
        deadline = 0;
        deadlineKind = NONE;
        switch (kind) {
            case QUEUE -> {
                if (queue.remove(this)) {
                    pool.queueTimeouts().increment();
                    LOG.info(() -> pool.name() + ": waited " + pc.queue().timeout().toMillis() + " ms in the queue, 503");
                    serviceUnavailable();
                } // else a granted slot is already on its way to this exchange
            }
            case CONNECT -> {
                attempt++;
                if (connecting != null) {
                    connecting.cancel(false);
                    connecting = null;
                }
                connectFailed(ErrorCause.CONNECT_TIMEOUT, "timeout");
            }
            case SEND, RESPONSE -> {
                upstream.failed();
                recordError(ErrorCause.TIMEOUT);
                if (!headSent && retry(pc.retries().onTimeout(), "no response in time")) {
                    return;
                }
                LOG.info(() -> pool.name() + "/" + upstream.name() + ": no response in time (504)");
                releaseUpstream(false);
                if (headSent) {
                    failAfterStart();
                } else {
                    respondError(504);
                }
            }
            case READ -> {
                upstream.failed();
                recordError(ErrorCause.TIMEOUT);
                LOG.info(() -> pool.name() + "/" + upstream.name() + ": response body stalled; closing");
                failAfterStart();
            }
            case TUNNEL_IDLE -> {
                releaseUpstream(false);
                finished = true;
                cleanup();
                s.close();
            }
            default -> { }
        }
    }

    /** The client went away, or the session gave up: drop everything. */
    void abort() {
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
        }
        dropUpstream();
        cleanup();
    }

    /** Gives up the upstream side: a connect in progress is cancelled, a connection closed. */
    private void dropUpstream() {
        attempt++;
        if (connecting != null) {
            connecting.cancel(false);
            connecting = null;
        }
        releaseUpstream(false);
    }

    private void cleanup() {
        finished = true;
        if (body != null) {
            body.close();
        }
        if (stream != null) {
            stream.close();
        }
        if (respSpool != null) {
            respSpool.close();
        }
    }

    // ------------------------------------------------------------------ tunnel

    private void startTunnel(Buffer rest) {
        phase = Phase.TUNNEL;
        Bytes head = ResponseEncoder.encode(resp, s.config.serverHeader(), ClientFraming.NONE, -1, false,
                req.versionMinor(), true);
        s.write(head.array(), head.length());
        headSent = true;
        if (ctx.metrics) {
            upstream.stats().recordResponse(101);
        }
        clientDone(101);
        setDeadline(TUNNEL_IDLE, tunnelTimeout());
        if (rest.hasRemaining()) {
            s.write(rest);
        }
        s.startTunnel();
    }

    void tunnelFromClient(Buffer b) {
        if (uc == null) {
            return;
        }
        writeUpstream(b);
        setDeadline(TUNNEL_IDLE, tunnelTimeout());
        if (upInflight >= UPSTREAM_HIGH_WATER) {
            s.pauseRead(ClientSession.PAUSE_TUNNEL);
        }
    }

    private long tunnelTimeout() {
        return Math.max(pc.timeouts().read().toNanos(), s.config.timeouts().keepAlive().toNanos());
    }

    /** Counts an attempt's failure against the current upstream. */
    private void recordError(ErrorCause cause) {
        if (ctx.metrics) {
            upstream.stats().recordError(cause);
        }
    }

    /** The client has its answer (or all of it that it will get): counted once per request, for the pool. */
    private void clientDone(int status) {
        if (counted || pool == null) {
            return;
        }
        counted = true;
        if (ctx.metrics) {
            pool.clientStats().recordResponse(status);
            pool.clientStats().latency().record(ctx.now() - startedAt);
        }
    }

    private void setDeadline(int kind, long afterNanos) {
        deadlineKind = kind;
        deadline = ClientSession.nonZero(ctx.now() + afterNanos);
    }

    @Override
    public String toString() {
        return "Exchange[" + req + " -> " + (upstream == null ? pool : upstream.name()) + ", " + phase + "]";
    }
}
