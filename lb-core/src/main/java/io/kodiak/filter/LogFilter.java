package io.kodiak.filter;

import io.kodiak.accesslog.AccessLogEntry;

/**
 * The log phase: sees every finished exchange of its listener once, with all its timings and how
 * it ended (the access log is one). Runs on the selector thread that ended the exchange, with the
 * client connection's lock held: it must not block, nor do I/O, nor take a lock another thread
 * holds while waiting; hand the entry to a bounded queue and return (see
 * {@link io.kodiak.accesslog.AccessLogWriter}). An exception is logged and does not affect the
 * exchange or the other filters.
 */
public interface LogFilter {
    void log(AccessLogEntry entry);
}
