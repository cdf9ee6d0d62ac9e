package io.kodiak.filter;

import java.io.IOException;
import java.nio.channels.FileChannel;

/**
 * A static file's answer as a request filter hands it to the exchange
 * ({@link io.kodiak.filter.RequestContext#respondFile}): the status (200, 206, 304 or 416), the
 * response's fields, and the open file with the bytes to send. Whoever holds it closes it: the
 * exchange, once the answer is sent, cut short or dropped.
 *
 * <p>Not thread-safe: made on a selector thread and used under the client session's lock.
 */
public final class FileAnswer implements AutoCloseable {
    private final int status;
    private final String fields;
    private FileChannel channel;
    private final long offset;
    private final long length;

    /**
     * @param fields  the response's field lines, each ending in CRLF, {@code Content-Length} included
     *                (the body's length, or on a HEAD what a GET would get)
     * @param channel the file, or null when no body is sent (HEAD, 304, 416, an empty file)
     * @param offset  where the bytes to send start in the file
     * @param length  how many bytes to send from {@code offset} (0 without a channel)
     */
    public FileAnswer(int status, String fields, FileChannel channel, long offset, long length) {
        this.status = status;
        this.fields = fields;
        this.channel = channel;
        this.offset = offset;
        this.length = channel == null ? 0 : length;
    }

    public int status() {
        return status;
    }

    public String fields() {
        return fields;
    }

    /** The open file, or null if there is no body to send (or it was closed). */
    public FileChannel channel() {
        return channel;
    }

    public long offset() {
        return offset;
    }

    public long length() {
        return length;
    }

    /** Closes the file; idempotent. */
    @Override
    public void close() {
        FileChannel c = channel;
        channel = null;
        if (c != null) {
            try {
                c.close();
            } catch (IOException e) {
                // nothing was written through it: a failed close loses nothing
            }
        }
    }

    @Override
    public String toString() {
        return "FileAnswer[" + status + ", " + offset + "+" + length + (channel == null ? "" : ", open") + "]";
    }
}
