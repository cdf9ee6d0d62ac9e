package io.kodiak.accesslog;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * One listener's access log: the format of its lines and the {@link AccessLogWriter} that queues
 * and writes them to its target. The data path holds it through the listener's runtime and calls
 * {@link #log} once per finished exchange; everything else (reopen, counters, close) is for the
 * operator's side.
 *
 * <p>Threading: {@link #log} from any data-path thread, never blocking (see
 * {@link AccessLogWriter#offer}); the rest from any thread. After {@link #close}, {@link #log}
 * only counts the entry as dropped, so a request that finishes while a reload replaces the log
 * costs nothing but its line.
 */
public final class AccessLog implements AutoCloseable {
    /** How long {@link #close()} lets the writer drain its queue. */
    public static final Duration DEFAULT_DRAIN = Duration.ofSeconds(5);

    private final String listener;
    private final AccessLogWriter writer;
    private final String target;

    /**
     * Starts the log's writer thread.
     *
     * @param listener the listener's name, for messages and the metric label
     * @param format   how an entry becomes a line
     * @param target   where lines go; closed with this log
     * @param capacity entries that may wait for the writer before new ones are dropped
     */
    public AccessLog(String listener, AccessLogFormat format, AccessLogTarget target, int capacity) {
        this.listener = listener;
        this.target = target.toString();
        this.writer = new AccessLogWriter(format, target, capacity);
    }

    /** Queues {@code e} to be written; never blocks. A full queue drops it and counts it in {@link #dropped()}. */
    public void log(AccessLogEntry e) {
        writer.offer(e);
    }

    /**
     * Reopens the target (a file logrotate renamed is replaced by a new one at its path); returns
     * at once. The future completes once it is done, exceptionally if the reopen failed.
     */
    public CompletableFuture<Void> reopen() {
        return writer.reopen();
    }

    /** Entries dropped because the queue was full (the writer is behind) or the log closed. */
    public long dropped() {
        return writer.dropped();
    }

    /** Lines written out (taken by the target and flushed). */
    public long written() {
        return writer.written();
    }

    /** Lines lost because the target failed (disk full, syslog receiver gone). */
    public long failed() {
        return writer.failed();
    }

    /** The listener whose log this is. */
    public String listener() {
        return listener;
    }

    /** Where the lines go, for people: {@code file /var/log/kodiak/access.log}, {@code stdout}. */
    public String target() {
        return target;
    }

    /** Starts closing without waiting: see {@link AccessLogWriter#beginClose}. */
    public void beginClose() {
        writer.beginClose();
    }

    /** Closes with up to {@link #DEFAULT_DRAIN} to write what is queued. */
    @Override
    public void close() {
        close(DEFAULT_DRAIN);
    }

    /** Drops later entries, writes what is queued within {@code drain}, closes the target. */
    public void close(Duration drain) {
        writer.close(drain);
    }

    @Override
    public String toString() {
        return "AccessLog[" + listener + " -> " + target + ", written " + written() + ", dropped " + dropped() + "]";
    }
}
