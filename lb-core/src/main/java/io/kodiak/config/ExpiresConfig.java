package io.kodiak.config;

import java.time.Duration;

/**
 * An {@code expires} section (nginx {@code expires}): the {@code Expires} and {@code Cache-Control}
 * fields of successful and redirect responses.
 *
 * @param kind   what was written: a duration from now, {@code epoch}, {@code max}, or {@code off}
 * @param maxAge the duration for {@link Kind#AFTER} (negative means "already expired": {@code no-cache})
 */
public record ExpiresConfig(Kind kind, Duration maxAge) implements FeatureConfig {
    /** The forms nginx's {@code expires} takes (its {@code modified} and {@code @time} forms are not offered). */
    public enum Kind { AFTER, EPOCH, MAX, OFF }

    /** nginx's {@code expires max}: {@code Expires: Thu, 31 Dec 2037 23:55:55 GMT}, ten years' max-age. */
    public static final String MAX_EXPIRES = "Thu, 31 Dec 2037 23:55:55 GMT";
    public static final long MAX_AGE_SECONDS = 315_360_000L;
    /** nginx's {@code expires epoch}. */
    public static final String EPOCH_EXPIRES = "Thu, 01 Jan 1970 00:00:01 GMT";
}
