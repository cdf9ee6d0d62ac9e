package io.kodiak.accesslog;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;

/**
 * Lines to an output stream the process owns elsewhere (stdout): UTF-8, {@code \n} after each,
 * buffered and flushed per batch. Closing flushes and leaves the stream open, since others write
 * to stdout too.
 *
 * <p>Writer thread only (see {@link AccessLogTarget}).
 */
final class StreamTarget implements AccessLogTarget {
    private final BufferedWriter out;
    private final String name;

    StreamTarget(OutputStream stream, String name) {
        this.out = new BufferedWriter(new OutputStreamWriter(stream, StandardCharsets.UTF_8), 64 * 1024);
        this.name = name;
    }

    @Override
    public void write(CharSequence line) throws IOException {
        out.append(line).append('\n');
    }

    @Override
    public void flush() throws IOException {
        out.flush();
    }

    @Override
    public void close() throws IOException {
        out.flush();
    }

    @Override
    public String toString() {
        return name;
    }
}
