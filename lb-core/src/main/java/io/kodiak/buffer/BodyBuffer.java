package io.kodiak.buffer;

import org.glassfish.grizzly.Buffer;
import org.glassfish.grizzly.memory.Buffers;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * A whole request body, received before an upstream is picked (HAProxy
 * {@code option http-buffer-request}, nginx {@code proxy_request_buffering on}). The first
 * {@code memoryLimit} bytes stay in memory, the rest go to a temp file. It can be read any number
 * of times, which is what makes retrying a request on another upstream possible.
 *
 * <p>Threading: every method is called with {@code lock} held; temp-file completions take it.
 */
public final class BodyBuffer {
    private static final int READ_CHUNK = 64 * 1024;

    private final Object lock;
    private final long memoryLimit;
    private final Path dir;
    private final SpoolIo io;
    private final List<Buffer> memory = new ArrayList<>();
    private long memoryBytes;
    private SpillFile file;
    private final ArrayDeque<Buffer> toFile = new ArrayDeque<>();
    private long toFileBytes;
    private boolean writing;
    private long fileEnd;
    private long total;
    private Throwable failure;
    private Runnable whenWritten;
    private boolean closed;

    private final Runnable onWritable;

    /** @param onWritable run (with the lock held) when a temp-file write completes and {@link #full()} is false */
    public BodyBuffer(Object lock, long memoryLimit, Path dir, SpoolIo io, Runnable onWritable) {
        this.lock = lock;
        this.onWritable = onWritable;
        this.memoryLimit = memoryLimit;
        this.dir = dir;
        this.io = io;
    }

    public void add(Buffer b) throws IOException {
        int n = b.remaining();
        if (n == 0) {
            return;
        }
        total += n;
        if (file == null && memoryBytes + n <= memoryLimit) {
            memory.add(b);
            memoryBytes += n;
            return;
        }
        if (file == null) {
            file = io.newFile(dir);
        }
        toFile.add(b);
        toFileBytes += n;
        writeNext();
    }

    /** Whether the producer should pause until temp-file writes catch up. */
    public boolean full() {
        return toFileBytes >= Math.max(memoryLimit, READ_CHUNK);
    }

    /** Runs {@code r} (with the lock held) once every byte is in memory or on disk. */
    public void whenWritten(Runnable r) {
        if (!writing && toFile.isEmpty()) {
            r.run();
        } else {
            whenWritten = r;
        }
    }

    /** Bytes held. */
    public long length() {
        return total;
    }

    public boolean spilled() {
        return file != null;
    }

    /** A failure of the temp file, or {@code null}. */
    public Throwable failure() {
        return failure;
    }

    /** A new reader from the first byte. Memory bytes are shared, never copied. */
    public Reader reader(Spool.Listener listener) {
        return new Reader(listener);
    }

    public void close() {
        closed = true;
        memory.clear();
        toFile.clear();
        if (file != null) {
            file.close();
        }
    }

    private void writeNext() {
        if (writing || closed) {
            return;
        }
        if (toFile.isEmpty()) {
            Runnable r = whenWritten;
            whenWritten = null;
            if (r != null) {
                r.run();
            }
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
                    failure = error;
                }
                toFileBytes -= n;
                fileEnd += n;
                writeNext();
                if (!full()) {
                    onWritable.run();
                }
            }
        });
    }

    /** Reads the body from the start; same poll protocol as {@link Spool#poll()}. */
    public final class Reader {
        private final Spool.Listener listener;
        private int index;
        private long fileRead;
        private boolean reading;
        private Buffer readAhead;
        private long remaining = total;

        Reader(Spool.Listener listener) {
            this.listener = listener;
        }

        /** @return the next bytes, or {@code null} if none are ready (the listener is told) or none are left */
        public Buffer poll() {
            if (index < memory.size()) {
                Buffer b = memory.get(index++).duplicate();
                remaining -= b.remaining();
                return b;
            }
            if (readAhead != null) {
                Buffer b = readAhead;
                readAhead = null;
                remaining -= b.remaining();
                return b;
            }
            if (!reading && fileRead < fileEnd && !closed) {
                reading = true;
                int n = (int) Math.min(READ_CHUNK, fileEnd - fileRead);
                file.read(fileRead, n, (bytes, error) -> {
                    synchronized (lock) {
                        reading = false;
                        if (closed) {
                            return;
                        }
                        if (error != null) {
                            listener.onSpoolFailed(null, error);
                            return;
                        }
                        fileRead += bytes.remaining();
                        readAhead = Buffers.wrap(null, bytes);
                        listener.onSpoolReady(null);
                    }
                });
            }
            return null;
        }

        /** Whether every byte has been polled. */
        public boolean done() {
            return remaining == 0;
        }
    }

    @Override
    public String toString() {
        return "BodyBuffer[" + total + " bytes, " + (file == null ? "memory" : "spilled") + "]";
    }
}
