package io.kodiak.accesslog;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;

/**
 * Lines to an output stream: UTF-8, {@code \n} after each, buffered and flushed per batch. For
 * stdout, closing flushes and leaves the stream open, since others write to stdout too;
 * {@link FileTarget} writes through one that owns its file's stream.
 *
 * <p>Writer thread only (see {@link AccessLogTarget}).
 */
final class StreamTarget implements AccessLogTarget {
    private final BufferedWriter out;
    private final String name;
    private final boolean ownsStream;

    /** A target that leaves {@code stream} open when closed. */
    StreamTarget(OutputStream stream, String name) {
        this(stream, name, false);
    }

    StreamTarget(OutputStream stream, String name, boolean ownsStream) {
        this.out = new BufferedWriter(new OutputStreamWriter(stream, StandardCharsets.UTF_8), 64 * 1024);
        this.name = name;
        this.ownsStream = ownsStream;
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
        if (ownsStream) {
            out.close();
        } else {
            out.flush();
        }
    }

    @Override
    public String toString() {
        return name;
    }
}
