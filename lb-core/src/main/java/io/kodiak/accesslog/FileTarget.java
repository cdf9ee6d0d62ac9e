package io.kodiak.accesslog;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Appends lines to a file, buffered and written per batch, and reopenable. A new file
 * is created 0640 (owner read-write, group read): access logs hold client addresses and URLs, so
 * not world-readable, while a log shipper in the owner's group may read them.
 *
 * <p>{@link #reopen} closes the file and opens the path again: logrotate renames the file, then
 * signals Kodiak, and the lines after the signal go to a new file at the old path, while the
 * renamed one keeps everything before.
 *
 * <p>Writer thread only (see {@link AccessLogTarget}).
 */
final class FileTarget implements AccessLogTarget {
    private static final Set<OpenOption> APPEND = Set.of(StandardOpenOption.CREATE,
            StandardOpenOption.WRITE, StandardOpenOption.APPEND);
    private static final FileAttribute<?> MODE_0640 = PosixFilePermissions.asFileAttribute(
            PosixFilePermissions.fromString("rw-r-----"));
    /** Lines gather here between writes; direct, because a heap buffer is copied into one by every write. */
    static final int BUFFER_BYTES = 64 * 1024;

    private final Path path;
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(BUFFER_BYTES);
    private FileChannel channel;

    FileTarget(Path path) throws IOException {
        this.path = path;
        this.channel = open(path);
    }

    private static FileChannel open(Path path) throws IOException {
        try {
            return FileChannel.open(path, APPEND, MODE_0640);
        } catch (UnsupportedOperationException notPosix) {
            // A file system without POSIX modes (not one Kodiak runs on, but tests may): its defaults.
            return FileChannel.open(path, APPEND);
        }
    }

    @Override
    public void write(byte[] line, int off, int len) throws IOException {
        if (buffer.remaining() < len + 1) {
            flush();
            if (len + 1 > buffer.capacity()) { // a line longer than the buffer goes out on its own
                ByteBuffer whole = ByteBuffer.wrap(line, off, len);
                try {
                    writeFully(whole);
                } finally {
                    if (whole.position() > off) {
                        buffer.put((byte) '\n'); // even cut short by a failing disk, it ends its line
                    }
                }
                return;
            }
        }
        buffer.put(line, off, len).put((byte) '\n');
    }

    @Override
    public void flush() throws IOException {
        buffer.flip();
        try {
            writeFully(buffer);
        } finally {
            // What a failing write left stays for the next flush, from where it stopped: no line is
            // lost or cut in two while the disk recovers (meanwhile new lines fail, and are counted).
            buffer.compact();
        }
    }

    private void writeFully(ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            channel.write(b);
        }
    }

    @Override
    public void reopen() throws IOException {
        FileChannel old = channel;
        try {
            flush();
        } finally {
            try {
                old.close();
            } finally {
                // Open even if flushing or closing failed (those lines are lost either way), so logging goes on.
                channel = open(path);
            }
        }
    }

    @Override
    public void close() throws IOException {
        try {
            flush();
        } finally {
            channel.close();
        }
    }

    @Override
    public String toString() {
        return "file " + path;
    }
}
