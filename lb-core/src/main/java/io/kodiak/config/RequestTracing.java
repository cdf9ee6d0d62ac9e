package io.kodiak.config;

import java.util.Locale;

/**
 * What a listener tells the app about each request, so that its logs and APM line up with
 * Kodiak's: a request ID, and when Kodiak read the request (queue time included).
 *
 * @param idHeader     the request ID field, {@code X-Request-ID} by default (Heroku, Rails, many APMs)
 * @param trustClientId keep an ID the client sent (a trusted proxy in front of Kodiak made it);
 *                     otherwise any client value is replaced, since a client could reuse one to
 *                     confuse the app's logs
 * @param echoId       send the ID back to the client in the response, so a user can quote it
 * @param requestStart send {@code X-Request-Start: t=MICROSECONDS} (since the Unix epoch, when the
 *                     request head was read), replacing any the client sent: New Relic, Datadog,
 *                     Scout and Sentry read it as the start of the request's queue time, which a
 *                     Gunicorn cannot see for itself. {@code false} passes the field through untouched
 */
public record RequestTracing(String idHeader, boolean trustClientId, boolean echoId, boolean requestStart) {
    public static final RequestTracing DEFAULTS = new RequestTracing("X-Request-ID", false, false, true);

    /** The ID field's name in lower case, as the head parser compares names. */
    public String idHeaderLower() {
        return idHeader.toLowerCase(Locale.ROOT);
    }
}
