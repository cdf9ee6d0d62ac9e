package io.kodiak.http;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * The {@code Date} field line of the responses Kodiak sends: the current time as an IMF-fixdate
 * (RFC 9110 §5.6.7), {@code Date: Sun, 06 Nov 1994 08:49:37 GMT CRLF}. RFC 9110 §6.6.1 makes it a
 * MUST for a server with a clock, and nginx and HAProxy send it on their own responses.
 *
 * <p>The line is formatted at most once per second, not per response: one volatile holder keeps
 * the second and its bytes, and the thread that first sees a new second formats and publishes it.
 * Two threads may both format at a second's turn; they produce the same bytes, so either may win.
 * Thread-safe; the returned array is shared and must not be modified.
 */
public final class HttpDate {
    /** Wall-clock time: {@code Date} is a calendar time, which {@code nanoTime} cannot give. */
    public static final HttpDate SYSTEM = new HttpDate(System::currentTimeMillis);

    private static final DateTimeFormatter IMF_FIXDATE =
            DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);

    private final LongSupplier millis;
    private volatile Line line = new Line(Long.MIN_VALUE, null);

    private record Line(long second, byte[] bytes) {
    }

    /** @param millis the wall clock, in milliseconds since the epoch */
    HttpDate(LongSupplier millis) {
        this.millis = millis;
    }

    /** {@code "Date: <IMF-fixdate>\r\n"} for the current second. */
    public byte[] fieldLine() {
        long second = Math.floorDiv(millis.getAsLong(), 1000L);
        Line l = line;
        if (l.second() != second) {
            l = new Line(second, ("Date: " + format(second) + "\r\n").getBytes(StandardCharsets.US_ASCII));
            line = l;
        }
        return l.bytes();
    }

    static String format(long epochSecond) {
        return IMF_FIXDATE.format(Instant.ofEpochSecond(epochSecond));
    }

    @Override
    public String toString() {
        Line l = line;
        return "HttpDate[" + (l.bytes() == null ? "not yet formatted" : format(l.second())) + "]";
    }
}
