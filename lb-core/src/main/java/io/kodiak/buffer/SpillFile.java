package io.kodiak.buffer;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousFileChannel;
import java.nio.channels.CompletionHandler;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.EnumSet;
import java.util.concurrent.ExecutorService;
import java.util.function.BiConsumer;

/**
 * A temp file for body bytes that do not fit in memory. All I/O is asynchronous, on a small
 * executor of its own, so a selector thread never blocks on the disk. The file is unlinked as
 * soon as it is opened: it disappears when closed, or when the process dies.
 *
 * <p>Callers issue at most one write and one read at a time; completions run on the executor.
 */
final class SpillFile implements Closeable {
    private final AsynchronousFileChannel channel;

    private SpillFile(AsynchronousFileChannel channel) {
        this.channel = channel;
    }

    static SpillFile create(Path dir, ExecutorService executor) throws IOException {
        Files.createDirectories(dir);
        Path path = Files.createTempFile(dir, "kodiak-", ".body");
        try {
            AsynchronousFileChannel ch = AsynchronousFileChannel.open(path,
                    EnumSet.of(StandardOpenOption.READ, StandardOpenOption.WRITE), executor);
            return new SpillFile(ch);
        } finally {
            Files.deleteIfExists(path);
        }
    }

    /** Writes all of {@code data} at {@code position}; {@code done} gets the error or null. */
    void write(ByteBuffer data, long position, java.util.function.Consumer<Throwable> done) {
        channel.write(data, position, null, new CompletionHandler<Integer, Void>() {
            long pos = position;

            @Override
            public void completed(Integer n, Void a) {
                pos += n;
                if (data.hasRemaining()) {
                    channel.write(data, pos, null, this);
                } else {
                    done.accept(null);
                }
            }

            @Override
            public void failed(Throwable t, Void a) {
                done.accept(t);
            }
        });
    }

    /** Reads up to {@code max} bytes at {@code position}; {@code done} gets the bytes (flipped) or the error. */
    void read(long position, int max, BiConsumer<ByteBuffer, Throwable> done) {
        ByteBuffer dst = ByteBuffer.allocate(max);
        channel.read(dst, position, null, new CompletionHandler<Integer, Void>() {
            @Override
            public void completed(Integer n, Void a) {
                if (n < 0) {
                    done.accept(null, new IOException("spill file truncated"));
                    return;
                }
                if (dst.hasRemaining() && n > 0) {
                    channel.read(dst, position + dst.position(), null, this);
                    return;
                }
                dst.flip();
                done.accept(dst, null);
            }

            @Override
            public void failed(Throwable t, Void a) {
                done.accept(null, t);
            }
        });
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // The file is already unlinked; closing can only fail if it is already closed.
        }
    }
}
