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
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SpoolTest {
    @TempDir
    Path dir;
    private final SpoolIo io = new SpoolIo(1, null, Long.MAX_VALUE);
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
        BodyBuffer body = new BodyBuffer(lock, 16 * 1024, dir, io, () -> { }, e -> { });
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

    @Test
    void theFileStopsAtItsCapEvenWhileTheReaderKeepsUp() throws Exception {
        // The file starts over only once the reader has read all of it, so a cap on unread bytes
        // alone let a reader that stays just behind grow the file without end.
        Signal signal = new Signal();
        Spool s = new Spool(lock, 4096, 100_000, dir, io, signal);
        int added = 0;
        // Add until the file is at its cap. The spool also reports full while 4 KiB wait for the
        // file's writer, so a fast producer waits for those writes and goes on: stopping there
        // would test a queue, not the cap.
        while (true) {
            synchronized (lock) {
                while (!s.full()) {
                    s.add(Buffers.wrap(null, new byte[1000]));
                    added += 1000;
                }
                if (added >= 100_000 + 4096) {
                    break; // 4096 in memory, the rest in the file: the file is at its cap
                }
                signal.arm(); // under the lock: the writes cannot complete before this
            }
            assertTrue(signal.await(), "the spill file's writes never completed");
        }
        assertTrue(added <= 100_000 + 4096 + 1000, "added " + added);
        // Read half of it: an unread-bytes cap would let the producer go on now.
        int read = 0;
        while (read < added / 2) {
            synchronized (lock) {
                Buffer b;
                while (read < added / 2 && (b = s.poll()) != null) {
                    read += b.remaining();
                }
                if (read >= added / 2) {
                    break;
                }
                signal.arm();
            }
            assertTrue(signal.await(), "spool never became ready");
        }
        synchronized (lock) {
            assertTrue(s.full(), "the file is at its cap until the reader has caught up with all of it");
            s.end();
        }
        drain(lock, s::poll, s::drained, signal);
        synchronized (lock) {
            assertFalse(s.full(), "caught up: the file starts over");
            assertEquals(0, io.space().used(), "a file that started over holds no budget");
        }
    }

    @Test
    void whenTheProcessBudgetIsSpentASpoolHoldsTheProducerBackInsteadOfSpilling() throws Exception {
        SpoolIo small = new SpoolIo(1, null, 100_000); // responses get half: 50,000
        try {
            Spool a = new Spool(lock, 4096, 1 << 20, dir, small, new Signal());
            Spool b = new Spool(lock, 4096, 1 << 20, dir, small, new Signal());
            synchronized (lock) {
                while (small.space().used() < 50_000) {
                    a.add(Buffers.wrap(null, new byte[1000]));
                }
                assertTrue(a.full(), "the responses' half of the budget is spent");
                assertFalse(small.space().exhausted(), "the other half stays for request bodies");
                b.add(Buffers.wrap(null, new byte[5000]));
                assertFalse(b.spilled(), "no temp file while the budget is spent");
                assertTrue(b.full(), "the producer waits for the consumer instead");
                a.close();
                assertEquals(0, small.space().used(), "a closed file gives its bytes back");
                b.poll();
                b.add(Buffers.wrap(null, new byte[5000]));
                assertTrue(b.spilled(), "with budget back, the spool spills again");
                b.close();
                assertEquals(0, small.space().used());
            }
        } finally {
            small.close();
        }
    }

    @Test
    void aRequestBodyThatNeedsSpentBudgetIsRefused() throws Exception {
        SpoolIo small = new SpoolIo(1, null, 10_000);
        try {
            BodyBuffer first = new BodyBuffer(lock, 1000, dir, small, () -> { }, e -> { });
            BodyBuffer second = new BodyBuffer(lock, 1000, dir, small, () -> { }, e -> { });
            synchronized (lock) {
                for (int i = 0; i < 11; i++) {
                    first.add(Buffers.wrap(null, new byte[1000]));
                }
                second.add(Buffers.wrap(null, new byte[1000])); // memory: no budget needed
                assertThrows(TempSpaceExhausted.class, () -> second.add(Buffers.wrap(null, new byte[1000])));
                first.close();
                second.close();
                assertEquals(0, small.space().used());
            }
        } finally {
            small.close();
        }
    }
}
