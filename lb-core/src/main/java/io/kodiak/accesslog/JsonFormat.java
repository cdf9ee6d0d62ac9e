package io.kodiak.accesslog;

import java.time.ZoneId;

/**
 * One JSON object per line: every {@link Variable} (but the two text-only ones, see
 * {@link Variable#inJson}) under its template name, in the table's order, so the keys are stable
 * snake_case and documented once. Counts and seconds are JSON numbers, absent values {@code null};
 * strings are escaped to ASCII ({@link LogEscape#json}).
 *
 * <p>Thread-safe (see {@link LogTimes}).
 */
final class JsonFormat implements AccessLogFormat {
    private static final Variable[] FIELDS = java.util.Arrays.stream(Variable.values())
            .filter(Variable::inJson).toArray(Variable[]::new);

    private final LogTimes times;

    JsonFormat(ZoneId zone) {
        this.times = new LogTimes(zone);
    }

    @Override
    public void format(AccessLogEntry e, StringBuilder out) {
        out.append('{');
        for (int i = 0; i < FIELDS.length; i++) {
            if (i > 0) {
                out.append(',');
            }
            out.append('"').append(FIELDS[i].varName()).append("\":");
            FIELDS[i].appendJson(e, times, out);
        }
        out.append('}');
    }

    @Override
    public String toString() {
        return "json(" + times.zone() + ")";
    }
}
