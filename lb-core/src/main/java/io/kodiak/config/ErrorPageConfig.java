package io.kodiak.config;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;

/**
 * The page sent when no upstream of a pool can take a request (HAProxy {@code errorfile},
 * nginx {@code error_page}). The body is read once, when the configuration is loaded.
 *
 * <p>Equality compares the body's bytes, not the array: a reload reads the file into a new array,
 * and the record's default {@code equals} would call an unchanged page a changed pool.
 *
 * @param status      the status code, 500..599
 * @param contentType the {@code Content-Type}
 * @param file        where the body came from
 * @param body        the body; sent as is, so callers must not modify it
 */
public record ErrorPageConfig(int status, String contentType, Path file, byte[] body) {
    @Override
    public boolean equals(Object o) {
        return o instanceof ErrorPageConfig e && status == e.status && Objects.equals(contentType, e.contentType)
                && Objects.equals(file, e.file) && Arrays.equals(body, e.body);
    }

    @Override
    public int hashCode() {
        return Objects.hash(status, contentType, file, Arrays.hashCode(body));
    }

    @Override
    public String toString() {
        return "ErrorPageConfig[status=" + status + ", contentType=" + contentType + ", file=" + file
                + ", body=" + (body == null ? "none" : body.length + " bytes") + "]";
    }
}
