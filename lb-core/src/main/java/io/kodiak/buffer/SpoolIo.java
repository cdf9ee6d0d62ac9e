package io.kodiak.buffer;

import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What spools share: the executor that runs temp-file I/O off the selector threads, and the
 * directory for temp files. One per process.
 */
public final class SpoolIo implements AutoCloseable {
    private final ExecutorService executor;

    public SpoolIo(int threads) {
        AtomicInteger n = new AtomicInteger();
        this.executor = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "kodiak-spool-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    SpillFile newFile(Path dir, Object lock, Runnable onWritten, java.util.function.Consumer<Throwable> onFailed)
            throws java.io.IOException {
        return SpillFile.create(dir, executor, lock, onWritten, onFailed);
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
