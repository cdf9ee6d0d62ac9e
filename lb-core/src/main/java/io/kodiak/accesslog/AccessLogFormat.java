package io.kodiak.accesslog;

import java.time.ZoneId;

/**
 * Turns an entry into one log line. Implementations append to the caller's builder, which the
 * {@link AccessLogWriter} reuses from line to line, so formatting a line allocates little.
 *
 * <p>Threading: implementations here are stateless or cache immutably, so any thread may call
 * {@link #format}; the writer calls it from its own thread, never from the data path.
 */
public interface AccessLogFormat {

    /**
     * Appends {@code e} as one line, without a line terminator (the target adds its own framing).
     * Every client-controlled value is escaped, so the appended text has no CR or LF.
     */
    void format(AccessLogEntry e, StringBuilder out);

    /** nginx's and Apache's {@code combined}, with times in {@code zone}. */
    static AccessLogFormat combined(ZoneId zone) {
        return new CombinedFormat(zone);
    }

    /** One JSON object per line with every variable of the template table; times in {@code zone}. */
    static AccessLogFormat json(ZoneId zone) {
        return new JsonFormat(zone);
    }
}
