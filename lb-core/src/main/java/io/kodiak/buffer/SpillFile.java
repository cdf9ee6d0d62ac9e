package io.kodiak.buffer;

import org.glassfish.grizzly.Buffer;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousFileChannel;
import java.nio.channels.CompletionHandler;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * A temp file that body bytes are appended to, in order, when they do not fit in memory. All I/O
 * is asynchronous, on the {@link SpoolIo} executor, so a selector thread never blocks on the disk.
 * The file is unlinked as soon as it is opened: it disappears when closed, or when the process dies.
 *
 * <p>Threading: {@link #append}, {@link #end}, {@link #queued} and friends are called with
 * {@code lock} held; write completions take it and then tell the owner. One write is in flight at
 * a time, which keeps the bytes in order.
 */
final class SpillFile implements Closeable {
    private static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();
    private static final java.nio.file.attribute.FileAttribute<Set<java.nio.file.attribute.PosixFilePermission>>
            OWNER_READ_WRITE = java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                    java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));

    private final Object lock;
    private final AsynchronousFileChannel channel;
    private final TempSpace space;
    private final Runnable onWritten;
    private final Consumer<Throwable> onFailed;
    private final ArrayDeque<Buffer> queue = new ArrayDeque<>();
    private long queued;
    private boolean writing;
    private long end;
    private boolean closed;

    private SpillFile(Object lock, AsynchronousFileChannel channel, TempSpace space, Runnable onWritten,
                      Consumer<Throwable> onFailed) {
        this.lock = lock;
        this.channel = channel;
        this.space = space;
        this.onWritten = onWritten;
        this.onFailed = onFailed;
    }

    /**
     * @param onWritten run with {@code lock} held after each completed write
     * @param onFailed  run with {@code lock} held if a write fails; no write follows
     */
    static SpillFile create(Path dir, ExecutorService executor, TempSpace space, Object lock, Runnable onWritten,
                            Consumer<Throwable> onFailed) throws IOException {
        // One open, of a new name, never through a link, owner-only: between creating a file and
        // opening it again by name, whoever can write the directory could swap it.
        Path path = dir.resolve("kodiak-" + Long.toUnsignedString(RANDOM.nextLong(), 36) + ".body");
        Set<StandardOpenOption> options = EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        AsynchronousFileChannel ch = path.getFileSystem().supportedFileAttributeViews().contains("posix")
                ? AsynchronousFileChannel.open(path, options, executor, OWNER_READ_WRITE)
                : AsynchronousFileChannel.open(path, options, executor);
        try {
            return new SpillFile(lock, ch, space, onWritten, onFailed);
        } finally {
            Files.deleteIfExists(path);
        }
    }

    /** Queues {@code b} to be written after everything appended before it; it counts against the budget from now. */
    void append(Buffer b) {
        queue.add(b);
        queued += b.remaining();
        space.add(b.remaining());
        writeNext();
    }

    /** The file's size once everything appended is written: what it holds of the budget. */
    long size() {
        return end + queued;
    }

    /** Bytes appended but not yet on disk. */
    long queued() {
        return queued;
    }

    /** Bytes on disk, readable with {@link #read}. */
    long end() {
        return end;
    }

    /** Whether every appended byte is on disk. */
    boolean idle() {
        return !writing && queue.isEmpty();
    }

    /** Starts over at position 0, reusing the file; only when {@link #idle()} and fully read. */
    void rewind() {
        space.release(end);
        end = 0;
    }

    /** Reads up to {@code max} bytes at {@code position}; {@code done} gets them (flipped) or the error, without the lock. */
    void read(long position, int max, BiConsumer<ByteBuffer, Throwable> done) {
        ByteBuffer dst = ByteBuffer.allocate(max);
        channel.read(dst, position, null, new CompletionHandler<Integer, Void>() {
            @Override
            public void completed(Integer n, Void a) {
                if (n < 0) {
                    done.accept(null, new IOException("spill file truncated"));
                } else if (dst.hasRemaining() && n > 0) {
                    channel.read(dst, position + dst.position(), null, this);
                } else {
                    dst.flip();
                    done.accept(dst, null);
                }
            }

            @Override
            public void failed(Throwable t, Void a) {
                done.accept(null, t);
            }
        });
    }

    private void writeNext() {
        if (writing || closed || queue.isEmpty()) {
            return;
        }
        Buffer b = queue.poll();
        ByteBuffer data = b.toByteBuffer();
        int n = data.remaining();
        writing = true;
        channel.write(data, end, null, new CompletionHandler<Integer, Void>() {
            long at = end;

            @Override
            public void completed(Integer written, Void a) {
                at += written;
                if (data.hasRemaining()) {
                    channel.write(data, at, null, this);
                    return;
                }
                synchronized (lock) {
                    writing = false;
                    if (closed) {
                        return;
                    }
                    queued -= n;
                    end += n;
                    writeNext();
                    onWritten.run();
                }
            }

            @Override
            public void failed(Throwable t, Void a) {
                synchronized (lock) {
                    writing = false;
                    if (!closed) {
                        onFailed.accept(t);
                    }
                }
            }
        });
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        space.release(end + queued); // a write in flight is still in queued: its completion sees closed
        queue.clear();
        queued = 0;
        try {
            channel.close();
        } catch (IOException ignored) {
            // The file is already unlinked; closing can only fail if it is already closed.
        }
    }

    @Override
    public String toString() {
        return "SpillFile[" + end + " on disk, " + queued + " queued]";
    }
}
