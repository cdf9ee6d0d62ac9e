package io.kodiak.accesslog;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Lines to an output stream: UTF-8, {@code \n} after each, buffered and flushed per batch. For
 * stdout, closing flushes and leaves the stream open, since others write to stdout too;
 * {@link FileTarget} writes through one that owns its file's stream.
 *
 * <p>Writer thread only (see {@link AccessLogTarget}).
 */
final class StreamTarget implements AccessLogTarget {
    private final BufferedOutputStream out;
    private final String name;
    private final boolean ownsStream;

    /** A target that leaves {@code stream} open when closed. */
    StreamTarget(OutputStream stream, String name) {
        this(stream, name, false);
    }

    StreamTarget(OutputStream stream, String name, boolean ownsStream) {
        this.out = new BufferedOutputStream(stream, 64 * 1024);
        this.name = name;
        this.ownsStream = ownsStream;
    }

    @Override
    public void write(CharSequence line) throws IOException {
        // The formats write ASCII, for which String's UTF-8 encoding is a plain copy (a check and
        // an intrinsic), cheaper than a Writer's char buffer and encoder; other text still encodes.
        out.write(line.toString().getBytes(StandardCharsets.UTF_8));
        out.write('\n');
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
