package io.kodiak.buffer;

import org.glassfish.grizzly.Buffer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayDeque;

/**
 * A first-in first-out byte queue between a producer that may be faster than its consumer (an
 * upstream sending a response to a slow client). Up to {@code memoryLimit} bytes wait in memory;
 * beyond that, bytes go to a temp file until the consumer catches up, and the producer is asked to
 * pause when the file has grown to {@code fileLimit} bytes (read or not: the file only starts over
 * once the consumer has read all of it, so counting unread bytes alone would let a slow reader's
 * file grow without bound), or when the responses' half of the process's {@link TempSpace} is spent. With
 * {@code fileLimit == 0} the spool is a plain bounded buffer: that is streaming with backpressure.
 *
 * <p>Threading: every method is called with {@code lock} held. Temp-file I/O completes on the
 * {@link SpoolIo} executor, takes {@code lock}, and tells the {@link Listener}.
 */
public final class Spool {
    /** Told when data the consumer waited for (a temp-file read or write) has completed. */
    public interface Listener {
        void onSpoolReady(Spool spool);

        void onSpoolFailed(Spool spool, Throwable error);
    }

    private final Object lock;
    private final long memoryLimit;
    private final long fileLimit;
    private final Path dir;
    private final SpoolIo io;
    private final Listener listener;

    /** Most bodies fit in one or two buffers: start small (the default array takes 17 slots), grow as it needs. */
    private final ArrayDeque<Buffer> memory = new ArrayDeque<>(2);
    private long memoryBytes;
    /** Bytes queue behind the file until the consumer has read all of it. */
    private boolean spilling;
    private SpillFile file;
    private final FileCursor cursor;
    private boolean ended;
    private boolean closed;

    public Spool(Object lock, long memoryLimit, long fileLimit, Path dir, SpoolIo io, Listener listener) {
        this.lock = lock;
        this.memoryLimit = memoryLimit;
        this.fileLimit = fileLimit;
        this.dir = dir;
        this.io = io;
        this.listener = listener;
        this.cursor = new FileCursor(lock, () -> listener.onSpoolReady(this), e -> listener.onSpoolFailed(this, e));
    }

    /** Adds bytes at the tail. The spool keeps {@code b}; the caller must not reuse it. */
    public void add(Buffer b) throws IOException {
        int n = b.remaining();
        if (n == 0 || closed) {
            return;
        }
        if (spilling) {
            file.append(b);
            return;
        }
        memory.add(b);
        memoryBytes += n;
        // ">=" as in full(): at exactly the limit a non-spilling spool would report full and pause
        // the producer, which is streaming, not buffering.
        if (memoryBytes >= memoryLimit && fileLimit > 0 && !io.space().fullForResponses()) {
            spilling = true; // from now on bytes queue behind the file, keeping their order
            if (file == null) {
                file = io.newFile(dir, lock, () -> listener.onSpoolReady(this), e -> listener.onSpoolFailed(this, e));
            }
        }
    }

    /** The producer has no more bytes. */
    public void end() {
        ended = true;
    }

    /** Whether the producer should stop until the consumer catches up. */
    public boolean full() {
        if (!spilling) {
            return memoryBytes >= memoryLimit;
        }
        return file.queued() >= memoryLimit || file.size() >= fileLimit || io.space().fullForResponses();
    }

    /**
     * @return the next bytes in order, or {@code null} if none are ready now; the listener is told
     *         when bytes waiting on the temp file become ready
     */
    public Buffer poll() {
        Buffer b = memory.poll();
        if (b != null) {
            memoryBytes -= b.remaining();
            return b;
        }
        if (!spilling) {
            return null;
        }
        b = cursor.poll(file);
        if (b == null && file.idle() && cursor.caughtUp(file)) {
            // The consumer caught up with the file: back to memory, reuse the file from the start.
            spilling = false;
            file.rewind();
            cursor.reset();
        }
        return b;
    }

    /** Whether every byte has been added and polled. */
    public boolean drained() {
        return ended && isEmpty();
    }

    public boolean isEmpty() {
        return memoryBytes == 0 && !spilling;
    }

    /** Whether bytes have ever gone to a temp file. */
    public boolean spilled() {
        return file != null;
    }

    /** Drops everything and releases the temp file. */
    public void close() {
        closed = true;
        memory.clear();
        memoryBytes = 0;
        cursor.close();
        if (file != null) {
            file.close();
        }
    }

    @Override
    public String toString() {
        return "Spool[memory=" + memoryBytes + (file == null ? "" : ", " + file + ", " + cursor)
                + (ended ? ", ended" : "") + "]";
    }
}
