package io.kodiak.config;

import java.nio.file.Path;

/**
 * The page sent when no upstream of a pool can take a request (HAProxy {@code errorfile},
 * nginx {@code error_page}). The body is read once, when the configuration is loaded.
 *
 * @param status      the status code, 500..599
 * @param contentType the {@code Content-Type}
 * @param file        where the body came from
 * @param body        the body
 */
public record ErrorPageConfig(int status, String contentType, Path file, byte[] body) {
}
