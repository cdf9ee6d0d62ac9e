package io.kodiak.proxy;

import io.kodiak.accesslog.AccessLog;
import io.kodiak.accesslog.AccessLogEntry;
import io.kodiak.accesslog.Termination;
import io.kodiak.filter.LogFilter;
import io.kodiak.http.RequestHead;

import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The log phase: at the end of an exchange, however it ended, builds one {@link AccessLogEntry}
 * and hands it, once, to the listener's access log and to the listener's and route's
 * {@link LogFilter}s. When there are none, nothing is built: the phase costs two field reads.
 *
 * <p>Threading: called with the session's lock held.
 */
final class ExchangeLog {
    private static final Logger LOG = Logger.getLogger(ExchangeLog.class.getName());

    private final Exchange x;
    private boolean done;
    private long queuedAt;
    private long queueNanos;
    private long tunnelHeadBytes;
    /** Bytes the client sent through a WebSocket tunnel, counted as received. */
    private long tunnelReceived;

    ExchangeLog(Exchange x) {
        this.x = x;
    }

    void queued(long now) {
        queuedAt = now;
    }

    /** Left the queue (a slot, a timeout, a rejection or the client gone): the wait adds up over retries. */
    void dequeued(long now) {
        if (queuedAt != 0) {
            queueNanos += now - queuedAt;
            queuedAt = 0;
        }
    }

    void tunnelOpened(long headBytes) {
        tunnelHeadBytes = headBytes;
    }

    long tunnelHeadBytes() {
        return tunnelHeadBytes;
    }

    void tunnelClosed(long bytesFromClient) {
        tunnelReceived = bytesFromClient;
    }

    /**
     * The exchange ended: logs it once.
     *
     * @param status    the status the client got (0: none)
     * @param bytesSent bytes handed to the client connection, head included
     * @param headBytes of which the response head
     */
    void finish(Termination how, int status, long bytesSent, long headBytes) {
        if (done) {
            return;
        }
        done = true;
        x.ended();
        LogFilter[] filters = x.filters.log();
        AccessLog accessLog = x.listener().accessLog; // read once: a reload may swap it
        if (filters.length == 0 && accessLog == null) {
            return;
        }
        long now = x.ctx().now();
        RequestHead req = x.req;
        Attempt a = x.attempt();
        var entry = new AccessLogEntry(x.clientIp(), x.clientPort(), epochMillis(now, x.startedAt),
                req.method(), req.target(), req.versionMinor() == 1 ? "HTTP/1.1" : "HTTP/1.0", status,
                req.bytes().length + x.bodyWireBytes() + tunnelReceived, bytesSent, Math.max(0, bytesSent - headBytes),
                now - x.startedAt, x.listenerConfig().name(), x.pool == null ? null : x.pool.name(),
                a == null ? null : a.upstream.name(), a == null ? null : a.upstream.addressText(),
                a == null ? -1 : a.connectNanos(), a == null ? -1 : a.headerNanos(), a == null ? -1 : a.responseNanos(),
                x.attempts(), queueNanos, x.requestId(), req.fields().get("user-agent"), req.fields().get("referer"), how,
                x.routeName, x.connectionIp(), x.remoteUser());
        emit(filters, accessLog, entry);
    }

    /**
     * A request the session refused before it became an exchange (a malformed or too large head,
     * or one that came too slowly): logged with what is known of it.
     */
    static void rejected(ClientSession s, int status, Termination how, long bytesSent, long startedAt) {
        LogFilter[] filters = s.listener.filters.log();
        AccessLog accessLog = s.listener.accessLog;
        if (filters.length == 0 && accessLog == null) {
            return;
        }
        long now = s.ctx.now();
        emit(filters, accessLog, new AccessLogEntry(s.connectionAddress().ip(), s.connectionAddress().port(), epochMillis(now, startedAt), null, null, null,
                status, 0, bytesSent, 0, now - startedAt, s.config.name(), null, null, null, -1, -1, -1, 0, 0,
                null, null, null, how));
    }

    private static long epochMillis(long now, long startedAt) {
        return System.currentTimeMillis() - (now - startedAt) / 1_000_000;
    }

    /** To the access log (never blocks: a full buffer drops and counts), then the log filters. */
    private static void emit(LogFilter[] filters, AccessLog accessLog, AccessLogEntry entry) {
        if (accessLog != null) {
            accessLog.log(entry);
        }
        for (LogFilter f : filters) {
            try {
                f.log(entry);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "log filter " + f + " failed", e); // never the exchange's problem
            }
        }
    }
}
