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

    ExecutorService executor() {
        return executor;
    }

    SpillFile newFile(Path dir) throws java.io.IOException {
        return SpillFile.create(dir, executor);
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
