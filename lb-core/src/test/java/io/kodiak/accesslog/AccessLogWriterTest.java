package io.kodiak.accesslog;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The timeouts only turn a hang (an offer that blocks, a writer that never drains) into a failure. */
@Timeout(30)
class AccessLogWriterTest {
    private static final AccessLogFormat URI_ONLY = TemplateFormat.parse("$request_uri", ZoneOffset.UTC);

    /** Records what the writer did to it, and on which thread; its first write may wait on a latch. */
    static final class RecordingTarget implements AccessLogTarget {
        final List<String> events = Collections.synchronizedList(new ArrayList<>());
        final CountDownLatch firstWriteEntered = new CountDownLatch(1);
        final CountDownLatch release;
        final String failOn;

        RecordingTarget(CountDownLatch release, String failOn) {
            this.release = release;
            this.failOn = failOn;
        }

        @Override
        public void write(byte[] bytes, int off, int len) throws IOException {
            String line = new String(bytes, off, len, java.nio.charset.StandardCharsets.UTF_8);
            if (firstWriteEntered.getCount() > 0) {
                firstWriteEntered.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException(e);
                }
            }
            if (line.equals(failOn)) {
                throw new IOException("disk full (test)");
            }
            events.add(line);
        }

        @Override
        public void flush() {
        }

        @Override
        public void reopen() {
            events.add("reopen on " + Thread.currentThread().getName());
        }

