package io.kodiak.proxy;

import io.kodiak.accesslog.Termination;
import io.kodiak.buffer.Spool;
import io.kodiak.config.ListenerConfig;
import io.kodiak.config.PoolConfig;
import io.kodiak.http.Bytes;
import io.kodiak.http.HeadParser;
import io.kodiak.http.HttpException;
import io.kodiak.http.RequestEncoder;
import io.kodiak.http.RequestHead;
import io.kodiak.http.ResponseHead;
import io.kodiak.metrics.ErrorCause;
import io.kodiak.upstream.Upstream;
import org.glassfish.grizzly.Buffer;

import java.io.IOException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The upstream side of one exchange, attempt after attempt: connect (or reuse), send the request
 * ({@link RequestSender}), read the response head (the response filters, {@link ResponseFramingPlan}),
 * relay the body ({@link ResponseRelay}) or open a {@link Tunnel}, and enforce the upstream
 * timeouts. What to do about a failure (retry elsewhere, answer an error, cut the response) is the
 * {@link Exchange}'s decision: this class reports it and holds no policy.
 *
 * <p>Threading: every method runs with the session's lock held; upstream events, write and connect
 * completions and temp-file callbacks take it first.
 *
 * <p>Size: about 500 lines, over the project's 400, because it is one state machine (the phases
 * CONNECTING to TUNNEL and their one deadline): its pieces with state of their own are already
 * out (Attempt, RequestSender, ResponseRelay, Tunnel, ResponseFramingPlan, ResponsePhase), and
 * splitting the transitions would spread them over classes that each see half of them.
 */
final class UpstreamLeg implements UpstreamConnection.Owner, Attempt.Events, RequestSender.Events, Spool.Listener {
    private static final Logger LOG = Logger.getLogger(UpstreamLeg.class.getName());

    private enum Phase { IDLE, CONNECTING, SENDING, WAITING, RECEIVING, TUNNEL }

    /** What the one running deadline is for. */
    private enum Deadline { NONE, CONNECT, SEND, RESPONSE, READ, TUNNEL_IDLE }

    private final Exchange x;
    /** The session's monitor, taken by events from the upstream side; the session itself is the exchange's to drive. */
    private final Object lock;
    private final ClientOutput out;
    private final ListenerConfig config;
    private final ProxyContext ctx;
    private final ExchangeMetrics metrics;
    private final PoolConfig pc;
    private final RequestHead req;
    private final RequestBody body;
    private final RequestSender sender;
    private Attempt attempt;
    private ResponseRelay relay;
    private Tunnel tunnel;
    private Phase phase = Phase.IDLE;
    private long deadline;
    private Deadline deadlineKind = Deadline.NONE;
    private boolean anyResponseByte;

    UpstreamLeg(Exchange x, Object lock, ClientOutput out, ExchangeMetrics metrics, PoolConfig pc, RequestBody body) {
        this.x = x;
        this.lock = lock;
        this.out = out;
        this.config = x.listenerConfig();
        this.ctx = x.ctx();
        this.metrics = metrics;
        this.pc = pc;
        this.req = x.req;
        this.body = body;
        this.sender = new RequestSender(lock, ctx, metrics, this, body,
                body != null && body.streaming() && req.contentLength() == RequestHead.CHUNKED);
    }

    Attempt attempt() {
        return attempt;
    }

    ResponseRelay relay() {
        return relay;
    }

    /** Whether a WebSocket tunnel is open (its 101 went to the client). */
    boolean tunnelOpen() {
        return tunnel != null;
    }

    /** The tunnel, once a 101 opened it; null before. */
    Tunnel tunnel() {
        return tunnel;
    }

    /** Whether a response head went to the client: from here a failure can only cut the response. */
    boolean responseStarted() {
        return relay != null || tunnel != null;
    }

    /** The slot of {@code a} is held: a pooled connection, or a new one. */
    void begin(Attempt a) {
        attempt = a;
        if (a.reusePooled()) {
            send();
        } else {
            phase = Phase.CONNECTING;
            setDeadline(Deadline.CONNECT, pc.timeouts().connect().toNanos());
            a.connect(this);
        }
    }

    @Override
    public void connected(Attempt a) {
        if (a == attempt && !x.finished()) {
            send();
        }
    }

