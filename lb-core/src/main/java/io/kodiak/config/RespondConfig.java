package io.kodiak.config;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A route's {@code respond}: Kodiak answers every request itself with a fixed status, fields and
 * body (nginx {@code return 200 "text"}, HAProxy {@code http-request return status 200
 * content-type text/plain string "..."}). The body is read once, when the configuration is loaded.
 *
 * <p>Equality compares the body's bytes, so a reload that reads the same file keeps the route.
 *
 * @param status      200-599
 * @param contentType the {@code Content-Type}, or null for none (an empty body without one)
 * @param body        the body; callers must not modify it
 * @param file        where the body came from, or null
 * @param headers     more fields, in order
 */
public record RespondConfig(int status, String contentType, byte[] body, Path file,
                            List<Map.Entry<String, String>> headers) implements FeatureConfig {
    /** Most bytes a {@code respond.file} may hold: it is kept in memory. */
    public static final int MAX_FILE_BYTES = 1 << 20;

    public RespondConfig {
        headers = List.copyOf(headers);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RespondConfig r && status == r.status && Objects.equals(contentType, r.contentType)
                && Arrays.equals(body, r.body) && Objects.equals(file, r.file) && headers.equals(r.headers);
    }

    @Override
    public int hashCode() {
        return Objects.hash(status, contentType, Arrays.hashCode(body), file, headers);
    }

    @Override
    public String toString() {
        return "RespondConfig[status=" + status + ", contentType=" + contentType + ", body=" + body.length
                + " bytes" + (file == null ? "" : " from " + file) + ", headers=" + headers + "]";
    }
}
