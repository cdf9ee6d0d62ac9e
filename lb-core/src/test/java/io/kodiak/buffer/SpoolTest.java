package io.kodiak.buffer;

import org.glassfish.grizzly.Buffer;
import org.glassfish.grizzly.memory.Buffers;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SpoolTest {
    @TempDir
    Path dir;
    private final SpoolIo io = new SpoolIo(1);
    private final Object lock = new Object();

    @AfterEach
    void close() {
        io.close();
    }

    private static byte[] bytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** Drains a spool, waiting for temp-file reads through the listener, and returns the bytes. */
    private static byte[] drain(Object lock, java.util.function.Supplier<Buffer> poll,
                                java.util.function.BooleanSupplier done, Signal signal) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        while (true) {
            synchronized (lock) {
                Buffer b;
                while ((b = poll.get()) != null) {
                    byte[] chunk = new byte[b.remaining()];
                    b.get(chunk);
                    out.write(chunk);
                }
                if (done.getAsBoolean()) {
                    return out.toByteArray();
                }
                signal.arm();
            }
            assertTrue(signal.await(), "spool never became ready");
        }
    }

    private static final class Signal implements Spool.Listener {
        private volatile CountDownLatch latch = new CountDownLatch(1);
        final AtomicReference<Throwable> failure = new AtomicReference<>();

        void arm() {
            latch = new CountDownLatch(1);
        }

        boolean await() throws InterruptedException {
            return latch.await(10, TimeUnit.SECONDS);
        }

        @Override
        public void onSpoolReady(Spool spool) {
            latch.countDown();
        }

        @Override
        public void onSpoolFailed(Spool spool, Throwable error) {
            failure.set(error);
            latch.countDown();
        }
    }

    @Test
    void smallDataStaysInMemoryInOrder() throws Exception {
        Signal signal = new Signal();
        Spool s = new Spool(lock, 1024, 1 << 20, dir, io, signal);
        synchronized (lock) {
            s.add(Buffers.wrap(null, "hello ".getBytes()));
            s.add(Buffers.wrap(null, "world".getBytes()));
            s.end();
            assertFalse(s.spilled());
        }
        assertEquals("hello world", new String(drain(lock, s::poll, s::drained, signal)));
    }

    @Test
    void overflowSpillsToAnUnlinkedFileAndComesBackInOrder() throws Exception {
        Signal signal = new Signal();
        Spool s = new Spool(lock, 4096, 1 << 20, dir, io, signal);
        byte[] data = bytes(300_000, 7);
        synchronized (lock) {
            for (int off = 0; off < data.length; off += 1000) {
                s.add(Buffers.wrap(null, data, off, Math.min(1000, data.length - off)));
            }
            s.end();
            assertTrue(s.spilled());
        }
        try (var files = Files.list(dir)) {
            assertEquals(0, files.count(), "the temp file must be unlinked while in use");
        }
        assertArrayEquals(data, drain(lock, s::poll, s::drained, signal));
        assertNull(signal.failure.get());
    }

    @Test
    void withoutAFileTheSpoolIsBoundedAndAsksTheProducerToPause() throws Exception {
        Spool s = new Spool(lock, 4096, 0, dir, io, new Signal());
        synchronized (lock) {
            s.add(Buffers.wrap(null, new byte[4000]));
            assertFalse(s.full());
            s.add(Buffers.wrap(null, new byte[200]));
            assertTrue(s.full());
            assertFalse(s.spilled());
            s.poll();
            assertFalse(s.full());
        }
    }

    @Test
    void bodyBufferReplaysFromTheStartAnyNumberOfTimes() throws Exception {
        byte[] data = bytes(200_000, 3);
        BodyBuffer body = new BodyBuffer(lock, 16 * 1024, dir, io, () -> { });
        CountDownLatch written = new CountDownLatch(1);
        synchronized (lock) {
            for (int off = 0; off < data.length; off += 4096) {
                body.add(Buffers.wrap(null, data, off, Math.min(4096, data.length - off)));
            }
            body.whenWritten(written::countDown);
        }
        assertTrue(written.await(10, TimeUnit.SECONDS));
        for (int pass = 0; pass < 2; pass++) {
            Signal signal = new Signal();
            BodyBuffer.Reader r;
            synchronized (lock) {
                r = body.reader(signal);
            }
            assertArrayEquals(data, drain(lock, r::poll, r::done, signal), "pass " + pass);
        }
        synchronized (lock) {
            assertEquals(data.length, body.length());
            assertTrue(body.spilled());
            body.close();
        }
    }
}
