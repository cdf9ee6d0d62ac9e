package io.kodiak.accesslog;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/**
 * Lines to an output stream (stdout), {@code \n} after each, buffered and flushed per batch.
 * Closing flushes and leaves the stream open, since others write to stdout too.
 *
 * <p>Writer thread only (see {@link AccessLogTarget}).
 */
final class StreamTarget implements AccessLogTarget {
    private final BufferedOutputStream out;
    private final String name;

    /** A target that leaves {@code stream} open when closed. */
    StreamTarget(OutputStream stream, String name) {
        this.out = new BufferedOutputStream(stream, 64 * 1024);
        this.name = name;
    }

    @Override
    public void write(byte[] line, int off, int len) throws IOException {
        out.write(line, off, len);
        out.write('\n');
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
