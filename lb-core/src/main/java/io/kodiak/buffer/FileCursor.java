package io.kodiak.buffer;

import org.glassfish.grizzly.Buffer;
import org.glassfish.grizzly.memory.Buffers;

import java.util.function.Consumer;

/**
 * Reads a {@link SpillFile} front to back, one chunk ahead: {@link #poll} hands out the chunk
 * read last time and starts reading the next. Threading as for {@link SpillFile}.
 */
final class FileCursor {
    private static final int CHUNK = 64 * 1024;

    private final Object lock;
    private final Runnable onReady;
    private final Consumer<Throwable> onFailed;
    private long position;
    private boolean reading;
    private Buffer ahead;
    private boolean closed;

    /**
     * @param onReady  run with the lock held when a chunk has been read
     * @param onFailed run with the lock held if a read fails
     */
    FileCursor(Object lock, Runnable onReady, Consumer<Throwable> onFailed) {
        this.lock = lock;
        this.onReady = onReady;
        this.onFailed = onFailed;
    }

    /** @return the next chunk of {@code file}, or {@code null} if none is ready yet (or none is left) */
    Buffer poll(SpillFile file) {
        Buffer b = ahead;
        ahead = null;
        fetch(file);
        return b;
    }

    /** Whether every byte on disk has been handed out. */
    boolean caughtUp(SpillFile file) {
        return !reading && ahead == null && position >= file.end();
    }

    void reset() {
        position = 0;
    }

    void close() {
        closed = true;
        ahead = null;
    }

    private void fetch(SpillFile file) {
        if (reading || closed || ahead != null || file == null || position >= file.end()) {
            return;
        }
        reading = true;
        file.read(position, (int) Math.min(CHUNK, file.end() - position), (bytes, error) -> {
            synchronized (lock) {
                reading = false;
                if (closed) {
                    return;
                }
                if (error != null) {
                    onFailed.accept(error);
                    return;
                }
                position += bytes.remaining();
                ahead = Buffers.wrap(null, bytes);
                onReady.run();
            }
        });
    }

    @Override
    public String toString() {
        return "FileCursor[at " + position + (reading ? ", reading" : "") + "]";
    }
}
