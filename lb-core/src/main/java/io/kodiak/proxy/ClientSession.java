package io.kodiak.proxy;

import io.kodiak.accesslog.Termination;
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
import java.util.logging.Logger;

/**
 * One client connection: reads request heads, runs one {@link Exchange} at a time (so pipelined
 * requests are answered in order), writes to the client with bounded queueing, keeps the
 * connection alive between requests, and enforces the client-side timeouts.
 *
 * <p>Two deadlines run side by side: one for what Kodiak waits to read (the first request on a new
 * connection, keep-alive idleness, the request head, the request body) and one for what it waits
 * to write (the send timeout, from the last byte the client took). Output bounds input: the next
 * pipelined request is not read while more than {@link #OUTPUT_BOUND} bytes wait for the client,
 * so a client that pipelines and never reads cannot make Kodiak queue responses without end.
 * A connection closed with output still queued stays counted (against {@code max-connections})
 * and swept until the output is flushed or the send timeout cuts it.
 *
 * <p>Slow clients: the head has a total time from its first byte, the body a gap, a minimum rate
 * and optionally a total ({@code body-total}, Kodiak's own pauses left out), and the client's
 * taking of output a minimum rate ({@link OutputPace}); a client cut for not reading is reset, so
 * the kernel drops what it still held for it. The connection holds a place under
 * {@code max-connections-per-address} ({@link #addressKnown}) until it is closed.
 *
 * <p>Size: close to 1,000 lines, over the project's 400, because it is the connection's one state
 * machine (IDLE, HEAD, BODY, EXCHANGE, TUNNEL, CLOSING, CLOSED), its two deadlines and its output
 * bound, whose transitions must be read together; what a request does is in {@link Exchange}.
 *
 * <p>Threading: events arrive from the client connection's selector thread, from the upstream
 * connection's selector thread, from temp-file I/O and from the {@link TimeoutSweeper}. Every
 * method runs with this object's monitor held; the {@link Exchange} shares it. Nothing here blocks.
 */
final class ClientSession implements ClientOutput {
    private static final Logger LOG = Logger.getLogger(ClientSession.class.getName());

    /** CLOSING: closed by Kodiak, its last bytes still being flushed. */
    enum State { IDLE, HEAD, BODY, EXCHANGE, TUNNEL, CLOSING, CLOSED }

    /**
     * Kinds of the read deadline. KEEP_ALIVE: waiting for a request, none of it read (closed
     * silently); HEADER: a head, from its first byte or, on a new connection, from the accept (408
     * once something was read); BODY_GAP: request body data; HANDSHAKE: the TLS handshake, from
     * the accept or from when it got a slot (closed silently).
     */
    private enum Wait { NONE, KEEP_ALIVE, HEADER, BODY_GAP, HANDSHAKE }
    /** Where a TLS connection is with its listener's {@link HandshakeSlots}; NONE on plain HTTP and after the handshake. */
    private enum Handshake { NONE, WAITING, RUNNING }
    /** Reasons to stop reading from the client; reading resumes when none is left. */
    static final int PAUSE_BODY = 1, PAUSE_BUSY = 2, PAUSE_TUNNEL = 4, PAUSE_OUTPUT = 8, PAUSE_HANDSHAKE = 16;
    /**
     * Most bytes waiting for the client before Kodiak reads no further request. Small: a client
     * that reads keeps it near zero, and one that does not must not see more answers produced.
     */
    static final int OUTPUT_BOUND = 64 * 1024;
    /**
     * How long a connection closed in the middle of a request keeps reading (and dropping) what
     * the client still sends after Kodiak's answer went out (nginx {@code lingering_timeout}, 5 s):
     * closing with unread bytes makes the kernel send a reset, which can destroy the answer
     * before the client has read it.
     */
    static final long LINGER_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(5);

    /** Most bytes of pipelined requests held while an exchange runs. */
    private static final int MAX_PENDING = 64 * 1024;

