package io.kodiak.health;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.channels.UnresolvedAddressException;
import java.time.Duration;
import java.util.Iterator;
import java.util.Locale;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Runs non-blocking connects with deadlines on one {@link Selector} and one daemon thread, for
 * any number of {@link TcpConnectProbe}s and {@link UnixHttpProbe}s: to a TCP address, or to a
 * Unix-domain socket ({@link UnixDomainSocketAddress}, HAProxy's {@code server s1 /path check}).
 * A connect may be followed by a {@link Conversation} under the same deadline: a TLS handshake
 * ({@link TlsHandshake}) for a TLS target, an HTTP exchange for a Unix socket's HTTP check.
 *
 * <p><b>Why plain NIO rather than Grizzly's {@code TCPNIOConnectorHandler}:</b> a connect check needs
 * nothing but "did {@code finishConnect()} succeed in time". A Grizzly transport would bring its own
 * selector and worker threads, a filter chain and a lifecycle, and would tie this library to the data
 * path's transport; one selector thread is a page of code, and it keeps probe load off the proxy's
 * selector threads.
 *
 * <p><b>Threading.</b> {@link #connect} may be called from any thread; it queues the connect and
 * wakes the loop. Everything else (opening, connecting, deadlines, closing sockets) happens on the
 * loop thread, so a slow or silent target only holds its own socket and deadline entry: it never
 * delays other probes. Callbacks run on the loop thread and must not block; an exception from one
 * is logged and does not stop the loop. {@link #close()} stops the thread and waits for it; probes
 * still pending then report {@link ProbeStatus#ERROR}.
 *
 * <p><b>A full backlog.</b> A Unix socket whose listen backlog is full refuses a non-blocking
 * connect at once with {@code EAGAIN} ({@link UnixBacklog}), where TCP would wait in the SYN
 * backlog. That server is busy, not down, so the connect is tried again after a short pause
 * (5 ms, doubling up to 100 ms), without a socket held in between, until the check's timeout; a
 * backlog still full then fails the check as {@link ProbeStatus#TIMEOUT}, as a TCP connect stuck in
 * a full SYN backlog would, with a message that says so (and no stack trace).
 *
 * <p>Timing uses {@link System#nanoTime()}: this class measures real sockets. Logic that decides
 * anything from time lives in {@link HealthStateMachine} and {@link HealthChecker}, which take a clock.
 */
public final class ConnectProbeLoop implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(ConnectProbeLoop.class.getName());
    private static final AtomicInteger THREAD_IDS = new AtomicInteger();
    private static final long CLOSE_WAIT_MILLIS = 5_000;

    private final Selector selector;
    private final Thread thread;
    private final Object lifecycleLock = new Object();
    /** Written under lifecycleLock, so that a connect is either queued before close or rejected. */
    private volatile boolean closed;
    private final Queue<PendingConnect> submitted = new ConcurrentLinkedQueue<>();
    private final AtomicInteger inFlight = new AtomicInteger();
    // Loop thread only. Completed entries stay until they reach the head; removal from the middle
    // would cost O(n) and the entries are small.
    private final PriorityQueue<PendingConnect> deadlines =
            new PriorityQueue<>((a, b) -> Long.compare(a.deadlineNanos - b.deadlineNanos, 0)); // nanoTime-safe
    /** Loop thread only: connects waiting to try a full backlog again (each is in {@link #deadlines} too). */
    private final PriorityQueue<PendingConnect> retries =
            new PriorityQueue<>((a, b) -> Long.compare(a.retryAtNanos - b.retryAtNanos, 0));
    /** Connect tries that found a Unix socket's backlog full, for tests and {@link #toString()}. */
    private final AtomicInteger backlogFull = new AtomicInteger();

    /** Opens the selector and starts the loop thread. */
    public ConnectProbeLoop() throws IOException {
        this.selector = Selector.open();
        this.thread = new Thread(this::run, "kodiak-connect-probe-" + THREAD_IDS.incrementAndGet());
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Starts a connect to {@code address}; {@code callback} receives the result exactly once, on the
     * loop thread: {@link ProbeStatus#SUCCESS} once connected (the connection is then closed),
     * {@link ProbeStatus#TIMEOUT} if not connected within {@code timeout}, or the failure.
     *
     * @throws IllegalArgumentException if {@code address} is unresolved or {@code timeout} not positive
     * @throws IllegalStateException    after {@link #close()}
     */
    public void connect(SocketAddress address, Duration timeout, Consumer<ProbeResult> callback) {
        connect(address, timeout, null, callback);
    }

    /**
     * As {@link #connect(SocketAddress, Duration, Consumer)}, and with {@code tls}, a TLS
     * handshake after the connect ({@link TlsHandshake}): success only once it completes, within the
     * same timeout; a handshake that fails reports {@link ProbeStatus#UNEXPECTED_RESPONSE} with its reason.
     *
     * @param tls the target's TLS, or {@code null} for a plain connect
     */
    public void connect(SocketAddress address, Duration timeout, ProbeTls tls, Consumer<ProbeResult> callback) {
        converse(address, timeout, tls == null ? null : () -> new TlsHandshake(tls.newEngine()), callback);
    }

    /**
     * A connect followed by what {@code opener} makes (nothing when {@code null}), within
     * {@code timeout} in all; {@code callback} receives the connect's failure or the conversation's outcome.
     */
    void converse(SocketAddress address, Duration timeout, Conversation.Opener opener, Consumer<ProbeResult> callback) {
        requireTarget(address);
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive: " + timeout);
        }
        PendingConnect pending = new PendingConnect(address, timeout.toNanos(), opener, Objects.requireNonNull(callback));
        synchronized (lifecycleLock) {
            if (closed) {
                throw new IllegalStateException(thread.getName() + " is closed");
            }
            inFlight.incrementAndGet();
            submitted.add(pending);
        }
        selector.wakeup();
    }

    /**
     * A resolved TCP address (no check ever waits for DNS) or a Unix-domain socket's path.
     *
     * @throws IllegalArgumentException otherwise
     */
    static void requireTarget(SocketAddress address) {
        if (address instanceof InetSocketAddress a ? a.isUnresolved() : !(address instanceof UnixDomainSocketAddress)) {
            throw new IllegalArgumentException("address must be resolved or a Unix-domain socket: " + address);
        }
    }

    /** @return connects started and not yet reported (each holds at most one socket) */
    public int inFlight() {
        return inFlight.get();
    }

    private void run() {
        try {
            while (!closed) {
                startSubmitted();
                long waitMillis = millisUntilNextDeadline();
                if (waitMillis < 0) {
                    selector.select();
                } else if (waitMillis == 0) {
                    selector.selectNow();
                } else {
                    selector.select(waitMillis);
                }
                Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
                while (keys.hasNext()) {
                    SelectionKey key = keys.next();
                    keys.remove();
                    PendingConnect p = (PendingConnect) key.attachment();
                    if (p.conversation == null) {
                        finishConnect(p, key);
                    } else {
                        converse(p, key);
                    }
                }
                long now = System.nanoTime();
                expire(now);
                retryDue(now);
            }
        } catch (IOException | RuntimeException e) {
            // The selector itself failed: no probe can run any more. Fail them all rather than hang them.
            LOG.log(Level.SEVERE, thread.getName() + " failed; pending and future connect probes fail", e);
        } finally {
            synchronized (lifecycleLock) {
                closed = true;
            }
            failAll();
            try {
                selector.close();
            } catch (IOException e) {
                LOG.log(Level.WARNING, "Closing the selector of " + thread.getName() + " failed", e);
            }
        }
    }

    private void startSubmitted() {
        PendingConnect pending;
        while ((pending = submitted.poll()) != null) {
            // Under its deadline from the start, even when connected at once: a conversation may follow.
            deadlines.add(pending);
            start(pending);
        }
    }

    /** Opens, registers and connects {@code pending}'s socket: the first try, or one after a full backlog. */
    private void start(PendingConnect pending) {
        try {
            pending.channel = pending.address instanceof UnixDomainSocketAddress
                    ? SocketChannel.open(StandardProtocolFamily.UNIX) : SocketChannel.open();
            pending.channel.configureBlocking(false);
            SelectionKey key = pending.channel.register(selector, SelectionKey.OP_CONNECT, pending);
            if (pending.channel.connect(pending.address)) {
                connected(pending, key);
            }
        } catch (IOException | UnresolvedAddressException e) {
            if (pending.address instanceof UnixDomainSocketAddress && UnixBacklog.isFull(e)) {
                retryLater(pending);
            } else {
                fail(pending, e);
            }
        }
    }

    /** The socket's backlog is full: the server is busy. Closes this try's socket and tries again after a pause. */
    private void retryLater(PendingConnect pending) {
        backlogFull.incrementAndGet();
        try {
            pending.channel.close(); // a refused connect leaves the socket unusable; a new one for the next try
        } catch (IOException e) {
            LOG.log(Level.FINE, "Closing the probe socket to " + pending.shown + " failed", e);
        }
        pending.channel = null;
        pending.retryAtNanos = System.nanoTime() + UnixBacklog.pauseNanos(++pending.backlogTries);
        retries.add(pending);
    }

    /** Starts the connects whose pause after a full backlog is over (those timed out meanwhile are done). */
    private void retryDue(long now) {
        while (!retries.isEmpty() && (retries.peek().done || retries.peek().retryAtNanos - now <= 0)) {
            PendingConnect pending = retries.poll();
            if (!pending.done) {
                start(pending);
            }
        }
    }

    private void finishConnect(PendingConnect pending, SelectionKey key) {
        try {
            if (pending.channel.finishConnect()) {
                connected(pending, key);
            }
        } catch (IOException e) {
            fail(pending, e);
        }
    }

    /** The connect succeeded: done, or the conversation starts. */
    private void connected(PendingConnect pending, SelectionKey key) {
        if (pending.opener == null) {
            complete(pending, ProbeStatus.SUCCESS, "connected to " + pending.shown, null);
            return;
        }
        try {
            pending.conversation = pending.opener.open();
        } catch (IOException | RuntimeException e) {
            complete(pending, ProbeStatus.ERROR, "cannot start the check after connecting to " + pending.shown + ": " + e, e);
            return;
        }
        converse(pending, key);
    }

    private void converse(PendingConnect pending, SelectionKey key) {
        ProbeResult r;
        try {
            int wants = pending.conversation.advance(pending.channel);
            if (wants != 0) {
                key.interestOps(wants);
                return;
            }
            r = pending.conversation.outcome(pending.channel, pending.shown);
        } catch (IOException | RuntimeException e) {
            r = pending.conversation.failure(e, pending.shown);
        }
        complete(pending, r.status(), r.detail(), null, r.headers());
    }

    /** @return milliseconds until the earliest deadline or retry (rounded up), 0 if one has passed, -1 if none */
    private long millisUntilNextDeadline() {
        while (!deadlines.isEmpty() && deadlines.peek().done) {
            deadlines.poll();
        }
        while (!retries.isEmpty() && retries.peek().done) {
            retries.poll();
        }
        PendingConnect next = deadlines.peek();
        if (next == null) {
            return -1; // every retry waits under a deadline too
        }
        long at = next.deadlineNanos;
        if (!retries.isEmpty() && retries.peek().retryAtNanos - at < 0) {
            at = retries.peek().retryAtNanos;
        }
        long remaining = at - System.nanoTime();
        return remaining <= 0 ? 0 : TimeUnit.NANOSECONDS.toMillis(remaining + 999_999);
    }

    private void expire(long now) {
        while (!deadlines.isEmpty() && (deadlines.peek().done || deadlines.peek().deadlineNanos - now <= 0)) {
            PendingConnect pending = deadlines.poll();
            if (!pending.done) {
                long ms = TimeUnit.NANOSECONDS.toMillis(pending.timeoutNanos);
                complete(pending, ProbeStatus.TIMEOUT, pending.backlogTries > 0 && pending.conversation == null
                        ? String.format(Locale.ROOT, "no connection to %s within %d ms: its listen backlog stayed full"
                                + " (the server accepts no connection; %d tries)", pending.shown, ms, pending.backlogTries)
                        : String.format(Locale.ROOT, "no %s to %s within %d ms",
                                pending.conversation == null ? "connection" : pending.conversation.toString(), pending.shown, ms),
                        null);
            }
        }
    }

    private void fail(PendingConnect pending, Exception e) {
        ProbeStatus status = classify(e);
        String detail = "connect to " + pending.shown + ": " + (e.getMessage() != null ? e.getMessage() : e.toString());
        // REFUSED, TIMEOUT and UNREACHABLE are what the target did: the result says it all. An ERROR is
        // our own problem (e.g. out of file descriptors), so keep its stack trace.
        complete(pending, status, detail, status == ProbeStatus.ERROR ? e : null);
    }

    /** Maps the JDK's connect exceptions (sun.nio.ch.Net's errno mapping) to probe outcomes. */
    static ProbeStatus classify(Exception e) {
        if (e instanceof NoRouteToHostException || e instanceof UnresolvedAddressException) {
            return ProbeStatus.UNREACHABLE;
        }
        String message = e.getMessage() == null ? "" : e.getMessage().toLowerCase(Locale.ROOT);
        if (e instanceof ConnectException) {
            // ECONNREFUSED and ETIMEDOUT both surface as ConnectException; only the message tells them apart.
            return message.contains("timed out") ? ProbeStatus.TIMEOUT : ProbeStatus.REFUSED;
        }
        if (e instanceof SocketException && message.contains("unreachable")) {
            return ProbeStatus.UNREACHABLE; // ENETUNREACH
        }
        if (e instanceof SocketException && message.contains("no such file")) {
            return ProbeStatus.REFUSED; // ENOENT: no Unix socket at that path, so nothing listens there
        }
        return ProbeStatus.ERROR;
    }

    private void complete(PendingConnect pending, ProbeStatus status, String detail, Exception error) {
        complete(pending, status, detail, error, java.util.Map.of());
    }

    private void complete(PendingConnect pending, ProbeStatus status, String detail, Exception error,
                          java.util.Map<String, String> headers) {
        if (pending.done) {
            return;
        }
        pending.done = true;
        inFlight.decrementAndGet();
        if (pending.channel != null) {
            try {
                pending.channel.close();
            } catch (IOException e) {
                LOG.log(Level.WARNING, "Closing the probe socket to " + pending.shown + " failed", e);
            }
        }
        if (error != null) {
            LOG.log(Level.WARNING, "Connect probe to " + pending.shown + " could not run", error);
        }
        ProbeResult result = new ProbeResult(status, detail, System.nanoTime() - pending.startNanos, headers);
        try {
            pending.callback.accept(result);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "Probe callback failed for " + result, e);
        }
    }

    private void failAll() {
        PendingConnect pending;
        while ((pending = submitted.poll()) != null) {
            complete(pending, ProbeStatus.ERROR, "probe loop closed before connecting to " + pending.shown, null);
        }
        while ((pending = deadlines.poll()) != null) {
            complete(pending, ProbeStatus.ERROR, "probe loop closed while connecting to " + pending.shown, null);
        }
    }

    /** Stops the loop thread and waits (up to 5 s) for it; pending probes report {@link ProbeStatus#ERROR}. */
    @Override
    public void close() {
        synchronized (lifecycleLock) {
            closed = true;
        }
        selector.wakeup();
        if (Thread.currentThread() == thread) {
            return; // called from a callback: the loop exits when the callback returns
        }
        try {
            thread.join(CLOSE_WAIT_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        if (thread.isAlive()) {
            LOG.warning(thread.getName() + " did not stop within " + CLOSE_WAIT_MILLIS + " ms; is a probe callback blocking?");
        }
    }

    /** @return connect tries so far that found a Unix socket's listen backlog full (for tests) */
    int backlogFullTries() {
        return backlogFull.get();
    }

    /** @return whether the loop thread is still running (for tests) */
    boolean isRunning() {
        return thread.isAlive();
    }

    @Override
    public String toString() {
        return "ConnectProbeLoop{" + thread.getName() + (closed ? ", closed" : "") + ", inFlight=" + inFlight.get()
                + (backlogFull.get() == 0 ? "" : ", backlogFull=" + backlogFull.get()) + '}';
    }

    /** One connect, owned by the loop thread once it has been taken from the submission queue. */
    private static final class PendingConnect {
        final SocketAddress address;
        /** The address for messages: {@code unix:/path} for a Unix socket, as Kodiak writes one. */
        final String shown;
        final long timeoutNanos;
        final long startNanos;
        final long deadlineNanos;
        final Consumer<ProbeResult> callback;
        /** What follows the connect (a TLS handshake, an HTTP exchange), or null for a plain connect. */
        final Conversation.Opener opener;
        SocketChannel channel;
        /** Once connected: the conversation in progress. */
        Conversation conversation;
        boolean done;
        /** Tries that found a Unix socket's backlog full; when the next one starts (while waiting for it, no channel). */
        int backlogTries;
        long retryAtNanos;

        PendingConnect(SocketAddress address, long timeoutNanos, Conversation.Opener opener, Consumer<ProbeResult> callback) {
            this.address = address;
            this.shown = address instanceof UnixDomainSocketAddress u ? "unix:" + u.getPath() : address.toString();
            this.timeoutNanos = timeoutNanos;
            this.opener = opener;
            this.callback = callback;
            // The deadline counts from the request, so time spent queued counts against the timeout.
            this.startNanos = System.nanoTime();
            this.deadlineNanos = startNanos + timeoutNanos;
        }
    }
}
