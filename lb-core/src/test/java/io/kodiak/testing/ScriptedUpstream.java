package io.kodiak.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

/**
 * A raw-socket HTTP/1.1 upstream on {@code 127.0.0.1:<ephemeral port>} whose every byte on the wire is
 * scripted: each received request is recorded, then the handler's {@link Action} decides what goes back.
 *
 * <pre>{@code
 * try (ScriptedUpstream up = ScriptedUpstream.start("a", req -> Action.ok("hi").thenClose())) {
 *     ... point Kodiak at up.port(), send traffic ...
 *     RecordedRequest seen = up.takeRequest(Duration.ofSeconds(5));
 * }
 * }</pre>
 *
 * <p>Threading: one accept thread, and one pool thread per open connection (blocking I/O; the pool is
 * bounded by {@link Builder#maxConnections}, and connections beyond it wait for a free thread). The
 * handler runs on the connection's thread, so it may block; it may be replaced at any time with
 * {@link #handler(Function)}. Counters and recordings are safe to read from any thread.
 */
public final class ScriptedUpstream implements AutoCloseable {

    /** Bodies up to this size are kept in full by default; larger ones only as length and SHA-256. */
    public static final long DEFAULT_BODY_CAPTURE_LIMIT = 1 << 20;
    /** Default bound of the connection thread pool. */
    public static final int DEFAULT_MAX_CONNECTIONS = 64;

    private final String name;
    private final long bodyCaptureLimit;
    private final boolean autoContinue;
    private final ThreadPoolExecutor pool;
    private final int port;
    private volatile Function<RecordedRequest, Action> handler;
    private final UpstreamListener listener;

    private final AtomicBoolean closed = new AtomicBoolean();
    private final CountDownLatch closing = new CountDownLatch(1);
    private final Set<UpstreamConnection> connections = ConcurrentHashMap.newKeySet();
    private final List<RecordedRequest> requests = new ArrayList<>(); // guarded by itself
    private final BlockingQueue<RecordedRequest> untaken = new LinkedBlockingQueue<>();
    private final List<String> errors = new ArrayList<>(); // guarded by itself
    private final List<String> ioFailures = new ArrayList<>(); // guarded by itself
    private final Object stateChange = new Object();

    private final AtomicInteger connectionsAccepted = new AtomicInteger();
    private final AtomicInteger openConnections = new AtomicInteger();
    private final AtomicInteger maxOpenConnections = new AtomicInteger();
    private final AtomicInteger requestsReceived = new AtomicInteger();
    private final AtomicInteger requestsAborted = new AtomicInteger();
    private final AtomicInteger requestsInProgress = new AtomicInteger();
    private final AtomicInteger maxRequestsInProgress = new AtomicInteger();
    private final AtomicInteger sequence = new AtomicInteger();

