package io.kodiak.accesslog;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * The entry's start time as nginx's {@code $time_local}, {@code $time_iso8601} and {@code $msec}.
 * The two calendar forms are formatted once per second and reused: a log line rarely starts a new
 * second, so the data of a busy second costs one formatting, not one per line.
 *
 * <p>Thread-safe: the cache is one immutable holder behind a volatile field; two threads that miss
 * at once both format, and either result is right.
 */
final class LogTimes {
    private static final DateTimeFormatter LOCAL = DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z", Locale.ROOT);
    private static final DateTimeFormatter ISO = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ssxxx", Locale.ROOT);

    private record Second(long epochSecond, byte[] local, byte[] iso) {
    }

    private final ZoneId zone;
    private volatile Second cached = new Second(Long.MIN_VALUE, new byte[0], new byte[0]);

    LogTimes(ZoneId zone) {
        this.zone = zone;
    }

    ZoneId zone() {
        return zone;
    }

    /** {@code 04/Dec/2026:18:04:25 +0000}, in this zone. */
    void appendLocal(long epochMillis, LogLine out) {
        out.bytes(second(epochMillis).local);
    }

    /** {@code 2026-12-04T18:04:25+00:00}, in this zone. */
    void appendIso(long epochMillis, LogLine out) {
        out.bytes(second(epochMillis).iso);
    }

    /** Seconds since the epoch with milliseconds, {@code 1796407465.123}. */
    static void appendMsec(long epochMillis, LogLine out) {
        appendMillisAsSeconds(epochMillis, out);
    }

    /** {@code nanos} as seconds with millisecond resolution, {@code 0.042}, as nginx's timings. */
    static void appendSeconds(long nanos, LogLine out) {
        appendMillisAsSeconds(nanos / 1_000_000, out);
    }

    private static void appendMillisAsSeconds(long millis, LogLine out) {
        int ms = (int) Math.floorMod(millis, 1000L);
        out.number(Math.floorDiv(millis, 1000L));
        out.ensure(4);
        out.put('.');
        out.put('0' + ms / 100);
        out.put('0' + ms / 10 % 10);
        out.put('0' + ms % 10);
    }

    private Second second(long epochMillis) {
        long s = Math.floorDiv(epochMillis, 1000L);
        Second c = cached;
        if (c.epochSecond != s) {
            var t = Instant.ofEpochSecond(s).atZone(zone);
            c = new Second(s, LOCAL.format(t).getBytes(StandardCharsets.US_ASCII),
                    ISO.format(t).getBytes(StandardCharsets.US_ASCII));
            cached = c;
        }
        return c;
    }
}
