package io.kodiak.io;

import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads a file that the configuration names (an address list, an htpasswd file, a page) with a
 * bound that holds whatever the path turns out to be. {@link Files#size} is no bound: a FIFO
 * blocks the reader forever, {@code /dev/zero} and {@code /proc} files say 0 and never end (or
 * end far later), and a regular file may grow after its size was read. So only a regular file is
 * opened, and the read itself stops one byte past the bound (and a line one character past its
 * bound), failing instead of filling the heap.
 *
 * <p>Stateless; any thread that may block on the disk (never a selector thread).
 */
public final class BoundedFile {
    private BoundedFile() {
    }

    /** The file holds more than the bound allows; its message says how many bytes that is. */
    public static final class TooLarge extends IOException {
        TooLarge(long max) {
            super("is larger than " + max + " bytes");
        }
    }

    /**
     * Opens {@code file} for reading, refusing anything but a regular file (a directory, a FIFO,
     * a device): only a regular file is sure to end without a writer's help.
     */
    private static InputStream open(Path file) throws IOException {
        if (Files.isDirectory(file)) {
            throw new IOException("is a directory");
        }
        if (Files.exists(file) && !Files.isRegularFile(file)) { // a missing file: the open says so, as before
            throw new IOException("is not a regular file (a FIFO, a device or a socket may never end)");
        }
        return Files.newInputStream(file);
    }

    /**
     * The whole of {@code file}.
     *
     * @throws TooLarge    if it holds more than {@code maxBytes}
     * @throws IOException if it is not a regular file or cannot be read
     */
    public static byte[] readAll(Path file, long maxBytes) throws IOException {
        try (InputStream in = open(file)) {
            byte[] b = in.readNBytes((int) Math.min(maxBytes + 1, Integer.MAX_VALUE - 8));
            if (b.length > maxBytes) {
                throw new TooLarge(maxBytes);
            }
            return b;
        }
    }

    /**
     * {@code file}'s lines, as ISO-8859-1 text ({@code \n} or {@code \r\n} ends one), read as
     * they are asked for: never more than {@code maxBytes} in all, never more than
     * {@code maxLine + 1} characters of one line held (the caller refuses such a line).
     */
    public static Lines lines(Path file, long maxBytes, int maxLine) throws IOException {
        return new Lines(open(file), maxBytes, maxLine);
    }

    /** A bounded line reader; see {@link #lines}. Not thread-safe. */
    public static final class Lines implements Closeable {
        private final InputStream in;
        private final long maxBytes;
        private final int maxLine;
        private final StringBuilder line = new StringBuilder();
        private long read;

        private Lines(InputStream in, long maxBytes, int maxLine) {
            this.in = new BufferedInputStream(in, 64 * 1024);
            this.maxBytes = maxBytes;
            this.maxLine = maxLine;
        }

        /**
         * The next line without its end, or null at the end of the file. A line longer than
         * {@code maxLine} comes back as its first {@code maxLine + 1} characters, the rest unread.
         *
         * @throws TooLarge if the file holds more than {@code maxBytes}
         */
        public String next() throws IOException {
            line.setLength(0);
            boolean any = false; // a last line without a newline is a line; nothing after a newline is none
            for (; ; ) {
                int c = in.read();
                if (c < 0) {
                    return any ? finish() : null;
                }
                any = true;
                if (++read > maxBytes) {
                    throw new TooLarge(maxBytes);
                }
                if (c == '\n') {
                    return finish();
                }
                line.append((char) c);
                if (line.length() > maxLine) {
                    return line.toString();
                }
            }
        }

        private String finish() {
            int n = line.length();
            if (n > 0 && line.charAt(n - 1) == '\r') {
                line.setLength(n - 1);
            }
            return line.toString();
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}