    final ProxyContext ctx;
    final ListenerRuntime listener;
    final ListenerConfig config;
    final Connection<?> connection;
    /**
     * The client's address: the TCP peer's, or the PROXY protocol header's once it is read.
     * Written once, under the lock; volatile so that a per-address count may read it from any thread.
     */
    private volatile ClientAddress address;
    /** The listener reads a PROXY protocol header first, and it has not come yet. */
    private boolean awaitingProxyHeader;
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
    private Wait deadlineKind = Wait.NONE;
    /** When the client must have taken more output (0: nothing waits for it). */
    private volatile long sendDeadline;
    /** Closing in the middle of a request: read and drop the client's bytes until it closes or {@link #LINGER_NANOS}. */
    private boolean lingering;
    /** The window over which the body's rate is measured: its start and the data bytes since. */
    private long rateSince;
    private long rateBytes;
    /** When the body began to be awaited, and how long Kodiak itself stopped reading it (body-total). */
    private long bodySince;
    private long bodyPausedNanos;
    /** When Kodiak stopped reading the body (0: it is reading). */
    private long bodyPausedAt;
    /** How fast the client takes its output (send-min-rate). */
    private final OutputPace pace = new OutputPace();
    /** When the current request's first byte came (or the connection was accepted), for the log. */
    private long headStartedAt;
    private Handshake handshake = Handshake.NONE;
    /** The handshake deadline closed this connection: counted as a timeout, not a failure. */
    private boolean handshakeTimedOut;

    ClientSession(ProxyContext ctx, ListenerRuntime listener, Connection<?> connection) {
        this.ctx = ctx;
        this.listener = listener;
        this.config = listener.config;
        this.connection = connection;
        this.address = ClientAddress.of(connection.getPeerAddress());
        // The PROXY header is bounded by the deadline set below: the request head's on plain HTTP,
        // the handshake's on TLS (it comes before the handshake).
        this.awaitingProxyHeader = config.proxyProtocol() != null;
        this.headStartedAt = ctx.now();
        this.headReader = new HeadReader(config.limits().maxRequestLine(), config.limits().maxHeaderBytes(), 414, 431);
        // A new connection gets the request-header timeout from the accept, not the longer
        // keep-alive one: a client that connects and says nothing is a slowloris too. On TLS the
        // handshake comes first, with its own timeout; the head's starts when it is done.
        if (config.tls() != null) {
            setDeadline(Wait.HANDSHAKE, config.tls().handshakes().timeout().toNanos());
        } else {
            setDeadline(Wait.HEADER, timeouts().requestHeader().toNanos());
        }
    }

    // ------------------------------------------------------------------ TLS handshake

    /**
     * Once registered, on a TLS listener: takes a handshake slot, or waits for one unread (see
     * {@link HandshakeSlots}); the handshake deadline set at construction bounds the wait.
     */
    synchronized void beginHandshake() {
        if (config.tls() == null || state == State.CLOSED) {
            return;
        }
        if (listener.handshakes.enter(this, config.tls().handshakes().max())) {
            handshake = Handshake.RUNNING;
        } else {
            handshake = Handshake.WAITING;
            pauseRead(PAUSE_HANDSHAKE);
        }
    }

    /** A slot freed for this waiting connection: the handshake may begin, with a timeout of its own from now. */
    synchronized void handshakeAdmitted() {
        if (state == State.CLOSED || handshake != Handshake.WAITING) {
            listener.handshakes.leave(config.tls().handshakes().max()); // gone meanwhile: the next one's
            return;
        }
        handshake = Handshake.RUNNING;
        setDeadline(Wait.HANDSHAKE, config.tls().handshakes().timeout().toNanos());
        resumeRead(PAUSE_HANDSHAKE);
    }

    /** The TLS filter finished this connection's handshake ({@code ok}) or gave up on it (it closes the connection). */
    synchronized void handshakeFinished(boolean ok) {
        if (handshake != Handshake.RUNNING) {
            return; // a renegotiation, which the engine refuses, or a close that came first
        }
        handshake = Handshake.NONE;
        (ok ? listener.handshakes.completed : listener.handshakes.failed).increment();
        listener.handshakes.leave(config.tls().handshakes().max());
        if (ok && state == State.IDLE && deadlineKind == Wait.HANDSHAKE) {
            setDeadline(Wait.HEADER, timeouts().requestHeader().toNanos());
        }
    }

