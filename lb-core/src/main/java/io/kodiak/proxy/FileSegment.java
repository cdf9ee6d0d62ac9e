package io.kodiak.proxy;

import org.glassfish.grizzly.FileChunk;

import java.io.EOFException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;

/**
 * Part of an open file as a message for Grizzly's write queue, which hands it the socket:
 * {@link FileChannel#transferTo}, sendfile(2) on Linux, so the bytes go from the page cache to
 * the socket without a copy through the JVM. What Grizzly's {@code FileTransfer} does, except
 * that it sends from the channel the static route already opened and checked: {@code FileTransfer}
 * opens the file again by its name, which a symbolic link swapped in meanwhile could redirect.
 *
 * <p>Written by the connection's writer (the selector thread, or the thread that queued it when
 * the queue was empty); never shared. Closing the file is its {@link FileResponse}'s business.
 */
final class FileSegment implements FileChunk {
    private final FileChannel file;
    private long position;
    private long left;

    FileSegment(FileChannel file, long position, long length) {
        this.file = file;
        this.position = position;
        this.left = length;
    }

    @Override
    public long writeTo(WritableByteChannel c) throws IOException {
        long n = file.transferTo(position, left, c);
        if (n == 0 && position >= file.size()) {
            // Truncated since it was opened: transferTo would return 0 for ever, and the writer
            // would wait for a writable socket that never helps. The response is cut instead.
            throw new EOFException("file shrank while being sent");
        }
        position += n;
        left -= n;
        return n;
    }

    @Override
    public boolean hasRemaining() {
        return left > 0;
    }

    @Override
    public int remaining() {
        return (int) Math.min(left, Integer.MAX_VALUE);
    }

    @Override
    public boolean release() {
        return true; // the file stays open for the next segment
    }

    @Override
    public boolean isExternal() {
        return true; // not in memory, as FileTransfer
    }

    @Override
    public String toString() {
        return "FileSegment[" + position + "+" + left + "]";
    }
}
