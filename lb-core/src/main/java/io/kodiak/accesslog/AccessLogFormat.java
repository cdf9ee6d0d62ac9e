package io.kodiak.accesslog;

import java.time.ZoneId;

/**
 * Turns an entry into one log line. Implementations append to the caller's {@link LogLine}, which
 * each thread reuses from line to line, so formatting a line allocates nothing.
 *
 * <p>Threading: implementations here are stateless or cache immutably, so any thread may call
 * {@link #format}; the data path does, at the end of each exchange ({@link AccessLogWriter#offer}).
 * Formatting must not block.
 */
public interface AccessLogFormat {

    /**
     * Appends {@code e} as one line, without a line terminator (the target adds its own framing).
     * Every client-controlled value is escaped, so the appended text has no CR or LF.
     */
    void format(AccessLogEntry e, LogLine out);

    /** nginx's and Apache's {@code combined}, with times in {@code zone}. */
    static AccessLogFormat combined(ZoneId zone) {
        return new CombinedFormat(zone);
    }

    /** One JSON object per line with every variable of the template table; times in {@code zone}. */
    static AccessLogFormat json(ZoneId zone) {
        return new JsonFormat(zone);
    }

    /**
     * The format a configuration names: {@code combined}, {@code json}, or a template
     * ({@link TemplateFormat}). A template names at least one variable: text without a {@code $}
     * is a misspelt name far more often than a wish to log the same words for every request.
     *
     * @throws IllegalArgumentException saying what is wrong: an unknown name, or the template's
     *                                  own problem (an unknown variable lists the known ones)
     */
    static AccessLogFormat named(String spec, ZoneId zone) {
        return switch (spec) {
            case "combined" -> combined(zone);
            case "json" -> json(zone);
            default -> {
                if (spec.indexOf('$') < 0) {
                    throw new IllegalArgumentException("unknown format \"" + spec
                            + "\" (expected combined, json, or a template of $variables such as '$remote_addr $status $request_time')");
                }
                yield TemplateFormat.parse(spec, zone);
            }
        };
    }
}
