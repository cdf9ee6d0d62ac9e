package io.kodiak.proxy;

import java.util.ArrayDeque;

/**
 * Idle keep-alive connections to one upstream. Last in, first out: the most recently used
 * connection is the least likely to have been closed by the upstream, and the ones at the tail
 * age out through the idle timeout (nginx's {@code keepalive} cache works the same way).
 * Thread-safe; the lock is held only to move a connection in or out.
 */
final class ConnectionPool {
    private volatile int maxIdle;
    private volatile long idleTimeoutNanos;
    /** The TLS settings new connections are made with, or {@code null} for plain HTTP. */
    private volatile io.kodiak.config.UpstreamTlsConfig tls;
    private final ArrayDeque<UpstreamConnection> idle = new ArrayDeque<>();
    /** Set once the upstream is removed: a connection released after that closes (guarded by this). */
    private boolean retired;
    /** Open connections to the upstream, idle or in use (counted by {@link UpstreamConnection}). */
    final java.util.concurrent.atomic.AtomicInteger open = new java.util.concurrent.atomic.AtomicInteger();

    ConnectionPool(int maxIdle, long idleTimeoutNanos, io.kodiak.config.UpstreamTlsConfig tls) {
        this.maxIdle = maxIdle;
        this.idleTimeoutNanos = idleTimeoutNanos;
        this.tls = tls;
    }

    /**
     * A reload changed the limits; connections over the new max-idle age out as they go idle. New
     * TLS settings (compared by identity: the reload keeps the object when nothing changed) close
     * the idle connections, and those in use close when released: none made under the old
     * settings, or in plain text when TLS is now on, is used again.
     */
    void reconfigure(int maxIdle, long idleTimeoutNanos, io.kodiak.config.UpstreamTlsConfig tls) {
        this.maxIdle = maxIdle;
        this.idleTimeoutNanos = idleTimeoutNanos;
        if (this.tls != tls) {
            this.tls = tls;
            closeAll();
        }
    }

    /** The TLS settings a new connection is made with, or {@code null} for plain HTTP. */
    io.kodiak.config.UpstreamTlsConfig tls() {
        return tls;
    }

    /** @return an open idle connection, or {@code null} */
    UpstreamConnection acquire(long now) {
        while (true) {
            UpstreamConnection c;
            synchronized (this) {
                c = idle.pollFirst();
            }
            if (c == null) {
                return null;
            }
            if (c.connection.isOpen() && !c.dead && now - c.idleSince < idleTimeoutNanos && c.tls == tls) {
                return c;
            }
            c.close();
        }
    }

    /** Keeps {@code c} for reuse, or closes it if the pool is full. */
    void release(UpstreamConnection c, long now) {
        c.owner = null;
        c.idleSince = now;
        boolean kept = false;
        // A drained upstream keeps no idle connection: the drain closed the others, and closes
        // each one as its request ends (Envoy closes a draining host's idle connections too).
        if (maxIdle > 0 && !c.dead && !c.upstream.adminOut() && c.tls == tls) {
            synchronized (this) {
                if (!retired && idle.size() < maxIdle) {
                    idle.addFirst(c);
                    kept = true;
                }
            }
        }
        if (!kept) {
            c.close();
        }
    }

    /** An idle connection saw bytes or a close: it can never be reused. */
    void retire(UpstreamConnection c) {
        synchronized (this) {
            idle.remove(c);
        }
        c.close();
    }

    /** Closes connections idle for longer than the idle timeout. */
    void expire(long now) {
        while (true) {
            UpstreamConnection c;
            synchronized (this) {
                c = idle.peekLast();
                if (c == null || now - c.idleSince < idleTimeoutNanos) {
                    return;
                }
                idle.pollLast();
            }
            c.close();
        }
    }

    /** How many connections wait idle for reuse now. */
    synchronized int idleCount() {
        return idle.size();
    }

    /**
     * The upstream is gone: the idle connections close now, and each one still carrying a request
     * closes when it is released (a release racing with this cannot slip one into the idle list).
     */
    void retire() {
        synchronized (this) {
            retired = true;
        }
        closeAll();
    }

    void closeAll() {
        while (true) {
            UpstreamConnection c;
            synchronized (this) {
                c = idle.pollFirst();
            }
            if (c == null) {
                return;
            }
            c.close();
        }
    }

    @Override
    public synchronized String toString() {
        return "ConnectionPool[" + idle.size() + "/" + maxIdle + " idle]";
    }
}
