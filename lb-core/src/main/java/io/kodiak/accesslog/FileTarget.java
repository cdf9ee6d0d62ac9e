package io.kodiak.accesslog;

import java.io.IOException;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Appends lines to a file, as a {@link StreamTarget} over it, so reopenable. A new file
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

    private final Path path;
    private StreamTarget out;

    FileTarget(Path path) throws IOException {
        this.path = path;
        this.out = open(path);
    }

    private static StreamTarget open(Path path) throws IOException {
        SeekableByteChannel channel;
        try {
            channel = Files.newByteChannel(path, APPEND, MODE_0640);
        } catch (UnsupportedOperationException notPosix) {
            // A file system without POSIX modes (not one Kodiak runs on, but tests may): its defaults.
            channel = Files.newByteChannel(path, APPEND);
        }
        return new StreamTarget(Channels.newOutputStream(channel), "file " + path, true);
    }

    @Override
    public void write(CharSequence line) throws IOException {
        out.write(line);
    }

    @Override
    public void flush() throws IOException {
        out.flush();
    }

    @Override
    public void reopen() throws IOException {
        StreamTarget old = out;
        try {
            old.close();
        } finally {
            // Open even if closing failed (its last lines are lost either way), so logging goes on.
            out = open(path);
        }
    }

    @Override
    public void close() throws IOException {
        out.close();
    }

    @Override
    public String toString() {
        return "file " + path;
    }
}
