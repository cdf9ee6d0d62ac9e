package io.kodiak.config;

import java.nio.file.Path;

/**
 * Request and response buffering. Buffering protects sync Gunicorn workers from slow clients:
 * the whole request is received before an upstream is picked, and the response is read as fast
 * as the upstream sends it. Turn it off for streaming APIs; bodies then stream with backpressure.
 *
 * @param request        receive the whole request body before picking an upstream
 * @param response       read the response as fast as the upstream sends it, whatever the client's pace
 * @param memory         bytes held in memory per direction per exchange before spilling to a temp file
 * @param maxRequestBody largest request body accepted, in bytes; beyond it 413
 * @param maxTempFile    largest temp file per direction per exchange; once reached, Kodiak stops
 *                       reading the producing side until the consumer catches up
 * @param tempDir        where temp files go; {@code null}: the process's ({@code temp.dir})
 */
public record BufferingConfig(boolean request, boolean response, long memory, long maxRequestBody,
                              long maxTempFile, Path tempDir) {
    public static BufferingConfig defaults() {
        return new BufferingConfig(true, true, 64 * 1024, 100L * 1024 * 1024, 1024L * 1024 * 1024, null);
    }
}