    private ScriptedUpstream(Builder b) throws IOException {
        this.name = b.name;
        this.handler = b.handler != null ? b.handler : request -> defaultResponse(b.name, request);
        this.bodyCaptureLimit = b.bodyCaptureLimit;
        this.autoContinue = b.autoContinue;
        AtomicInteger threadNo = new AtomicInteger();
        this.pool = new ThreadPoolExecutor(b.maxConnections, b.maxConnections, 10, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), r -> daemon(r, "upstream-" + name + "-conn-" + threadNo.incrementAndGet()));
        pool.allowCoreThreadTimeOut(true);
        this.listener = new UpstreamListener("upstream-" + name + "-accept", this::accepted,
                e -> ioFailure(0, e));
        this.port = listener.open(0);
    }

    /** A builder for an upstream called {@code name} (the name appears in default responses and thread names). */
    public static Builder builder(String name) {
        return new Builder(name);
    }

    /** Starts an upstream that answers every request with {@link #defaultResponse}. */
    public static ScriptedUpstream start(String name) throws IOException {
        return builder(name).start();
    }

    /** Starts an upstream that answers with {@code handler}. */
    public static ScriptedUpstream start(String name, Function<RecordedRequest, Action> handler) throws IOException {
        return builder(name).handler(handler).start();
    }

    /**
     * A port on 127.0.0.1 with nothing listening: bound, then released. Another process could take it
     * in between, which on a test machine is rare enough; connecting to it is refused.
     */
    public static int unusedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, Loopback.ADDRESS)) {
            return s.getLocalPort();
        }
    }

    /**
     * The default behaviour: 200, {@code X-Upstream: <name>}, body {@code "<name> <METHOD> <target>"}.
     * Handlers that only special-case some requests can fall back to it.
     */
    public static Action defaultResponse(String upstreamName, RecordedRequest request) {
        byte[] body = (upstreamName + " " + request.method() + " " + request.target()).getBytes(StandardCharsets.UTF_8);
        return Action.respond(200, HeaderFields.of("Content-Type", "text/plain; charset=utf-8",
                "X-Upstream", upstreamName), body);
    }

    /** This upstream's name. */
    public String name() {
        return name;
    }

    /** The port it listens on (kept across {@link #refuseConnections()} / {@link #acceptConnections()}). */
    public int port() {
        return port;
    }

    /** {@code 127.0.0.1:port}. */
    public InetSocketAddress address() {
        return Loopback.at(port);
    }

    /** {@code "127.0.0.1:<port>"}, as config files spell an upstream. */
    public String hostPort() {
        return "127.0.0.1:" + port;
    }

    /** Replaces the handler; requests already being handled finish with the old one. */
    public void handler(Function<RecordedRequest, Action> newHandler) {
        this.handler = newHandler;
    }

    /** Every request received so far, in arrival order (a snapshot). */
    public List<RecordedRequest> requests() {
        synchronized (requests) {
            return List.copyOf(requests);
        }
    }

    /**
     * The oldest received request not yet taken, waiting up to {@code timeout} for one.
     *
     * @throws AssertionError if none arrived in time
     */
    public RecordedRequest takeRequest(Duration timeout) throws InterruptedException {
        RecordedRequest r = untaken.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
        if (r == null) {
            throw new AssertionError("upstream " + name + " received no request within " + timeout + ": " + this);
        }
        return r;
    }

    /** Connections accepted since start. */
    public int connectionsAccepted() {
        return connectionsAccepted.get();
    }

    /** Connections currently open (accepted and not yet closed by either side). */
    public int openConnections() {
        return openConnections.get();
    }

    /** The most connections open at once since start or {@link #resetMaxima()}. */
    public int maxOpenConnections() {
        return maxOpenConnections.get();
    }

    /** Requests fully received (head and body) since start. */
    public int requestsReceived() {
        return requestsReceived.get();
    }

    /** Requests whose connection ended before the head or body was complete. */
    public int requestsAborted() {
        return requestsAborted.get();
    }

    /** Requests between head received and action finished, right now. */
    public int requestsInProgress() {
        return requestsInProgress.get();
    }

    /** The most requests in progress at once since start or {@link #resetMaxima()}. */
    public int maxRequestsInProgress() {
        return maxRequestsInProgress.get();
    }

    /** Restarts the two "max" counters from the current values. */
    public void resetMaxima() {
        maxOpenConnections.set(openConnections.get());
        maxRequestsInProgress.set(requestsInProgress.get());
    }

    /** Malformed requests and handler exceptions; a passing test usually expects this empty. */
    public List<String> errors() {
        synchronized (errors) {
            return List.copyOf(errors);
        }
    }

    /** Socket errors that ended connections (peer resets and the like), for diagnosis. */
    public List<String> ioFailures() {
        synchronized (ioFailures) {
            return List.copyOf(ioFailures);
        }
    }

    /**
     * Waits until {@code condition} holds, re-checking whenever a counter or recording changes.
     *
     * @throws AssertionError naming {@code what} if it does not hold within {@code timeout}
     */
    public void await(String what, BooleanSupplier condition, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (stateChange) {
            while (!condition.getAsBoolean()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("upstream " + name + ": not " + what + " within " + timeout + ": " + this);
                }
                TimeUnit.NANOSECONDS.timedWait(stateChange, left);
            }
        }
    }

    /**
     * Closes the listening socket, so new connections are refused (the port stays known and can be
     * re-opened with {@link #acceptConnections()}). Open connections are left alone.
     */
    public void refuseConnections() throws IOException {
        listener.close();
    }

    /** Listens again on the same port after {@link #refuseConnections()}; no-op if listening. */
    public void acceptConnections() throws IOException {
        if (closed.get()) {
            throw new IllegalStateException("upstream " + name + " is closed");
        }
        listener.open(port);
    }

    /** Closes every open connection at once (FIN, or RST if unread data is pending), like a restart would. */
    public void closeAllConnections() throws IOException {
        for (UpstreamConnection c : connections) {
            c.abort();
        }
    }

    /** Stops listening, cancels stalls, closes every connection and waits for its threads. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        closing.countDown();
        List<String> problems = new ArrayList<>();
        try {
            refuseConnections();
            closeAllConnections();
        } catch (IOException e) {
            problems.add(e.toString());
        }
        pool.shutdownNow();
        try {
            if (!pool.awaitTermination(10, TimeUnit.SECONDS)) {
                problems.add("connection threads still running after 10 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            problems.add("interrupted while waiting for connection threads");
        }
        if (!problems.isEmpty()) {
            throw new IllegalStateException("closing upstream " + name + ": " + problems);
        }
    }

    @Override
    public String toString() {
        return "ScriptedUpstream[" + name + " " + hostPort() + (closed.get() ? " closed" : "")
                + ", accepted=" + connectionsAccepted + ", open=" + openConnections
                + ", received=" + requestsReceived + ", inProgress=" + requestsInProgress
                + ", maxInProgress=" + maxRequestsInProgress + ", errors=" + errors().size() + "]";
    }

    // ---- called by UpstreamConnection ----

    Function<RecordedRequest, Action> handler() {
        return handler;
    }

    long bodyCaptureLimit() {
        return bodyCaptureLimit;
    }

    boolean autoContinue() {
        return autoContinue;
    }

    CountDownLatch closingLatch() {
        return closing;
    }

    int nextSequence() {
        return sequence.getAndIncrement();
    }

    void requestStarted() {
        maxRequestsInProgress.accumulateAndGet(requestsInProgress.incrementAndGet(), Math::max);
        signal();
    }

    void requestFinished() {
        requestsInProgress.decrementAndGet();
        signal();
    }

    void recordRequest(RecordedRequest request) {
        synchronized (requests) {
            requests.add(request);
        }
        // Counted before it can be taken: a test that took it must see the count include it.
        requestsReceived.incrementAndGet();
        untaken.add(request);
        signal();
    }

    void requestAborted(int connectionId, IOException cause) {
        requestsAborted.incrementAndGet();
        ioFailure(connectionId, cause);
    }

    void error(String message) {
        synchronized (errors) {
            errors.add(message);
        }
        signal();
    }

    void ioFailure(int connectionId, IOException e) {
        if (closed.get()) {
            return; // close() cut the connection; the failure is its own doing, not the peer's
        }
        synchronized (ioFailures) {
            ioFailures.add("connection " + connectionId + ": " + e);
        }
        signal();
    }

    void connectionEnded(UpstreamConnection c) {
        if (connections.remove(c)) {
            openConnections.decrementAndGet();
        }
        signal();
    }

    private void accepted(Socket socket) {
        UpstreamConnection c = new UpstreamConnection(this, socket, connectionsAccepted.incrementAndGet());
        connections.add(c);
        maxOpenConnections.accumulateAndGet(openConnections.incrementAndGet(), Math::max);
        signal();
        try {
            socket.setTcpNoDelay(true);
            pool.execute(c);
        } catch (IOException | RejectedExecutionException e) {
            // Only close() shuts the pool, and dropping the connection is what closing means.
            try {
                c.abort();
            } catch (IOException closeFailure) {
                closeFailure.addSuppressed(e);
                ioFailure(c.id(), closeFailure);
            }
            connectionEnded(c);
        }
    }

    private void signal() {
        synchronized (stateChange) {
            stateChange.notifyAll();
        }
    }

    private static Thread daemon(Runnable r, String threadName) {
        Thread t = new Thread(r, threadName);
        t.setDaemon(true);
        return t;
    }

    /** Options of a {@link ScriptedUpstream}. */
    public static final class Builder {
        private final String name;
        private Function<RecordedRequest, Action> handler;
        private int maxConnections = DEFAULT_MAX_CONNECTIONS;
        private long bodyCaptureLimit = DEFAULT_BODY_CAPTURE_LIMIT;
        private boolean autoContinue = true;

        private Builder(String name) {
            this.name = name;
        }

        /** What to do with each request (default {@link ScriptedUpstream#defaultResponse}). */
        public Builder handler(Function<RecordedRequest, Action> h) {
            this.handler = h;
            return this;
        }

        /** Connections served at once; more wait for a thread (default 64). */
        public Builder maxConnections(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("maxConnections " + n);
            }
            this.maxConnections = n;
            return this;
        }

        /** Request bodies up to this many bytes are kept; larger ones as length and SHA-256 only. */
        public Builder bodyCaptureLimit(long bytes) {
            this.bodyCaptureLimit = bytes;
            return this;
        }

        /** Whether to send {@code 100 Continue} when a request with a body expects it (default true, like gunicorn). */
        public Builder autoContinue(boolean on) {
            this.autoContinue = on;
            return this;
        }

        /** Binds and starts accepting. */
        public ScriptedUpstream start() throws IOException {
            return new ScriptedUpstream(this);
        }

        @Override
        public String toString() {
            return "ScriptedUpstream.Builder[" + name + ", maxConnections=" + maxConnections + "]";
        }
    }
}
