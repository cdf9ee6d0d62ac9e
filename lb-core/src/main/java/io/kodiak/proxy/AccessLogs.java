package io.kodiak.proxy;

import io.kodiak.accesslog.AccessLog;
import io.kodiak.accesslog.AccessLogFormat;
import io.kodiak.accesslog.AccessLogTarget;
import io.kodiak.accesslog.SharedTargets;
import io.kodiak.config.AccessLogConfig;
import io.kodiak.config.ListenerConfig;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The access logs of one {@link ProxyServer}: opens a listener's log from its configuration,
 * so that listeners naming one file (or one syslog server with one facility) write through one
 * open target ({@link SharedTargets}), and closes logs with a bounded drain. A listener's log
 * lives in {@link ListenerRuntime#accessLog}; this class only keeps track of what it opened, so
 * that a shutdown closes everything, including a log whose listener failed to bind.
 *
 * <p><b>Threading.</b> {@link #open} and the closes run under the server's lock (start, reload,
 * close); the set of open logs is concurrent so that a close may read it from any thread.
 */
final class AccessLogs {
    /** A reload waits this long at most for a replaced log to write what it has queued. */
    static final Duration RELOAD_DRAIN = Duration.ofSeconds(2);
    /** A shutdown waits this long at most, for all logs together. */
    static final Duration CLOSE_DRAIN = Duration.ofSeconds(5);

    private final SharedTargets targets = new SharedTargets();
    private final Set<AccessLog> open = ConcurrentHashMap.newKeySet();

    /**
     * The log {@code lc} asks for, opened now, or {@code null} if it has none.
     *
     * @throws IOException naming the listener and the target if it cannot be opened
     */
    AccessLog open(ListenerConfig lc) throws IOException {
        AccessLogConfig c = lc.accessLog();
        if (c == null) {
            return null;
        }
        // The loader checked the format; times are in this host's zone, as nginx's $time_local.
        AccessLogFormat format = AccessLogFormat.named(c.format(), ZoneId.systemDefault());
        AccessLogTarget target;
        try {
            target = targets.acquire(key(c), () -> openTarget(c));
        } catch (IOException e) {
            throw new IOException("listener " + lc.name() + ": access log " + c.destination() + ": cannot open: "
                    + reason(c, e), e);
        }
        AccessLog log = new AccessLog(lc.name(), format, target, c.buffer());
        open.add(log);
        return log;
    }

    /** The JDK's messages for these are only the path again. */
    private static String reason(AccessLogConfig c, IOException e) {
        if (e instanceof NoSuchFileException && c.kind() == AccessLogConfig.Kind.FILE) {
            return "the directory " + c.path().getParent() + " does not exist";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        return e.getMessage() == null ? e.toString() : e.getMessage();
    }

    /** What a target is opened as: a syslog target carries its facility, so it is part of the key. */
    private static String key(AccessLogConfig c) {
        return c.syslog() ? c.destination() + " facility " + c.facility() : c.destination();
    }

    private static AccessLogTarget openTarget(AccessLogConfig c) throws IOException {
        return switch (c.kind()) {
            case STDOUT -> AccessLogTarget.stdout();
            case FILE -> AccessLogTarget.file(c.path());
            case SYSLOG_UNIX -> AccessLogTarget.syslogUnix(c.path(), c.facility());
            case SYSLOG_UDP -> {
                // Resolved once, when the log opens (as nginx resolves a syslog server at start and reload).
                InetSocketAddress a = new InetSocketAddress(c.address().host(), c.address().port());
                if (a.isUnresolved()) {
                    throw new IOException("cannot resolve " + c.address().host());
                }
                yield AccessLogTarget.syslogUdp(a, c.facility());
            }
        };
    }

    /**
     * Closes {@code logs} within {@code drain} in all: each starts draining at once, then each is
     * waited for with what is left of the bound.
     */
    void close(Collection<AccessLog> logs, Duration drain) {
        List<AccessLog> closing = new ArrayList<>();
        for (AccessLog l : logs) {
            if (l != null && open.remove(l)) {
                l.beginClose();
                closing.add(l);
            }
        }
        long deadline = System.nanoTime() + drain.toNanos();
        for (AccessLog l : closing) {
            l.close(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
        }
    }

    /** Closes every log this server opened (the server is stopping). */
    void closeAll(Duration drain) {
        close(List.copyOf(open), drain);
    }

    @Override
    public String toString() {
        return "AccessLogs[" + open.size() + " open, " + targets + "]";
    }
}
