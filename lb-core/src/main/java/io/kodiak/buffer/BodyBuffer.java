package io.kodiak.buffer;

import org.glassfish.grizzly.Buffer;

import java.io.IOException;
import java.nio.file.Path;
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
    private final Object lock;
    private final long memoryLimit;
    private final Path dir;
    private final SpoolIo io;
    private final Runnable onWritable;
    private final java.util.function.Consumer<Throwable> onFailed;
    private final List<Buffer> memory = new ArrayList<>();
    private long memoryBytes;
    private SpillFile file;
    private long total;
    private Throwable failure;
    private Runnable whenWritten;
    private boolean closed;

    /**
     * @param onWritable run (with the lock held) when a temp-file write completes and {@link #full()} is false
     * @param onFailed   run (with the lock held) when a temp-file write fails before {@link #whenWritten}
     *                   was asked for: the producer may be paused waiting for a write that never completes
     */
    public BodyBuffer(Object lock, long memoryLimit, Path dir, SpoolIo io, Runnable onWritable,
                      java.util.function.Consumer<Throwable> onFailed) {
        this.lock = lock;
        this.memoryLimit = memoryLimit;
        this.dir = dir;
        this.io = io;
        this.onWritable = onWritable;
        this.onFailed = onFailed;
    }

    /** @throws TempSpaceExhausted if the bytes would go to a temp file and the process's budget is spent */
    public void add(Buffer b) throws IOException {
        int n = b.remaining();
        if (n == 0 || closed) {
            return;
        }
        if (failure != null) {
            throw new IOException("temp file failed", failure);
        }
        total += n;
        if (file == null && memoryBytes + n <= memoryLimit) {
            memory.add(b);
            memoryBytes += n;
            return;
        }
        if (io.space().exhausted()) {
            // Pausing the client until another exchange frees space could wait for ever: refuse now.
            throw new TempSpaceExhausted(io.space());
        }
        if (file == null) {
            file = io.newFile(dir, lock, this::written, this::failed);
        }
        file.append(b);
    }

    /** Whether the producer should pause until temp-file writes catch up. */
    public boolean full() {
        return file != null && file.queued() >= Math.max(memoryLimit, 64 * 1024);
    }

    /** Runs {@code r} (with the lock held) once every byte is in memory or on disk, or writing failed. */
    public void whenWritten(Runnable r) {
        if (file == null || file.idle() || failure != null) {
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
        if (file != null) {
            file.close();
        }
    }

    private void written() {
        if (file.idle()) {
            runWhenWritten();
        }
        if (!full()) {
            onWritable.run();
        }
    }

    private void failed(Throwable error) {
        failure = error;
        if (whenWritten != null) {
            runWhenWritten();
        } else if (!closed) {
            onFailed.accept(error);
        }
    }

    private void runWhenWritten() {
        Runnable r = whenWritten;
        whenWritten = null;
        if (r != null) {
            r.run();
        }
    }

    /** Reads the body from the start; same poll protocol as {@link Spool#poll()}. */
    public final class Reader {
        private final FileCursor cursor;
        private int index;
        private long remaining = total;

        Reader(Spool.Listener listener) {
            this.cursor = new FileCursor(lock, () -> listener.onSpoolReady(null), e -> listener.onSpoolFailed(null, e));
        }

        /** @return the next bytes, or {@code null} if none are ready (the listener is told) or none are left */
        public Buffer poll() {
            Buffer b;
            if (index < memory.size()) {
                b = memory.get(index++).duplicate();
            } else if (closed || file == null) {
                return null;
            } else {
                b = cursor.poll(file);
                if (b == null) {
                    return null;
                }
            }
            remaining -= b.remaining();
            return b;
        }

        /** Whether every byte has been polled. */
        public boolean done() {
            return remaining == 0;
        }
    }

    @Override
    public String toString() {
        return "BodyBuffer[" + total + " bytes, " + (file == null ? "memory" : file) + "]";
    }
}
