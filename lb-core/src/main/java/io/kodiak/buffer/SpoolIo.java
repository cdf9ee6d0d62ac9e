package io.kodiak.buffer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * What spools share: the executor that runs temp-file I/O off the selector threads, the process's
 * temp directory (where a pool without its own {@code temp-dir} spills) and its {@link TempSpace}
 * budget. One per process.
 */
public final class SpoolIo implements AutoCloseable {
    private final ExecutorService executor;
    private final TempSpace space;
    private volatile Path dir;

    public SpoolIo(int threads, Path dir, long maxTotal) {
        AtomicInteger n = new AtomicInteger();
        this.executor = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "kodiak-spool-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.dir = dir;
        this.space = new TempSpace(maxTotal);
    }

    /** A reload: new files go to {@code dir}, and the budget becomes {@code maxTotal}. */
    public void configure(Path dir, long maxTotal) {
        this.dir = dir;
        space.max(maxTotal);
    }

    public TempSpace space() {
        return space;
    }

    /** @param dir the pool's own temp directory, or {@code null} for the process's */
    SpillFile newFile(Path dir, Object lock, Runnable onWritten, Consumer<Throwable> onFailed) throws IOException {
        Path d = dir != null ? dir : this.dir;
        if (dir == null && !Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS)) {
            TempDir.prepare(d); // gone (a tmp cleaner): made again only with every check of the start
        }
        return SpillFile.create(d, executor, space, lock, onWritten, onFailed);
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