    /**
     * A connection that closes in the middle of its handshake, or waiting for one, gives up its
     * place. One that closes in the middle of a begun handshake counts as a failed one unless its
     * timeout closed it: BoringSSL ends a handshake it refuses by closing, where the JDK's throws and Grizzly's
     * filter reports the failure ({@link HandshakeEvents}).
     */
    private void leaveHandshake() {
        if (handshake == Handshake.RUNNING) {
            // Not a TCP check's or a browser preconnect's connect-and-close: only a begun handshake fails.
            if (!handshakeTimedOut && TlsGuardFilter.handshakeBegun(connection)) {
                listener.handshakes.failed.increment();
            }
            listener.handshakes.leave(config.tls().handshakes().max());
        } else if (handshake == Handshake.WAITING) {
            listener.handshakes.withdraw(this);
        }
        handshake = Handshake.NONE;
    }

    private ClientTimeouts timeouts() {
        return config.timeouts();
    }

    /** The port the client connected to; asked of the socket only when a listener sends X-Forwarded-Port. */
    int localPort() {
        return connection.getLocalAddress() instanceof java.net.InetSocketAddress a ? a.getPort() : 0;
    }

    // ------------------------------------------------------------------ client address

    /**
     * The connection's client address: the TCP peer's, or what its PROXY protocol header said.
     * Settled before the first request is read (on a PROXY listener no byte reaches the session
     * before the header), and the key a per-address limit on connections counts by.
     */
    ClientAddress connectionAddress() {
        return address;
    }

    /** {@link #address} with its forwarding claims not believed, once made (null until then). */
    private ClientAddress distrusted;

    /** The connection's address, distrusted: one object for all its requests (real-ip, untrusted peer). */
    private ClientAddress distrusted() {
        ClientAddress a = address;
        if (distrusted == null || distrusted.ip() != a.ip()) { // the PROXY header may have changed it
            distrusted = a.distrust();
        }
        return distrusted;
    }

    /** {@link ProxyProtocolFilter} read the header: its address, if any, is the client's. @return false if closed meanwhile */
    synchronized boolean proxyHeaderRead(ProxyProtocolHeader.Parsed h) {
        if (state == State.CLOSED || !awaitingProxyHeader) {
            return false;
        }
        awaitingProxyHeader = false;
        listener.proxyProtocol.ok.increment();
        if (h.source() != null) {
            address = ClientAddress.of(h.source(), h.port());
        }
        // max-connections-per-address, on the real client; a header without one (v1 UNKNOWN, v2
        // LOCAL, UNSPEC, AF_UNIX) leaves the TCP peer, which takes the place then: a connection
        // that names no client must not escape the cap.
        if (!addressKnown(address.bytes())) {
            LOG.fine(() -> this + ": over max-connections-per-address; closing");
            listener.refused.increment();
            abort();
            return false;
        }
        return true;
    }

    /** The connection's first bytes are not a PROXY protocol header: no answer (the peer is a proxy), closed. */
    synchronized void proxyHeaderInvalid(String why) {
        if (state == State.CLOSED) {
            return;
        }
        listener.proxyProtocol.invalid.increment();
        LOG.fine(() -> this + ": PROXY protocol: " + why + "; closing");
        abort();
    }

    /** What the TLS handshake settled (null until the first request asks; NONE on plain HTTP). */
    private TlsNames tlsNames;

    /** Whether a request for {@code host} came over a TLS connection set up for another name (421). */
    boolean misdirected(String host) {
        return config.tls() != null && tlsNames().misdirected(host);
    }

    private TlsNames tlsNames() {
        if (tlsNames == null) {
            tlsNames = TlsNames.of(connection, config.tls());
        }
        return tlsNames;
    }

    /**
     * On a listener that asks for client certificates: {@code edits} (made if null) with the fields
     * that tell the upstream what was verified, any the client sent under those names removed.
     */
    io.kodiak.http.FieldEdits clientCertFields(io.kodiak.http.FieldEdits edits) {
        io.kodiak.tls.ClientAuth auth = config.tls() == null ? null : config.tls().server().clientAuth();
        if (auth == null) {
            return edits;
        }
        io.kodiak.http.FieldEdits e = edits == null ? new io.kodiak.http.FieldEdits() : edits;
        e.remove(auth.subjectHeader()).remove(auth.issuerHeader()).remove(auth.fingerprintHeader());
        io.kodiak.tls.ClientAuth.Verified v = tlsNames().client;
        e.set(auth.verifyHeader(), v.present() ? "SUCCESS" : "NONE");
        if (v.present()) {
            e.add(auth.subjectHeader(), v.subject()).add(auth.issuerHeader(), v.issuer())
                    .add(auth.fingerprintHeader(), v.fingerprint());
        }
        return e;
    }