    @Override
    public void connectFailed(Attempt a, ErrorCause cause, String why) {
        if (a != attempt || x.finished()) {
            return;
        }
        phase = Phase.IDLE;
        clearDeadline();
        a.connectFailed(cause);
        if (cause == ErrorCause.TLS_HANDSHAKE) {
            // A certificate that does not verify is a setting to fix, not a passing fault: say so louder.
            LOG.warning(() -> x.pool.name() + "/" + a.upstream.name() + ": " + why);
        } else {
            LOG.info(() -> x.pool.name() + "/" + a.upstream.name() + ": connect failed (" + why + "), trying the next upstream");
        }
        x.connectFailed(Endings.connectFailed(cause));
    }

    // ------------------------------------------------------------------ sending

    private void send() {
        phase = Phase.SENDING;
        anyResponseByte = false;
        RequestPhase.Rewrite rw = x.rewrite;
        Bytes head = RequestEncoder.encode(req, config.forwarded(), x.clientIp(), config.scheme(),
                body == null ? 0 : body.upstreamLength(), x.tracing.idHeaderLower(), x.idField(), x.startedMicros(),
                x.upstreamEdits, config.forwarded().xForwardedPort() ? x.localPort() : 0,
                rw == null ? null : rw.target(),
                rw == null ? null : rw.hostOfUpstream() ? upstreamAuthority(attempt.upstream, pc.tls() != null) : rw.host());
        setDeadline(Deadline.SEND, pc.timeouts().send().toNanos());
        sender.start(attempt.connection(), head);
        pumpRequest();
    }

    /**
     * The upstream's {@code host[:port]} as configured, for a rewrite's {@code host: upstream} and
     * a forward-auth subrequest's {@code Host}: the port left out when it is the scheme's default,
     * as nginx's {@code $proxy_host} does; {@code localhost} for a Unix socket, as nginx's
     * {@code proxy_pass http://unix:/path:} sends.
     */
    static String upstreamAuthority(Upstream u, boolean tls) {
        if (u.isUnix()) {
            return "localhost";
        }
        int port = u.address().getPort();
        String hp = u.hostPort();
        return port == (tls ? 443 : 80) ? hp.substring(0, hp.lastIndexOf(':')) : hp;
    }

    /** Sends what is ready of the request; the client's body is read on while the upstream takes it. */
    void pumpRequest() {
        if (x.finished() || phase == Phase.CONNECTING || !sender.active()) {
            return;
        }
        if (sender.pump() && !x.finished() && phase == Phase.SENDING) {
            phase = Phase.WAITING;
            setDeadline(Deadline.RESPONSE, pc.timeouts().response().toNanos());
        }
        if (body != null && body.streaming() && !x.finished() && !body.full()) {
            x.wantClientBody();
        }
    }

    @Override
    public void written(UpstreamConnection target) {
        if (phase == Phase.SENDING) {
            setDeadline(Deadline.SEND, pc.timeouts().send().toNanos());
            pumpRequest();
        } else if (phase == Phase.TUNNEL && !tunnel.upstreamBusy()) {
            x.tunnelClientReads(true);
        }
    }

    @Override
    public void writeFailed(UpstreamConnection target) {
        onUpstreamClosed(target);
    }

    // ------------------------------------------------------------------ response