        @Override
        public void close() {
            events.add("close");
        }
    }

    @Test
    void aFullQueueDropsAndCountsWithoutWaitingAndTheAcceptedAreWrittenInOrder() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        RecordingTarget target = new RecordingTarget(release, null);
        int capacity = 8;
        AccessLogWriter writer = new AccessLogWriter(URI_ONLY, target, capacity);
        assertTrue(writer.offer(Entries.numbered(0)));
        target.firstWriteEntered.await(); // the writer holds entry 0 and is stuck in the target

        int offered = 1000;
        List<Integer> accepted = new ArrayList<>();
        for (int i = 1; i <= offered; i++) {
            if (writer.offer(Entries.numbered(i))) {
                accepted.add(i);
            }
        }
        // Every offer returned although the writer cannot move: the queue took exactly its capacity.
        assertEquals(IntStream.rangeClosed(1, capacity).boxed().toList(), accepted);
        assertEquals(offered - capacity, writer.dropped());

        release.countDown();
        writer.close();
        List<String> expected = IntStream.rangeClosed(0, capacity).mapToObj(i -> "/" + i).collect(Collectors.toList());
        expected.add("close");
        assertEquals(expected, target.events);
        assertEquals(capacity + 1, writer.written());
    }

    @Test
    void hugeLinesAreBoundedByBytesNotOnlyByCount() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        RecordingTarget target = new RecordingTarget(release, null);
        AccessLogWriter writer = new AccessLogWriter(URI_ONLY, target, 1000);
        String huge = "/" + "x".repeat(1 << 20); // a target at a (generous) head limit
        AccessLogEntry e = new AccessLogEntry("127.0.0.1", 1, Entries.START, "GET", huge, "HTTP/1.1", 200, 0, 0, 0, 0,
                "l", null, null, null, -1, -1, -1, 0, 0, "id", null, null, Termination.NORMAL);
        int accepted = 0;
        for (int i = 0; i < 100; i++) { // 100 MiB offered while the writer is stuck on the first
            if (writer.offer(e)) {
                accepted++;
            }
            if (i == 0) {
                target.firstWriteEntered.await();
            }
        }
        long line = huge.length();
        assertTrue(accepted * line <= AccessLogWriter.MAX_QUEUED_BYTES, accepted + " lines held");
        assertTrue((accepted + 1) * line > AccessLogWriter.MAX_QUEUED_BYTES, "the queue took what fits: " + accepted);
        assertEquals(100 - accepted, writer.dropped());
        release.countDown();
        writer.close();
        assertEquals(accepted, writer.written());
    }

    @Test
    void concurrentOffersAreEachWrittenOnceOrCountedAsDropped() throws Exception {
        RecordingTarget target = new RecordingTarget(new CountDownLatch(0), null);
        AccessLogWriter writer = new AccessLogWriter(URI_ONLY, target, 64);
        int threads = 4;
        int each = 5_000;
        LongAdder accepted = new LongAdder();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> offerers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int base = t * each;
            Thread th = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < each; i++) {
                    if (writer.offer(Entries.numbered(base + i))) {
                        accepted.increment();
                    }
                }
            });
            th.start();
            offerers.add(th);
        }
        start.countDown();
        for (Thread th : offerers) {
            th.join();
        }
        writer.close();
        assertEquals(threads * each, accepted.sum() + writer.dropped());
        assertEquals(accepted.sum(), writer.written());
        List<String> lines = target.events.subList(0, target.events.size() - 1);
        assertEquals(accepted.sum(), lines.stream().distinct().count()); // none twice
    }

    @Test
    void closeReturnsWithinItsBoundEvenWhenTheTargetIsStuck() throws Exception {
        RecordingTarget target = new RecordingTarget(new CountDownLatch(1), null); // never released
        AccessLogWriter writer = new AccessLogWriter(URI_ONLY, target, 16);
        writer.offer(Entries.numbered(1));
        target.firstWriteEntered.await();
        writer.offer(Entries.numbered(2));
        writer.close(Duration.ofMillis(50)); // returns: the test's @Timeout would catch a hang
        assertFalse(writer.offer(Entries.numbered(3)));
    }

    @Test
    void reopenIsDoneByTheWriterThreadBeforeTheNextBatch() {
        RecordingTarget target = new RecordingTarget(new CountDownLatch(0), null);
        AccessLogWriter writer = new AccessLogWriter(URI_ONLY, target, 16);
        writer.reopen();
        writer.offer(Entries.numbered(1));
        writer.close();
        assertEquals(List.of("reopen on kodiak-access-log", "/1", "close"), target.events);
    }

    @Test
    void reopenCompletesItsFutureOnceDoneAndAFailureCompletesItExceptionally() throws Exception {
        RecordingTarget target = new RecordingTarget(new CountDownLatch(0), null);
        AccessLogWriter writer = new AccessLogWriter(URI_ONLY, target, 16);
        writer.reopen().get();
        assertEquals(List.of("reopen on kodiak-access-log"), target.events);
        writer.close();
        assertTrue(writer.reopen().isDone(), "a stopped writer answers at once: nothing to reopen");

        AccessLogTarget broken = new AccessLogTarget() {
            @Override
            public void write(byte[] line, int off, int len) {
            }

            @Override
            public void flush() {
            }

            @Override
            public void reopen() throws IOException {
                throw new IOException("permission denied (test)");
            }

            @Override
            public void close() {
            }
        };
        AccessLogWriter failing = new AccessLogWriter(URI_ONLY, broken, 16);
        java.util.concurrent.ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(
                java.util.concurrent.ExecutionException.class, () -> failing.reopen().get());
        assertTrue(e.getCause().getMessage().contains("permission denied"), e.toString());
        failing.close();
    }

    @Test
    void beginCloseReturnsAtOnceAndTheWriterStillDrains() {
        RecordingTarget target = new RecordingTarget(new CountDownLatch(0), null);
        AccessLogWriter writer = new AccessLogWriter(URI_ONLY, target, 16);
        writer.offer(Entries.numbered(1));
        writer.beginClose();
        assertFalse(writer.offer(Entries.numbered(2)), "closing: later entries are dropped");
        writer.close();
        assertEquals(List.of("/1", "close"), target.events);
    }

    @Test
    void closeWithZeroDrainWaitsAMomentNotForEver() {
        // Not on a queued line: on a loaded machine the writer may not reach it within that moment,
        // and the interrupt then (rightly) loses it.
        RecordingTarget target = new RecordingTarget(new CountDownLatch(0), null);
        AccessLogWriter writer = new AccessLogWriter(URI_ONLY, target, 16);
        writer.close(Duration.ZERO);
        writer.close();
        assertEquals(List.of("close"), target.events);
    }

    @Test
    void closeDrainsWhatIsQueuedAndLaterOffersAreDropped() {
        RecordingTarget target = new RecordingTarget(new CountDownLatch(0), null);
        AccessLogWriter writer = new AccessLogWriter(URI_ONLY, target, 1000);
        for (int i = 0; i < 500; i++) {
            writer.offer(Entries.numbered(i));
        }
        writer.close();
        assertEquals(500, writer.written());
        assertEquals("close", target.events.get(500));
        assertFalse(writer.offer(Entries.numbered(501)));
        assertEquals(1, writer.dropped());
    }

    @Test
    void aFailingWriteLosesThatLineOnlyAndIsCounted() {
        RecordingTarget target = new RecordingTarget(new CountDownLatch(0), "/2");
        AccessLogWriter writer = new AccessLogWriter(URI_ONLY, target, 16);
        for (int i = 1; i <= 3; i++) {
            writer.offer(Entries.numbered(i));
        }
        writer.close();
        assertEquals(List.of("/1", "/3", "close"), target.events);
        assertEquals(1, writer.failed());
        assertEquals(2, writer.written());
    }
}
