package io.kodiak.buffer;

import org.glassfish.grizzly.Buffer;
import org.glassfish.grizzly.memory.Buffers;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayDeque;

/**
 * A first-in first-out byte queue between a producer that may be faster than its consumer (an
 * upstream sending a response to a slow client). Up to {@code memoryLimit} bytes wait in memory;
 * beyond that, bytes go to a temp file until the consumer catches up, and the producer is asked to
 * pause only when the file holds {@code fileLimit} unread bytes. With {@code fileLimit == 0} the
 * spool is a plain bounded buffer: that is streaming with backpressure.
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

    private static final int READ_CHUNK = 64 * 1024;

    private final Object lock;
    private final long memoryLimit;
    private final long fileLimit;
    private final Path dir;
    private final SpoolIo io;
    private final Listener listener;

    private final ArrayDeque<Buffer> memory = new ArrayDeque<>();
    private long memoryBytes;
    private boolean spilling;
    private SpillFile file;
    private final ArrayDeque<Buffer> toFile = new ArrayDeque<>();
    private long toFileBytes;
    private boolean writing;
    private long fileEnd;      // bytes committed to the file
    private long fileRead;     // next position to read
    private boolean reading;
    private Buffer readAhead;  // bytes read from the file, not yet polled
    private boolean ended;
    private boolean closed;
    private long total;

    public Spool(Object lock, long memoryLimit, long fileLimit, Path dir, SpoolIo io, Listener listener) {
        this.lock = lock;
        this.memoryLimit = memoryLimit;
        this.fileLimit = fileLimit;
        this.dir = dir;
        this.io = io;
        this.listener = listener;
    }

    /** Adds bytes at the tail. The spool keeps {@code b}; the caller must not reuse it. */
    public void add(Buffer b) throws IOException {
        int n = b.remaining();
        if (n == 0) {
            return;
        }
        total += n;
        if (!spilling) {
            memory.add(b);
            memoryBytes += n;
            // ">=" as in full(): at exactly the limit a non-spilling spool would report full and
            // pause the producer, which is streaming, not buffering.
            if (memoryBytes >= memoryLimit && fileLimit > 0) {
                spilling = true; // from now on bytes queue behind the file, keeping their order
                if (file == null) {
                    file = io.newFile(dir);
                }
            }
            return;
        }
        toFile.add(b);
        toFileBytes += n;
        writeNext();
    }

    /** The producer has no more bytes. */
    public void end() {
        ended = true;
    }

    public boolean ended() {
        return ended;
    }

    /** Whether the producer should stop until the consumer catches up. */
    public boolean full() {
        if (!spilling) {
            return memoryBytes >= memoryLimit;
        }
        return toFileBytes >= memoryLimit || (fileEnd - fileRead) + toFileBytes >= fileLimit;
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
        if (readAhead != null) {
            b = readAhead;
            readAhead = null;
            readNext();
            return b;
        }
        readNext();
        return null;
    }

    /** Whether every byte has been added and polled. */
    public boolean drained() {
        return ended && isEmpty();
    }

    public boolean isEmpty() {
        return memoryBytes == 0 && readAhead == null && !spilling;
    }

    /** Bytes added so far. */
    public long total() {
        return total;
    }

    /** Whether bytes have ever gone to a temp file. */
    public boolean spilled() {
        return file != null;
    }

    /** Drops everything and releases the temp file. */
    public void close() {
        closed = true;
        memory.clear();
        toFile.clear();
        memoryBytes = 0;
        toFileBytes = 0;
        readAhead = null;
        if (file != null) {
            file.close();
        }
    }

    private void writeNext() {
        if (writing || closed || toFile.isEmpty()) {
            return;
        }
        Buffer b = toFile.poll();
        int n = b.remaining();
        writing = true;
        file.write(b.toByteBuffer(), fileEnd, error -> {
            synchronized (lock) {
                writing = false;
                if (closed) {
                    return;
                }
                if (error != null) {
                    listener.onSpoolFailed(this, error);
                    return;
                }
                toFileBytes -= n;
                fileEnd += n;
                writeNext();
                listener.onSpoolReady(this);
            }
        });
    }

    private void readNext() {
        if (reading || closed || readAhead != null) {
            return;
        }
        if (fileRead == fileEnd) {
            if (spilling && !writing && toFile.isEmpty()) {
                // The consumer caught up with the file: back to memory, reuse the file from the start.
                spilling = false;
                fileRead = 0;
                fileEnd = 0;
            }
            return;
        }
        int n = (int) Math.min(READ_CHUNK, fileEnd - fileRead);
        long at = fileRead;
        reading = true;
        file.read(at, n, (bytes, error) -> {
            synchronized (lock) {
                reading = false;
                if (closed) {
                    return;
                }
                if (error != null) {
                    listener.onSpoolFailed(this, error);
                    return;
                }
                fileRead += bytes.remaining();
                readAhead = Buffers.wrap(null, bytes);
                listener.onSpoolReady(this);
            }
        });
    }

    @Override
    public String toString() {
        return "Spool[memory=" + memoryBytes + ", file=" + (fileEnd - fileRead) + "+" + toFileBytes
                + (ended ? ", ended" : "") + "]";
    }
}
