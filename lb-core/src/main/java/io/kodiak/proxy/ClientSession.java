package io.kodiak.proxy;

import io.kodiak.config.ClientTimeouts;
import io.kodiak.config.ListenerConfig;
import io.kodiak.http.HeadParser;
import io.kodiak.http.HeadReader;
import io.kodiak.http.HttpException;
import io.kodiak.http.RequestHead;
import io.kodiak.http.ResponseEncoder;
import org.glassfish.grizzly.Buffer;
import org.glassfish.grizzly.CompletionHandler;
import org.glassfish.grizzly.Connection;
import org.glassfish.grizzly.IOEvent;
import org.glassfish.grizzly.WriteResult;
import org.glassfish.grizzly.memory.Buffers;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.logging.Logger;

/**
 * One client connection: reads request heads, runs one {@link Exchange} at a time (so pipelined
 * requests are answered in order), writes to the client with bounded queueing, keeps the
 * connection alive between requests, and enforces the client-side timeouts.
 *
 * <p>Threading: events arrive from the client connection's selector thread, from the upstream
 * connection's selector thread, from temp-file I/O and from the {@link TimeoutSweeper}. Every
 * method runs with this object's monitor held; the {@link Exchange} shares it. Nothing here blocks.
 */
final class ClientSession {
    private static final Logger LOG = Logger.getLogger(ClientSession.class.getName());

    enum State { IDLE, HEAD, BODY, EXCHANGE, TUNNEL, CLOSED }

    /** Deadline kinds for the client side. */
    private static final int NONE = 0, KEEP_ALIVE = 1, HEADER = 2, BODY_GAP = 3, SEND = 4;
    /** Reasons to stop reading from the client; reading resumes when none is left. */
    static final int PAUSE_BODY = 1, PAUSE_BUSY = 2, PAUSE_TUNNEL = 4;

    /** Most bytes queued for the client before Kodiak stops producing more. */
    static final int CLIENT_HIGH_WATER = 256 * 1024;
    /** Most bytes of pipelined requests held while an exchange runs. */
    private static final int MAX_PENDING = 64 * 1024;

    final ProxyContext ctx;
    final ListenerRuntime listener;
    final ListenerConfig config;
    final Connection<?> connection;
    final String clientIp;
    private final HeadReader headReader;
    private Buffer pending;
    private State state = State.IDLE;
    private Exchange exchange;
    private int clientInflight;
    private int pauseReasons;
    private boolean processing;
    private boolean reprocess;
    private volatile boolean closeWhenIdle;
    private volatile long deadline;
    private int deadlineKind;

    ClientSession(ProxyContext ctx, ListenerRuntime listener, Connection<?> connection) {
        this.ctx = ctx;
        this.listener = listener;
        this.config = listener.config;
        this.connection = connection;
        Object peer = connection.getPeerAddress();
        this.clientIp = peer instanceof InetSocketAddress a && a.getAddress() != null
                ? a.getAddress().getHostAddress() : String.valueOf(peer);
        this.headReader = new HeadReader(config.limits().maxRequestLine(), config.limits().maxHeaderBytes(), 414, 431);
        setDeadline(KEEP_ALIVE, timeouts().keepAlive().toNanos());
    }

    private ClientTimeouts timeouts() {
        return config.timeouts();
    }

    // ------------------------------------------------------------------ events

    synchronized void onRead(Buffer b) {
        if (state == State.CLOSED) {
            return;
        }
        if (state == State.TUNNEL) {
            exchange.tunnelFromClient(b);
            return;
        }
        if (pending == null || !pending.hasRemaining()) {
            pending = b;
        } else {
            pending = Buffers.appendBuffers(connection.getMemoryManager(), pending.slice(), b);
        }
        process();
    }

    synchronized void onClosed() {
        if (state == State.CLOSED) {
            return;
        }
        state = State.CLOSED;
        deadline = 0;
        listener.connections.decrementAndGet();
        ctx.unregister(this);
        if (exchange != null) {
            exchange.abort();
            exchange = null;
        }
        pending = null;
    }

    /** Called by the sweeper. */
    synchronized void checkTimeouts(long now) {
        if (state == State.CLOSED) {
            return;
        }
        long d = deadline;
        if (d != 0 && now - d >= 0) {
            switch (deadlineKind) {
                case KEEP_ALIVE -> close();
                case HEADER, BODY_GAP -> reject(new HttpException(408, "client too slow"));
                case SEND -> {
                    LOG.fine(() -> this + ": client stopped reading; closing");
                    abort();
                }
                default -> clearDeadline();
            }
            return;
        }
        if (exchange != null) {
            exchange.checkTimeouts(now);
        }
    }

