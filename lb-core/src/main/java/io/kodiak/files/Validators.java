package io.kodiak.files;

import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Locale;

/**
 * A file's validators and the conditional request fields that test them (RFC 9110 §8.8, §13):
 * the ETag is nginx's, {@code "<mtime in hex>-<size in hex>"}, so a file served by nginx and by
 * Kodiak from the same disk has the same tag; {@code Last-Modified} is the mtime in seconds.
 * Stateless and thread-safe.
 */
public final class Validators {
    private static final DateTimeFormatter IMF_FIXDATE =
            DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(java.time.ZoneOffset.UTC);
    /** The obsolete forms a recipient must still accept (RFC 9110 §5.6.7). */
    private static final DateTimeFormatter RFC_850 =
            DateTimeFormatter.ofPattern("EEEE, dd-MMM-yy HH:mm:ss 'GMT'", Locale.US).withZone(java.time.ZoneOffset.UTC);
    private static final DateTimeFormatter ASCTIME =
            DateTimeFormatter.ofPattern("EEE MMM ppd HH:mm:ss yyyy", Locale.US).withZone(java.time.ZoneOffset.UTC);

    private Validators() {
    }

    /** nginx's strong ETag of a file. */
    public static String etag(long mtimeSeconds, long size) {
        return "\"" + Long.toHexString(mtimeSeconds) + "-" + Long.toHexString(size) + "\"";
    }

    public static String httpDate(long epochSecond) {
        return IMF_FIXDATE.format(java.time.Instant.ofEpochSecond(epochSecond));
    }

    /** Seconds since the epoch of an HTTP date in any of its three forms, or {@code Long.MIN_VALUE} if it is none. */
    public static long parseDate(String s) {
        String t = s.trim();
        for (DateTimeFormatter f : new DateTimeFormatter[] {IMF_FIXDATE, RFC_850, ASCTIME}) {
            try {
                return ZonedDateTime.parse(t, f).toEpochSecond();
            } catch (DateTimeParseException e) {
                // the next form
            }
        }
        return Long.MIN_VALUE;
    }

    /**
     * Whether {@code If-None-Match: field} matches {@code etag} by weak comparison (§13.1.2): then
     * a GET or HEAD is answered 304. {@code *} matches any current representation.
     */
    public static boolean noneMatchFails(String field, String etag) {
        String mine = opaque(etag);
        for (String tag : field.split(",")) {
            String t = tag.trim();
            if (t.equals("*") || (!t.isEmpty() && opaque(t).equals(mine))) {
                return true;
            }
        }
        return false;
    }

    /** Whether {@code If-Modified-Since: field} says the client's copy is current (invalid dates are ignored). */
    public static boolean notModifiedSince(String field, long mtimeSeconds) {
        long since = parseDate(field);
        return since != Long.MIN_VALUE && mtimeSeconds <= since;
    }

    /**
     * Whether {@code If-Range: field} lets a Range through (§13.1.5): an entity tag by strong
     * comparison (a weak tag never matches), or a date equal to {@code Last-Modified}.
     */
    public static boolean ifRangeHolds(String field, String etag, long mtimeSeconds) {
        String t = field.trim();
        if (t.startsWith("W/")) {
            return false;
        }
        if (t.startsWith("\"")) {
            return t.equals(etag);
        }
        return parseDate(t) == mtimeSeconds;
    }

    /** The opaque part of an entity tag, without {@code W/}: what weak comparison compares. */
    private static String opaque(String tag) {
        return tag.startsWith("W/") ? tag.substring(2) : tag;
    }
}
