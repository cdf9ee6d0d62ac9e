package io.kodiak.proxy;

import io.kodiak.config.ExpiresConfig;
import io.kodiak.filter.BodyTransform;
import io.kodiak.filter.ResponseContext;
import io.kodiak.filter.ResponseFilter;
import io.kodiak.http.FieldEdits;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * nginx's {@code expires}: on a response with status 200, 201, 204, 206, 301, 302, 303, 304, 307
 * or 308, replaces the upstream's {@code Expires} and {@code Cache-Control} by {@code Expires: now
 * + d} (an HTTP-date) and {@code Cache-Control: max-age=d} in seconds; {@code no-cache} when d is
 * negative, {@code max-age=0} when it is zero. {@code epoch} and {@code max} are nginx's fixed
 * dates. {@code off} leaves both fields as the upstream sent them, undoing a listener's
 * {@code expires} on its route.
 *
 * <p>Immutable and shared; runs on a selector thread. The wall clock is injected for tests.
 */
final class ExpiresFilter implements ResponseFilter {
    private static final DateTimeFormatter IMF_FIXDATE =
            DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);

    private final ExpiresConfig config;
    /** Milliseconds since the epoch. */
    private final LongSupplier clock;

    ExpiresFilter(ExpiresConfig config) {
        this(config, System::currentTimeMillis);
    }

    ExpiresFilter(ExpiresConfig config, LongSupplier clock) {
        this.config = config;
        this.clock = clock;
    }

    /** nginx's list (ngx_http_headers_filter): successes and redirects, not errors. */
    static boolean applies(int status) {
        return switch (status) {
            case 200, 201, 204, 206, 301, 302, 303, 304, 307, 308 -> true;
            default -> false;
        };
    }

    @Override
    public BodyTransform onResponse(ResponseContext response) {
        if (!applies(response.head().status())) {
            return null;
        }
        FieldEdits f = response.clientFields();
        switch (config.kind()) {
            case OFF -> {
                f.restore("Expires");
                f.restore("Cache-Control");
            }
            case EPOCH -> {
                f.set("Expires", ExpiresConfig.EPOCH_EXPIRES);
                f.set("Cache-Control", "no-cache");
            }
            case MAX -> {
                f.set("Expires", ExpiresConfig.MAX_EXPIRES);
                f.set("Cache-Control", "max-age=" + ExpiresConfig.MAX_AGE_SECONDS);
            }
            default -> {
                long seconds = config.maxAge().toSeconds();
                long now = Math.floorDiv(clock.getAsLong(), 1000L);
                f.set("Expires", IMF_FIXDATE.format(Instant.ofEpochSecond(now + seconds)));
                f.set("Cache-Control", seconds < 0 ? "no-cache" : "max-age=" + seconds);
            }
        }
        return null;
    }

    @Override
    public String toString() {
        return "ExpiresFilter[" + config.kind() + (config.kind() == ExpiresConfig.Kind.AFTER ? " " + config.maxAge() : "") + "]";
    }
}