    long deadline() {
        return deadline;
    }

    // ------------------------------------------------------------------ reading requests

    private void process() {
        if (processing) {
            reprocess = true;
            return;
        }
        processing = true;
        try {
            do {
                reprocess = false;
                processOnce();
            } while (reprocess && state != State.CLOSED);
        } finally {
            processing = false;
        }
    }

    private void processOnce() {
        while (pending != null && state != State.CLOSED) {
            if (!pending.hasRemaining()) {
                pending = null;
                return;
            }
            switch (state) {
                case IDLE -> {
                    state = State.HEAD;
                    setDeadline(HEADER, timeouts().requestHeader().toNanos());
                }
                case HEAD -> {
                    byte[] head;
                    RequestHead req;
                    try {
                        head = headReader.read(pending);
                        if (head == null) {
                            if (!headReader.started()) {
                                state = State.IDLE; // only empty lines so far
                                setDeadline(KEEP_ALIVE, timeouts().keepAlive().toNanos());
                            }
                            return;
                        }
                        req = HeadParser.parseRequest(head, config.limits().maxHeaders(), config.underscoresInHeaders());
                    } catch (HttpException e) {
                        reject(e);
                        return;
                    }
                    listener.requests.increment();
                    if (req.droppedFields() > 0) {
                        listener.droppedFields.add(req.droppedFields());
                    }
                    exchange = new Exchange(this, req, listener.router.route(req.host(), req.path()));
                    state = State.EXCHANGE;
                    clearDeadline();
                    exchange.start();
                }
                case BODY -> {
                    if ((pauseReasons & PAUSE_BODY) != 0) {
                        return;
                    }
                    exchange.clientBody(pending);
                    if (state == State.BODY && pending != null && pending.hasRemaining()) {
                        return; // the exchange paused reading
                    }
                }
                default -> {
                    // An exchange or tunnel is running: pipelined bytes wait, within a bound.
                    if (pending.remaining() > MAX_PENDING) {
                        pauseRead(PAUSE_BUSY);
                    }
                    return;
                }
            }
        }
    }

    /** The exchange reads a request body: the session passes it the client's bytes. */
    void expectBody() {
        state = State.BODY;
        setDeadline(BODY_GAP, timeouts().body().toNanos());
    }

    /** Body bytes arrived: the body timeout counts from the last progress. */
    void bodyProgress() {
        setDeadline(BODY_GAP, timeouts().body().toNanos());
    }

    /** The whole request has been read; the exchange goes on without the client's bytes. */
    void bodyDone() {
        if (state == State.BODY) {
            state = State.EXCHANGE;
            clearDeadline();
        }
    }

    /** The response is complete (or failed cleanly): next request, or close. */
    void exchangeDone(boolean keepAlive) {
        exchange = null;
        if (state == State.CLOSED) {
            return;
        }
        if (!keepAlive || closeWhenIdle || ctx.stopping()) {
            close();
            return;
        }
        state = State.IDLE;
        setDeadline(KEEP_ALIVE, timeouts().keepAlive().toNanos());
        resumeRead(PAUSE_BUSY | PAUSE_BODY);
        process();
    }

    void startTunnel() {
        state = State.TUNNEL;
        clearDeadline();
        Buffer rest = pending;
        pending = null;
        resumeRead(PAUSE_BUSY | PAUSE_BODY);
        if (rest != null && rest.hasRemaining()) {
            exchange.tunnelFromClient(rest);
        }
    }

    // ------------------------------------------------------------------ flow control

    void pauseRead(int reason) {
        boolean was = pauseReasons != 0;
        pauseReasons |= reason;
        if (!was && state != State.CLOSED) {
            try {
                connection.disableIOEvent(IOEvent.READ);
            } catch (IOException e) {
                abort();
            }
        }
    }

    void resumeRead(int reason) {
        if ((pauseReasons & reason) == 0) {
            return;
        }
        pauseReasons &= ~reason;
        if (pauseReasons == 0 && state != State.CLOSED) {
            try {
                connection.enableIOEvent(IOEvent.READ);
            } catch (IOException e) {
                abort();
                return;
            }
            if (state == State.BODY) {
                process(); // bytes already read may be waiting
            }
        }
    }

