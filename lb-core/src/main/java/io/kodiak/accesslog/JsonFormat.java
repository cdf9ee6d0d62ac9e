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
    /** Each field's key with the separator before it, made once: {@code {"remote_addr":}, {@code ,"status":}. */
    private static final byte[][] KEYS = java.util.stream.IntStream.range(0, FIELDS.length)
            .mapToObj(i -> ((i == 0 ? "{" : ",") + "\"" + FIELDS[i].varName() + "\":")
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII))
            .toArray(byte[][]::new);

    private final LogTimes times;

    JsonFormat(ZoneId zone) {
        this.times = new LogTimes(zone);
    }

    @Override
    public void format(AccessLogEntry e, LogLine out) {
        for (int i = 0; i < FIELDS.length; i++) {
            out.bytes(KEYS[i]); // {"name": or ,"name":
            FIELDS[i].appendJson(e, times, out);
        }
        out.ascii('}');
    }

    @Override
    public String toString() {
        return "json(" + times.zone() + ")";
    }
}