    // ------------------------------------------------------------------ events

    synchronized void onRead(Buffer b) {
        if (state == State.CLOSED || state == State.CLOSING) {
            return; // closing: whatever the client still sends is dropped
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
        sendDeadline = 0;
        leaveHandshake();
        releaseAddress();
        listener.connections.decrementAndGet();
        ctx.unregister(this);
        if (exchange != null) {
            exchange.abort(null, 0);
            exchange = null;
        }
        pending = null;
    }

    /** Called by the sweeper. */
    synchronized void checkTimeouts(long now) {
        if (state == State.CLOSED) {
            return;
        }
        long sd = sendDeadline;
        if (sd != 0 && now - sd >= 0) {
            LOG.fine(() -> this + ": client stopped reading; closing");
            if (exchange != null) {
                exchange.abort(Termination.SEND_TIMEOUT, 0);
            }
            if (!lingering) { // lingering, the kernel may still hold the answer: let it go out
                resetOnClose();
            }
            abort();
            return;
        }
        if (state == State.CLOSING) {
            return;
        }
        long d = deadline;
        if (d != 0 && now - d >= 0 && awaitingProxyHeader) {
            listener.proxyProtocol.timeouts.increment();
            LOG.fine(() -> this + ": PROXY protocol header not complete in time; closing");
            abort();
            return;
        }
        if (d != 0 && now - d >= 0) {
            switch (deadlineKind) {
                // Answers still on their way: the send timeout governs, and the client may yet read them.
                case KEEP_ALIVE -> {
                    if (clientInflight > 0) {
                        setDeadline(Wait.KEEP_ALIVE, timeouts().keepAlive().toNanos());
                    } else {
                        close();
                    }
                }
                // Nothing of a request read (a new connection, or only empty lines): nothing to answer.
                case HEADER -> {
                    if (headReader.started()) {
                        reject(new HttpException(408, "client too slow"));
                    } else {
                        close();
                    }
                }
                case BODY_GAP -> reject(new HttpException(408, "client too slow"));
                // A TLS handshake not done in time (or never begun for want of a slot): there is no
                // way to answer in HTTP, and an alert would only help the slow client.
                case HANDSHAKE -> {
                    listener.handshakes.timeouts.increment();
                    handshakeTimedOut = true;
                    LOG.fine(() -> this + ": TLS handshake " + (handshake == Handshake.WAITING ? "still waiting for a slot" : "not done")
                            + " after " + config.tls().handshakes().timeout() + "; closing");
                    abort();
                }
                default -> clearDeadline();
            }
            return;
        }
        if (state == State.BODY && belowMinRate(now)) {
            reject(new HttpException(408, "request body too slow"));
            return;
        }
        if (state == State.BODY && bodyTooLong(now)) {
            reject(new HttpException(408, "request body took too long"));
            return;
        }
        if (pace.tooSlow(now, timeouts().sendMinRate(), timeouts().send().toNanos())) {
            LOG.fine(() -> this + ": " + pace + ", under send-min-rate " + timeouts().sendMinRate() + "/s; closing");
            if (exchange != null) {
                exchange.abort(Termination.SEND_TIMEOUT, 0);
            }
            resetOnClose();
            abort();
            return;
        }
        if (exchange != null) {
            exchange.checkTimeouts(now);
        }
    }

    /**
     * Whether the body has arrived slower than {@code body-min-rate} since its window began, once
     * the window is longer than the body timeout (a slow start is allowed). Time when Kodiak
     * itself stopped reading (a full buffer, a slow upstream) is never held against the client:
     * each resume starts a new window.
     */
    private boolean belowMinRate(long now) {
        long rate = timeouts().bodyMinRate();
        if (rate == 0 || (pauseReasons & PAUSE_BODY) != 0) {
            return false;
        }
        long elapsed = now - rateSince;
        return elapsed > timeouts().body().toNanos() && rateBytes < rate * (elapsed / 1_000_000_000.0);
    }

    /**
     * Whether the body has taken longer than {@code body-total} since it was first awaited, the
     * time Kodiak itself stopped reading it left out.
     */
    private boolean bodyTooLong(long now) {
        long total = timeouts().bodyTotal().toNanos();
        if (total == 0) {
            return false;
        }
        long paused = bodyPausedNanos + (bodyPausedAt == 0 ? 0 : now - bodyPausedAt);
        return now - bodySince - paused > total;
    }

    /**
     * Makes the coming close a reset (SO_LINGER 0), for a client cut for not reading: a plain
     * close leaves what the kernel holds for it (a socket buffer, a megabyte and more on
     * loopback) to trickle out to it from an orphaned socket for minutes, so the slow reader keeps
     * its connection and the kernel's memory after Kodiak let go. nginx's
     * {@code reset_timedout_connection on}.
     */
    private void resetOnClose() {
        try {
            var channel = ((org.glassfish.grizzly.nio.NIOConnection) connection).getChannel();
            ((java.nio.channels.SocketChannel) channel).setOption(java.net.StandardSocketOptions.SO_LINGER, 0);
        } catch (IOException | ClassCastException | UnsupportedOperationException e) {
            LOG.fine(() -> this + ": no reset on close: " + e);
        }
    }

    /** The client took {@code n} more bytes of output at {@code now}: the send timeout counts from then. */
    private void clientTook(long n, long now) {
        pace.took(n);
        if (state != State.CLOSED && state != State.CLOSING) {
            sendDeadline = ProxyContext.nonZero(now + timeouts().send().toNanos());
        }
    }

    // ------------------------------------------------------------------ reading requests

    /**
     * The exchange answers before reading the request's body (a filter's 401 or 403, a 413 on its
     * Content-Length, no route): the request is only partly read, so the connection closes after
     * the answer lingering (reading and dropping what the client still sends), never with unread
     * bytes that would make the kernel reset it before the client read the answer.
     */
    void bodyLeftUnread() {
        if (state == State.EXCHANGE) {
            state = State.HEAD;
        }
    }

    /** A suspended exchange went on: what the client sent meanwhile (its body) is read now. */
    void readPending() {
        if (state != State.CLOSED && pending != null) {
            process();
        }
    }

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
                    if (clientInflight > OUTPUT_BOUND) {
                        // The client is not taking its answers: read nothing more until it does.
                        pauseRead(PAUSE_OUTPUT);
                        return;
                    }
                    state = State.HEAD;
                    headStartedAt = ctx.now();
                }
                case HEAD -> {
                    byte[] head;
                    RequestHead req;
                    try {
                        head = headReader.read(pending);
                        if (head == null) {
                            if (!headReader.started()) {
                                // Only empty lines so far: they neither start the head timeout
                                // nor extend the one running.
                                state = State.IDLE;
                            } else if (deadlineKind != Wait.HEADER) {
                                setDeadline(Wait.HEADER, timeouts().requestHeader().toNanos());
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
                    Router router = listener.router;
                    String sni = config.tls() != null && router.usesSni() ? tlsNames().sni() : null;
                    // The request's client, before routing: routes on source, and everything after, use it.
                    io.kodiak.config.RealIpConfig realIp = listener.config.realIp(); // now: a reload's trust applies at once
                    ClientAddress client = realIp == null ? address : RealIp.resolve(realIp, req, address, distrusted());
                    Router.Route route;
                    try {
                        route = router.route(req, sni, router.usesSource() ? client.bytes() : null);
                    } catch (io.kodiak.config.RequestRegex.TooDeep e) {
                        // Not "no match": a request must not slip past a route it may have matched.
                        // An exchange without a route, so that the access-log line names the request.
                        exchange = new Exchange(this, req, null, client);
                        reject(new HttpException(400, e.getMessage()));
                        return;
                    }
                    exchange = new Exchange(this, req, route, client);
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
        setDeadline(Wait.BODY_GAP, timeouts().body().toNanos());
        rateSince = ctx.now();
        rateBytes = 0;
        bodySince = rateSince;
        bodyPausedNanos = 0;
        bodyPausedAt = (pauseReasons & PAUSE_BODY) != 0 ? rateSince : 0;
        // A body that came while a filter held the request (suspended) may have paused reading as
        // pipelined bytes do (over MAX_PENDING): it is this exchange's body, so reading goes on.
        resumeRead(PAUSE_BUSY);
    }

    /**
     * {@code n > 0} bytes of body data arrived: the body timeout counts from here. Framing (chunk
     * size lines, extensions, trailers) is not progress: it can be sent forever without a body.
     */
    void bodyProgress(int n) {
        rateBytes += n;
        if ((pauseReasons & PAUSE_BODY) == 0) { // paused: resumeRead arms it again
            setDeadline(Wait.BODY_GAP, timeouts().body().toNanos());
        }
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
        setDeadline(Wait.KEEP_ALIVE, timeouts().keepAlive().toNanos());
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
        if ((reason & PAUSE_BODY) != 0 && deadlineKind == Wait.BODY_GAP) {
            // Kodiak stopped reading the body (a full buffer, a slow upstream): not the client's delay.
            deadline = 0;
            deadlineKind = Wait.NONE;
        }
        if ((reason & PAUSE_BODY) != 0 && state == State.BODY && bodyPausedAt == 0) {
            bodyPausedAt = ProxyContext.nonZero(ctx.now()); // not the client's time (body-total)
        }
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
        if ((reason & PAUSE_BODY) != 0 && state == State.BODY) {
            setDeadline(Wait.BODY_GAP, timeouts().body().toNanos());
            rateSince = ctx.now();
            rateBytes = 0;
            if (bodyPausedAt != 0) {
                bodyPausedNanos += rateSince - bodyPausedAt;
                bodyPausedAt = 0;
            }
        }
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

    /** Bytes of output the client has taken so far (for tests: a sign that progress was seen). */
    synchronized long outputTaken() {
        return pace.total();
    }

    @Override
    public int clientInflight() {
        return clientInflight;
    }

    @Override
    public org.glassfish.grizzly.memory.MemoryManager<?> memory() {
        return connection.getMemoryManager();
    }

    // ------------------------------------------------------------------ writing

    @Override
    public void write(Buffer b) {
        write(b, b.remaining(), null);
    }

    @Override
    public void writeFile(org.glassfish.grizzly.FileChunk chunk, int length, Runnable after) {
        if (!sendsFiles()) {
            throw new IllegalStateException("a file cannot pass the TLS filter unread");
        }
        write(chunk, length, after);
    }

    @Override
    public boolean sendsFiles() {
        return config.tls() == null;
    }

    /** @param after run when the write completed or failed, or null */
    private void write(org.glassfish.grizzly.asyncqueue.WritableMessage b, int n, Runnable after) {
        if (state == State.CLOSED || state == State.CLOSING) {
            if (after != null) {
                after.run();
            }
            return;
        }
        if (clientInflight == 0) {
            long now = ctx.now();
            sendDeadline = ProxyContext.nonZero(now + timeouts().send().toNanos());
            pace.outputWaits(now); // a send-min-rate window opens, or goes on
        }
        clientInflight += n;
        CompletionHandler<WriteResult> done = new CompletionHandler<WriteResult>() {
            /** Bytes of this write the kernel took, as partial writes reported them. */
            private long took;

            @Override
            public void completed(WriteResult result) {
                synchronized (ClientSession.this) {
                    long now = ctx.now(); // one clock read per completed write: this runs for every write
                    clientTook(n - took, now);
                    took = n;
                    clientInflight -= n;
                    if (clientInflight == 0) {
                        pace.allTaken(now);
                    }
                    if (after != null) {
                        after.run();
                    }
                    if (state == State.CLOSING && lingering && clientInflight == 0) {
                        shutdownOutput();
                    }
                    if (state == State.CLOSED || state == State.CLOSING) {
                        return; // closing: the deadline set at close stands
                    }
                    // The send timeout counts from the last byte the client took, not from the
                    // last byte Kodiak queued (nginx send_timeout).
                    sendDeadline = clientInflight == 0 ? 0 : ProxyContext.nonZero(now + timeouts().send().toNanos());
                    if ((pauseReasons & PAUSE_OUTPUT) != 0 && clientInflight <= OUTPUT_BOUND) {
                        resumeRead(PAUSE_OUTPUT);
                        if (state == State.IDLE) {
                            process();
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
                    if (after != null) {
                        after.run();
                    }
                    abort();
                }
            }

            @Override
            public void cancelled() {
                failed(null);
            }

            /**
             * Part of this write went out (Grizzly reports it for a write it could not finish at
             * once): progress, for the send timeout and send-min-rate, even when one write is
             * larger than what a slow client takes in a {@code send} window. Not reported through
             * the TLS filter, where only whole writes count.
             */
            @Override
            public void updated(WriteResult result) {
                synchronized (ClientSession.this) {
                    long total = Math.min(n, result == null ? 0 : result.getWrittenSize());
                    if (total > took) {
                        clientTook(total - took, ctx.now());
                        took = total;
                    }
                }
            }
        };
        if (config.tls() != null) {
            ProxyContext.writeThroughChain(connection, (Buffer) b, done); // the TLS filter encrypts it
        } else {
            ctx.write(connection, b, done);
        }
    }

    /**
     * Sends a response of Kodiak's own and ends the exchange. The connection stays open only if
     * the request was read completely and both sides want keep-alive.
     *
     * @param headRequest the request was HEAD: the head says what a GET would get, but no body
     *                    follows (a client reads none, so body bytes would pass for the next response)
     */
    long respondLocal(int status, String contentType, byte[] body, boolean keepAlive, String extraField,
                      boolean headRequest) {
        return respondLocal(status, contentType, body, keepAlive, extraField, headRequest, 1, null);
    }

    /**
     * @param clientMinor the request's HTTP minor version: an HTTP/1.0 client kept alive is told so
     * @param written     told the bytes written (head and body) before the next request is read: the
     *                    exchange logs this one before a pipelined one can start and finish
     */
    long respondLocal(int status, String contentType, byte[] body, boolean keepAlive, String extraField,
                      boolean headRequest, int clientMinor, java.util.function.LongConsumer written) {
        if (state == State.CLOSED || state == State.CLOSING) {
            if (written != null) {
                written.accept(0);
            }
            return 0;
        }
        boolean keep = keepAlive && state != State.BODY && state != State.HEAD;
        var head = ResponseEncoder.local(status, contentType, body.length, config.serverHeader(), keep, clientMinor,
                extraField);
        write(head.array(), head.length());
        long sent = head.length();
        if (body.length > 0 && !headRequest) {
            write(body, body.length);
            sent += body.length;
        }
        if (written != null) {
            written.accept(sent);
        }
        exchangeDone(keep);
        return sent;
    }

    /**
     * As {@link #respondLocal}, for an answer encoded ahead ({@link io.kodiak.http.FixedResponse}):
     * head and body in one array and one write.
     */
    void respondFixed(io.kodiak.http.FixedResponse a, boolean keepAlive, String extraField, boolean headRequest,
                      int clientMinor, java.util.function.LongConsumer written) {
        if (state == State.CLOSED || state == State.CLOSING) {
            written.accept(0);
            return;
        }
        boolean keep = keepAlive && state != State.BODY && state != State.HEAD;
        var out = a.encode(config.serverHeader(), keep, clientMinor, extraField, headRequest);
        write(out.array(), out.length());
        written.accept(out.length());
        exchangeDone(keep);
    }

    /** A request Kodiak will not proxy: answer with the status and close (its framing is suspect). */
    void reject(HttpException e) {
        if (state == State.CLOSED || state == State.CLOSING) {
            return;
        }
        Termination why = Endings.sessionRejected(e.status());
        if (exchange != null && exchange.responseStarted()) {
            // A streamed response is under way (an upstream may answer before the body is in):
            // an answer of Kodiak's own would land inside it. The client sees it cut off instead.
            LOG.fine(() -> this + ": " + e.status() + " " + e.getMessage() + " after the response started; closing");
            listener.rejected.increment();
            exchange.abort(why, 0);
            exchange = null;
            abort();
            return;
        }
        LOG.fine(() -> this + ": " + e.status() + " " + e.getMessage());
        listener.rejected.increment();
        // The exchange is dropped after the answer is written, so its log line counts those bytes.
        Exchange x = exchange;
        exchange = null;
        pending = null;
        state = State.HEAD; // a partly read request: never keep-alive
        // No route is known yet (or the request is being dropped): the listener's error page, if any.
        var page = ErrorPageFilter.in(listener.filters, e.status());
        byte[] body = page == null ? LocalAnswers.body(e.status()) : page.body();
        long sent = respondLocal(e.status(), page == null ? LocalAnswers.TEXT : page.contentType(), body, false, null, false);
        if (x != null) {
            x.abort(why, e.status(), sent, body.length);
        } else {
            ExchangeLog.rejected(this, e.status(), why, sent, headStartedAt);
        }
    }

    /**
     * Closes after the queued bytes are written, within the send timeout from now: until then the
     * connection still counts against {@code max-connections} and is swept, so a client that
     * never reads cannot keep a socket and its buffers after Kodiak is done with it.
     */
    void close() {
        if (state == State.CLOSED || state == State.CLOSING) {
            return;
        }
        // In the middle of a request (an error answered before its body was read): the client may
        // still be sending, so linger rather than close with its bytes unread.
        boolean linger = state == State.HEAD || state == State.BODY;
        if (clientInflight == 0 && !linger) {
            connection.closeSilently();
            onClosed();
            return;
        }
        state = State.CLOSING;
        deadline = 0;
        deadlineKind = Wait.NONE;
        sendDeadline = ProxyContext.nonZero(ctx.now() + timeouts().send().toNanos());
        pending = null;
        if (exchange != null) {
            exchange.abort(null, 0);
            exchange = null;
        }
        if (!linger) {
            connection.closeSilently(); // Grizzly closes once its write queue is empty: onClosed then
            return;
        }
        lingering = true;
        if (pauseReasons != 0) {
            pauseReasons = 0;
            try {
                connection.enableIOEvent(IOEvent.READ); // drain what the client sends; onRead drops it
            } catch (IOException e) {
                abort();
                return;
            }
        }
        if (clientInflight == 0) {
            shutdownOutput();
        }
    }

    /**
     * The answer is out: half-close (FIN), so the client reads it to the end, and keep reading
     * until the client closes too (then Grizzly closes and {@link #onClosed} runs) or
     * {@link #LINGER_NANOS} have passed (the sweeper cuts it).
     */
    private void shutdownOutput() {
        sendDeadline = ProxyContext.nonZero(ctx.now() + LINGER_NANOS);
        try {
            var channel = ((org.glassfish.grizzly.nio.NIOConnection) connection).getChannel();
            ((java.nio.channels.SocketChannel) channel).shutdownOutput();
        } catch (IOException | ClassCastException e) {
            connection.closeSilently();
        }
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
    /** Whether Kodiak has closed this connection and only its last bytes are still being flushed. */
    synchronized boolean flushingOnClose() {
        return state == State.CLOSING;
    }

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

    // ------------------------------------------------------------------ max-connections-per-address

    /** The table this connection holds a place in, and its slots there (null: none held). */
    private AddressConnections addressTable;
    private long addressSlots;

    /**
     * The client's address is known: the TCP peer's at the accept, or the one a trusted proxy
     * names later (PROXY protocol). Takes the connection's place under
     * {@code limits.max-connections-per-address}, giving back any place held for an earlier
     * address, so this may be called again when the real address turns out to be another.
     *
     * @param address the address's 4 or 16 bytes, or null when unknown (then nothing is counted)
     * @return false when that address already has its cap of connections: the caller closes this one
     */
    synchronized boolean addressKnown(byte[] address) {
        releaseAddress();
        AddressConnections table = listener.addressConnections;
        if (table == null || address == null || state == State.CLOSED) {
            return true;
        }
        long slots = table.acquire(address, config.limits().maxConnectionsPerAddress());
        if (slots == AddressConnections.REFUSED) {
            return false;
        }
        addressTable = table;
        addressSlots = slots;
        return true;
    }

    private void releaseAddress() {
        if (addressTable != null) {
            addressTable.release(addressSlots);
            addressTable = null;
        }
    }

    private void setDeadline(Wait kind, long afterNanos) {
        deadlineKind = kind;
        deadline = ProxyContext.nonZero(ctx.now() + afterNanos);
    }

    /** Ends the read deadline once the exchange has what it needs from the client. */
    private void clearDeadline() {
        deadline = 0;
        deadlineKind = Wait.NONE;
    }

    @Override
    public String toString() {
        return "Client[" + address + " on " + config.name() + ", " + state + "]";
    }
}