    boolean clientWritable() {
        return clientInflight < CLIENT_HIGH_WATER;
    }

    int clientInflight() {
        return clientInflight;
    }

    // ------------------------------------------------------------------ writing

    void write(byte[] bytes, int len) {
        write(Buffers.wrap(connection.getMemoryManager(), bytes, 0, len));
    }

    void write(Buffer b) {
        if (state == State.CLOSED) {
            return;
        }
        int n = b.remaining();
        clientInflight += n;
        if (deadlineKind == NONE || deadlineKind == SEND) {
            setDeadline(SEND, timeouts().send().toNanos());
        }
        ctx.write(connection, b, new CompletionHandler<WriteResult>() {
            @Override
            public void completed(WriteResult result) {
                synchronized (ClientSession.this) {
                    clientInflight -= n;
                    if (deadlineKind == SEND) {
                        if (clientInflight == 0) {
                            clearDeadline();
                        } else {
                            setDeadline(SEND, timeouts().send().toNanos());
                        }
                    }
                    if (exchange != null) {
                        exchange.onClientWritable();
                    }
                }
            }

            @Override
            public void failed(Throwable t) {
                synchronized (ClientSession.this) {
                    clientInflight -= n;
                    abort();
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

    /**
     * Sends a response of Kodiak's own and ends the exchange. The connection stays open only if
     * the request was read completely and both sides want keep-alive.
     *
     * @param headRequest the request was HEAD: the head says what a GET would get, but no body
     *                    follows (a client reads none, so body bytes would pass for the next response)
     */
    void respondLocal(int status, String contentType, byte[] body, boolean keepAlive, String extraField,
                      boolean headRequest) {
        if (state == State.CLOSED) {
            return;
        }
        boolean keep = keepAlive && state != State.BODY && state != State.HEAD;
        var head = ResponseEncoder.local(status, contentType, body.length, config.serverHeader(), keep, extraField);
        write(head.array(), head.length());
        if (body.length > 0 && !headRequest) {
            write(body, body.length);
        }
        exchangeDone(keep);
    }

    /** A request Kodiak will not proxy: answer with the status and close (its framing is suspect). */
    void reject(HttpException e) {
        LOG.fine(() -> this + ": " + e.status() + " " + e.getMessage());
        listener.rejected.increment();
        if (exchange != null) {
            exchange.abort();
            exchange = null;
        }
        pending = null;
        state = State.HEAD; // a partly read request: never keep-alive
        byte[] body = (e.status() + " " + ResponseEncoder.reason(e.status()) + "\n").getBytes(StandardCharsets.US_ASCII);
        respondLocal(e.status(), "text/plain; charset=utf-8", body, false, null, false);
    }

    /** Closes after the queued bytes are written. */
    void close() {
        if (state == State.CLOSED) {
            return;
        }
        connection.closeSilently();
        onClosed();
    }

    /** Closes at once, without flushing: the client must see the response as incomplete. */
    void abort() {
        if (state == State.CLOSED) {
            return;
        }
        connection.terminateSilently();
        onClosed();
    }

    /** Shutdown after the grace period: cut the connection and whatever exchange it still runs. */
    synchronized void terminate() {
        abort();
    }

    /** Shutdown: close now if idle, otherwise after the exchange in flight. */
    /** Whether this connection closes after the current exchange (shutdown, or its listener is gone). */
    boolean closingWhenIdle() {
        return closeWhenIdle;
    }

    synchronized void closeWhenIdle() {
        closeWhenIdle = true;
        if (state == State.IDLE) {
            close();
        }
    }

    private void setDeadline(int kind, long afterNanos) {
        deadlineKind = kind;
        deadline = nonZero(ctx.now() + afterNanos);
    }

    /**
     * Ends the head or body deadline once the exchange has what it needs from the client. The kind
     * must go too: write() arms the send timeout only when no other deadline kind is set, so a
     * stale kind left the send timeout unarmed for the whole response. Bytes still on their way
     * to the client keep a send deadline.
     */
    private void clearDeadline() {
        if (clientInflight > 0) {
            setDeadline(SEND, timeouts().send().toNanos());
        } else {
            deadline = 0;
            deadlineKind = NONE;
        }
    }

    static long nonZero(long t) {
        return t == 0 ? 1 : t;
    }

    @Override
    public String toString() {
        return "Client[" + clientIp + " on " + config.name() + ", " + state + "]";
    }
}
