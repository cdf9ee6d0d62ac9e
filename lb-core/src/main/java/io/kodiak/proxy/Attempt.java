package io.kodiak.proxy;

import io.kodiak.health.UnixBacklog;
import io.kodiak.metrics.ErrorCause;
import io.kodiak.upstream.Upstream;
import org.glassfish.grizzly.CompletionHandler;
import org.glassfish.grizzly.Connection;
import org.glassfish.grizzly.GrizzlyFuture;
import org.glassfish.grizzly.IOEvent;

import java.io.IOException;
import java.net.ConnectException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One try of a request on one upstream: the slot it holds under the upstream's
 * {@code max-connections}, the connection (pooled or new), and its timings. It is the one place
 * that records an attempt's result: the upstream's load metric and passive health
 * ({@link Upstream#responded}, {@link Upstream#failed}) and its metrics, so no failure site can
 * count twice or forget to count.
 *
 * <p><b>A Unix socket's full backlog.</b> Linux refuses a connect to a Unix socket whose listen
 * backlog is full with {@code EAGAIN} at once ({@link UnixBacklog}), where TCP would wait in the
 * SYN backlog: every Gunicorn worker is busy, the server is not down. The attempt then keeps its
 * slot and tries the connect again on the feature timer after 5 ms, doubling up to 100 ms, until
 * it connects or the caller's connect deadline ({@code timeouts.connect}) cancels it
 * ({@link #cancelConnect}); a connect that ends so ({@link #backlogFull()}) is not a failure of the
 * upstream: no passive-health or outlier count ({@link #connectFailed}), only the error metric.
 *
 * <p>Threading: called with the session's lock held; connect completions take that lock, and so
 * does a retry after a full backlog, on the feature timer's thread (it only opens a non-blocking
 * socket, as a connect from a selector thread does).
 */
final class Attempt {
    /** Where the connect's outcome goes (the exchange). */
    interface Events {
        void connected(Attempt a);

        void connectFailed(Attempt a, ErrorCause cause, String why);
    }

    final Upstream upstream;
    private final Object lock;
    private final ProxyContext ctx;
    private final ExchangeMetrics metrics;
    private final WaitQueue queue;
    private final UpstreamConnection.Owner owner;
    /** When the upstream was picked: the round trip for the load metric counts from here. */
    final long pickedAt;

    private UpstreamConnection conn;
    private GrizzlyFuture<Connection> connecting;
    /** A TLS connection whose handshake is in progress; closed if the attempt stops waiting for it. */
    private Connection<?> handshaking;
    /** Bumped whenever a connect in flight stops mattering, so its late completion is dropped. */
    private int generation;
    private boolean holdsSlot = true;
    private boolean fresh;
    private boolean staleRetried;
    private boolean paused;
    /** Connect tries that found the Unix socket's backlog full; reset by each new connect. */
    private int backlogTries;
    /** Whether the latest connect try found the backlog full (so a timeout now is the server's load, not a fault). */
    private boolean backlogFull;
    /** The next try after a full backlog, while it waits; cancelled with the connect. */
    private ScheduledFuture<?> backlogRetry;
    /** Not happened (a clock may read 0, so 0 cannot mean that). */
    private static final long NEVER = Long.MIN_VALUE;
    private long connectStartedAt = NEVER;
    private long connectNanos = -1;
    private long headAt = NEVER;
    private long doneAt = NEVER;

    /** {@code u}'s slot is already held ({@code tryBegin}) for this attempt. */
    Attempt(Upstream u, Object lock, ProxyContext ctx, ExchangeMetrics metrics, WaitQueue queue,
            UpstreamConnection.Owner owner) {
        this.upstream = u;
        this.lock = lock;
        this.ctx = ctx;
        this.metrics = metrics;
        this.queue = queue;
        this.owner = owner;
        this.pickedAt = ctx.now();
        metrics.attempt(u);
    }

    /** Takes an idle pooled connection if there is one. */
    boolean reusePooled() {
        UpstreamConnection c = ctx.connectionPools.get(upstream).acquire(pickedAt);
        if (c == null) {
            return false;
        }
        fresh = false;
        connectNanos = 0; // as nginx's $upstream_connect_time for a kept-alive connection
        bind(c);
        return true;
    }

    /**
     * Opens a new connection, and for a TLS pool completes its handshake (the connect timeout
     * covers both, as nginx's {@code proxy_connect_timeout} does); the outcome goes to
     * {@code events} under the lock.
     */
    void connect(Events events) {
        int my = ++generation;
        backlogTries = 0;
        backlogFull = false;
        connectStartedAt = ctx.now();
        open(my, events);
    }

    /** One connect try of connect {@code my}. */
    private void open(int my, Events events) {
        Upstream u = upstream;
        ConnectionPool cp = ctx.connectionPools.get(u);
        io.kodiak.config.UpstreamTlsConfig tls = cp.tls();
        // A Unix socket never has TLS (the config refuses it); its connect fails or succeeds at
        // once, so its failure may come back before this method returns.
        GrizzlyFuture<Connection> f = u.isUnix() ? ctx.unixConnector.connect(u.socketAddress())
                : (tls == null ? ctx.connector : ctx.tlsConnector).connect(u.address());
        connecting = f;
        f.addCompletionHandler(new CompletionHandler<>() {
            @Override
            public void completed(Connection c) {
                synchronized (lock) {
                    if (my != generation) {
                        c.closeSilently();
                        return;
                    }
                    connecting = null;
                    if (tls == null) {
                        ready(c, u, cp, null, events);
                    } else {
                        handshaking = c;
                        UpstreamHandshake.start(ctx, c, tls, u, new UpstreamHandshake.Done() {
                            @Override
                            public void handshaken(Connection<?> hc) {
                                synchronized (lock) {
                                    if (my != generation) {
                                        hc.closeSilently();
                                        return;
                                    }
                                    handshaking = null;
                                    ready(hc, u, cp, tls, events);
                                }
                            }

                            @Override
                            public void failed(String why) {
                                synchronized (lock) {
                                    if (my != generation) {
                                        return;
                                    }
                                    handshaking = null;
                                    events.connectFailed(Attempt.this, ErrorCause.TLS_HANDSHAKE, why);
                                }
                            }
                        });
                    }
                }
            }

            @Override
            public void failed(Throwable t) {
                synchronized (lock) {
                    if (my != generation) {
                        return;
                    }
                    connecting = null;
                    if (u.isUnix() && UnixBacklog.isFull(t)) {
                        retryAfterFullBacklog(my, events);
                        return;
                    }
                    backlogFull = false;
                    events.connectFailed(Attempt.this, ErrorCause.CONNECT_REFUSED, connectFailure(u, t));
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

    /**
     * The Unix socket's listen backlog is full: the next try after a pause, on the feature timer
     * (never a sleep on this thread, which may be a selector thread). The caller's connect deadline
     * ends the tries.
     */
    private void retryAfterFullBacklog(int my, Events events) {
        backlogFull = true;
        long pause = UnixBacklog.pauseNanos(++backlogTries);
        try {
            backlogRetry = ctx.features.timer().schedule(() -> {
                synchronized (lock) {
                    if (my == generation) {
                        backlogRetry = null;
                        open(my, events);
                    }
                }
            }, pause, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException stopping) {
            backlogFull = false;
            events.connectFailed(this, ErrorCause.CONNECT_REFUSED, upstream.addressText() + ": listen backlog full, and Kodiak is stopping");
        }
    }

    /** Whether the connect's latest try found the Unix socket's listen backlog full: the server is busy. */
    boolean backlogFull() {
        return backlogFull;
    }

    /** For the log when the connect deadline ends a connect that {@link #backlogFull()}. */
    String backlogFullText() {
        return upstream.addressText() + ": its listen backlog stayed full (the server accepted no connection; "
                + backlogTries + (backlogTries == 1 ? " try" : " tries") + "); not counted against it";
    }

    /** Why a connect failed, for the log: a Unix socket's path is part of it (missing, or no listener). */
    private static String connectFailure(Upstream u, Throwable t) {
        if (u.isUnix()) {
            return u.addressText() + ": " + (t instanceof ConnectException ? "connection refused"
                    : t.getMessage() != null ? t.getMessage() : String.valueOf(t));
        }
        return t instanceof ConnectException ? "connection refused" : String.valueOf(t);
    }

    /** Connected (and handshaken, for TLS): the connection carries the request. */
    private void ready(Connection<?> c, Upstream u, ConnectionPool cp, io.kodiak.config.UpstreamTlsConfig tls, Events events) {
        connectNanos = ctx.now() - connectStartedAt;
        metrics.connected(u, connectNanos);
        UpstreamConnection nc = new UpstreamConnection(u, c, cp, tls);
        UpstreamFilter.UPSTREAM.set(c, nc);
        fresh = true;
        bind(nc);
        events.connected(this);
    }

    private void bind(UpstreamConnection c) {
        conn = c;
        c.owner = owner;
        c.uses++;
    }

    /** The connection carrying the request; null while connecting or after the release. */
    UpstreamConnection connection() {
        return conn;
    }

    /**
     * Whether a pooled connection that closed before any response byte may be replaced: the
     * upstream had closed it idle, so it processed nothing. Once per attempt; a new connection
     * that closes is a real failure.
     */
    boolean mayRetryStale() {
        return !fresh && !staleRetried && conn != null;
    }

    /** Closes the stale connection and connects anew, keeping the slot ({@link #mayRetryStale} first). */
    void retryStale(Events events) {
        staleRetried = true;
        UpstreamConnection stale = conn;
        conn = null;
        stale.close();
        connect(events);
    }

    /** Stops a connect in flight; its late completion is dropped. */
    void cancelConnect() {
        generation++;
        if (backlogRetry != null) {
            backlogRetry.cancel(false);
            backlogRetry = null;
        }
        if (connecting != null) {
            connecting.cancel(false);
            connecting = null;
        }
        if (handshaking != null) {
            Connection<?> h = handshaking;
            handshaking = null;
            // Not on this thread: it holds the session's lock, and closing a connection in its
            // handshake runs Grizzly's close listener, which takes the connection's lock; a
            // selector thread finishing that handshake holds the connection's lock and waits for
            // the session's (to report). Closed from a thread holding neither, no cycle.
            java.util.concurrent.ForkJoinPool.commonPool().execute(h::closeSilently);
        }
    }

    /** The response head came at {@code now}. */
    void headArrived(long now) {
        headAt = now;
        metrics.upstreamFirstByte(upstream, now - pickedAt);
    }

    /** The upstream answered {@code status}; its last byte (or the head, for a retried 5xx) came at {@code now}. */
    void responded(int status, long now) {
        doneAt = now;
        long rtt = now - pickedAt; // from the pick: the round trip the load metric weighs
        upstream.responded(status, rtt);
        metrics.upstreamResponse(upstream, status, rtt);
    }

    /** The upstream switched to a WebSocket tunnel. */
    void upgraded() {
        metrics.upgraded(upstream);
    }

    /** The attempt failed after the connection was up: passive health and the error count. */
    void failed(ErrorCause cause) {
        upstream.failed();
        metrics.upstreamError(upstream, cause);
    }

    /**
     * The connect failed: the slot goes back before the failure counts, as a refused connect held
     * nothing. A connect that timed out on a full Unix backlog does not count against the upstream's
     * passive health or outlier detection: the server was busy, and TCP would have waited in the SYN
     * backlog for as long.
     */
    void connectFailed(ErrorCause cause) {
        metrics.upstreamError(upstream, cause);
        endSlot();
        if (!backlogFull) {
            upstream.failed();
        }
    }

    /** Gives back the slot (once) and offers it to the pool's queue. */
    void endSlot() {
        if (holdsSlot) {
            holdsSlot = false;
            upstream.end();
            queue.handOff(upstream);
        }
    }

    /** Ends the attempt: the slot back, the connection to the pool if {@code reusable}, else closed. */
    void release(boolean reusable) {
        cancelConnect(); // a connect that completes after the release is closed, not bound
        endSlot();
        UpstreamConnection c = conn;
        conn = null;
        if (c == null) {
            return;
        }
        if (reusable) {
            if (paused) {
                resumeReads(c);
            }
            c.pool.release(c, ctx.now());
        } else {
            c.close();
        }
    }

    /** Gives up the upstream side: a connect in progress is cancelled, a connection closed. */
    void drop() {
        cancelConnect();
        release(false);
    }

    /** Stops reading from the upstream (the client is slower); false if the connection failed. */
    boolean pauseReads() {
        if (paused || conn == null) {
            return true;
        }
        paused = true;
        try {
            conn.connection.disableIOEvent(IOEvent.READ);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    boolean paused() {
        return paused;
    }

    void resumeReads() {
        if (conn != null) {
            resumeReads(conn);
        }
    }

    private void resumeReads(UpstreamConnection c) {
        paused = false;
        try {
            c.connection.enableIOEvent(IOEvent.READ);
        } catch (IOException e) {
            c.close();
        }
    }

    // For the access log: durations from the connect's start (the pick, for a pooled connection).

    long connectNanos() {
        return connectNanos;
    }

    private long startedAt() {
        return connectStartedAt != NEVER ? connectStartedAt : pickedAt;
    }

    long headerNanos() {
        return headAt == NEVER ? -1 : headAt - startedAt();
    }

    long responseNanos() {
        return doneAt == NEVER ? -1 : doneAt - startedAt();
    }

    @Override
    public String toString() {
        return "Attempt[" + upstream.name() + (conn == null ? "" : ", " + conn) + "]";
    }
}