    @Override
    public void onUpstreamRead(UpstreamConnection c, Buffer in) {
        synchronized (lock) {
            if (attempt == null || c != attempt.connection() || x.finished()) {
                if (c.owner == null || c.owner == this) {
                    c.pool.retire(c);
                }
                return;
            }
            anyResponseByte = true;
            metrics.bytesFromUpstream(attempt.upstream, in.remaining());
            if (phase == Phase.TUNNEL) {
                tunnel.toClient(in.remaining());
                out.write(in);
                setDeadline(Deadline.TUNNEL_IDLE, tunnel.idleTimeout());
                if (!out.clientWritable() && !attempt.pauseReads()) {
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
                relayFailed(e);
                return;
            }
            if (phase == Phase.RECEIVING && !relay.isUpstreamDone()) {
                setDeadline(Deadline.READ, pc.timeouts().read().toNanos());
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
     * @return false if the exchange left this connection (a retry, or a failed filter)
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
            if (x.retry(true, "answered " + r.status())) {
                answered.responded(r.status(), headAt); // a 5xx: counts against its latency
                return false;
            }
        }
        ResponsePhase filtered = null;
        if (x.filters.response().length > 0) {
            try {
                filtered = ResponsePhase.run(x.filters.response(), req, r, x, attempt.upstream);
            } catch (RuntimeException e) {
                // Not the upstream's fault: it answered, and that is what counts for it.
                LOG.log(Level.WARNING, "response filter failed on " + req, e);
                attempt.responded(r.status(), headAt);
                release(false);
                x.answerError(502, Termination.LOCAL_ANSWER);
                return false;
            }
        }
        phase = Phase.RECEIVING;
        deadlineKind = Deadline.READ;
        deadline = ProxyContext.nonZero(headAt + pc.timeouts().read().toNanos());
        boolean keepAllowed = x.keepAliveAllowed();
        boolean echo = x.tracing.echoId();
        ResponseFramingPlan plan = ResponseFramingPlan.of(r, req, keepAllowed, config.serverHeader(),
                echo ? x.tracing.idHeaderLower() : null, echo ? x.idField() : null,
                filtered == null ? null : filtered.edits(), filtered != null && filtered.transform() != null);
        relay = new ResponseRelay(lock, r, plan, pc.buffering(), ctx.spoolIo, this, out,
                filtered == null ? null : filtered.transform());
        metrics.clientFirstByte(x.pool, headAt - x.startedAt); // committed: from here a failure can only truncate
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
            LOG.fine(() -> x.pool.name() + "/" + attempt.upstream.name() + ": bytes after the response; connection not reused");
        }
        release(reusable);
    }

    /** Ends the current attempt: its slot back, its connection pooled if {@code reusable}, else closed. */
    void release(boolean reusable) {
        clearDeadline();
        if (attempt != null) {
            sender.detach();
            attempt.release(reusable);
        }
        if (relay == null && tunnel == null) {
            phase = Phase.IDLE;
        }
    }

    /** Gives up the upstream side: a connect in progress is cancelled, a connection closed. */
    void drop() {
        clearDeadline();
        if (attempt != null) {
            sender.detach();
            attempt.drop();
        }
    }

    private void pumpResponse() {
        if (relay == null || x.finished()) {
            return;
        }
        boolean done = relay.pump(out);
        if (attempt != null && attempt.paused() && attempt.connection() != null && !relay.spoolFull()) {
            resumeUpstream();
        }
        if (done && !x.finished()) {
            x.responseDone(relay.head.status(), relay.keepAlive(), relay.bytesSent(), relay.headBytes());
        }
    }

    /** The client took bytes: more of the response, or the tunnel's upstream side reads again. */
    void onClientWritable() {
        if (phase == Phase.TUNNEL) {
            if (attempt.paused() && attempt.connection() != null && out.clientWritable()) {
                attempt.resumeReads();
            }
            return;
        }
        pumpResponse();
    }

    @Override
    public void onSpoolReady(Spool spool) {
        if (x.finished()) {
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
        if (x.finished()) {
            return; // closing a body or spool fails its read in flight: nothing is wrong
        }
        LOG.warning(() -> x.pool.name() + ": temp file failed: " + error);
        cut(Termination.TEMP_SPACE);
    }

    private void pauseUpstream() {
        if (attempt.paused()) {
            return;
        }
        if (deadlineKind == Deadline.READ) {
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
            setDeadline(Deadline.READ, pc.timeouts().read().toNanos());
        }
        attempt.resumeReads();
    }

    // ------------------------------------------------------------------ failures

    @Override
    public void onUpstreamClosed(UpstreamConnection c) {
        synchronized (lock) {
            if (attempt == null || c != attempt.connection() || x.finished()) {
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
                    LOG.fine(() -> x.pool.name() + "/" + u.name() + ": stale pooled connection, retrying on a new one");
                    sender.detach();
                    phase = Phase.CONNECTING;
                    setDeadline(Deadline.CONNECT, pc.timeouts().connect().toNanos());
                    attempt.retryStale(this);
                    return;
                }
                attempt.failed(ErrorCause.RESET);
                failed(Endings.upstreamClosed(false), pc.retries().onReset(), "connection closed before a response" + c.tlsCloseReason(), 502);
                return;
            }
            if (relay.completesOnEof()) {
                try {
                    upstreamComplete(false, ctx.now());
                } catch (IOException e) {
                    relayFailed(e);
                    return;
                }
                pumpResponse();
                return;
            }
            if (!relay.isUpstreamDone()) {
                attempt.failed(ErrorCause.RESET);
                LOG.info(() -> x.pool.name() + "/" + u.name() + ": response truncated; closing the client connection");
                cut(Endings.upstreamClosed(true));
            }
        }
    }

    /**
     * The attempt failed before a response reached the client: retried elsewhere if {@code retryable}
     * and the exchange's policy allow, else answered with {@code status}.
     */
    private void failed(Termination t, boolean retryable, String why, int status) {
        x.failure(t);
        if (x.retry(retryable, why)) {
            return;
        }
        LOG.info(() -> x.pool.name() + "/" + attempt.upstream.name() + ": " + why + " (" + status + ")");
        release(false);
        x.answerError(status, t);
    }

    /**
     * Spooling the response failed: the temp file, or a response filter's body transform. Either
     * way the response is cut; neither counts against the upstream.
     */
    private void relayFailed(IOException e) {
        if (e instanceof ResponseRelay.FilterFailed) {
            LOG.log(Level.WARNING, "response filter failed on " + req, e.getCause());
            cut(Termination.LOCAL_ANSWER);
        } else {
            LOG.warning(() -> x.pool.name() + ": cannot buffer response: " + e.getMessage());
            cut(Termination.TEMP_SPACE);
        }
    }

    private void badResponse(String why) {
        attempt.failed(ErrorCause.INVALID_RESPONSE);
        LOG.warning(() -> x.pool.name() + "/" + attempt.upstream.name() + ": invalid response: " + why);
        if (responseStarted()) {
            cut(Termination.INVALID_RESPONSE);
        } else {
            release(false);
            x.answerError(502, Termination.INVALID_RESPONSE);
        }
    }

    /** The response has started: the client must see it truncated. */
    void cut(Termination t) {
        release(false);
        x.cut(t, relay != null ? relay.head.status() : 502, relay == null ? 0 : relay.bytesSent(),
                relay == null ? 0 : relay.headBytes());
    }

    void checkTimeouts(long now) {
        if (deadline == 0 || now - deadline < 0) {
            return;
        }
        Deadline kind = deadlineKind;
        clearDeadline();
        switch (kind) {
            case CONNECT -> {
                attempt.cancelConnect();
                connectFailed(attempt, ErrorCause.CONNECT_TIMEOUT, attempt.backlogFull() ? attempt.backlogFullText() : "timeout");
            }
            case SEND, RESPONSE -> {
                attempt.failed(ErrorCause.TIMEOUT);
                if (responseStarted()) {
                    cut(Termination.RESPONSE_TIMEOUT);
                } else {
                    failed(Termination.RESPONSE_TIMEOUT, pc.retries().onTimeout(), "no response in time", 504);
                }
            }
            case READ -> {
                attempt.failed(ErrorCause.TIMEOUT);
                LOG.info(() -> x.pool.name() + "/" + attempt.upstream.name() + ": response body stalled; closing");
                cut(Termination.READ_TIMEOUT);
            }
            case TUNNEL_IDLE -> endTunnel();
            default -> { }
        }
    }

    void close() {
        if (relay != null) {
            relay.close();
        }
    }

    // ------------------------------------------------------------------ tunnel

    private void startTunnel(ResponseHead r, Buffer rest) {
        phase = Phase.TUNNEL;
        tunnel = new Tunnel(sender, pc, config);
        Bytes head = Tunnel.head(r, req, config);
        out.write(head.array(), head.length());
        attempt.upgraded();
        x.tunnelOpened(head.length());
        setDeadline(Deadline.TUNNEL_IDLE, tunnel.idleTimeout());
        if (rest.hasRemaining()) {
            tunnel.toClient(rest.remaining());
            out.write(rest);
        }
        x.tunnelStarted();
    }

    void tunnelFromClient(Buffer b) {
        if (attempt == null || attempt.connection() == null) {
            return;
        }
        if (tunnel.fromClient(b)) {
            x.tunnelClientReads(false);
        }
        setDeadline(Deadline.TUNNEL_IDLE, tunnel.idleTimeout());
    }

    private void endTunnel() {
        release(false);
        x.tunnelEnded();
    }

    private void setDeadline(Deadline kind, long afterNanos) {
        deadlineKind = kind;
        deadline = ProxyContext.nonZero(ctx.now() + afterNanos);
    }

    private void clearDeadline() {
        deadline = 0;
        deadlineKind = Deadline.NONE;
    }

    @Override
    public String toString() {
        return "UpstreamLeg[" + (attempt == null ? "-" : attempt.upstream.name()) + ", " + phase + "]";
    }
}
