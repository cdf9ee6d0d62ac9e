package io.kodiak.accesslog;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link AccessLog}, a listener's sink, over a real file: reopen after logrotate's rename, and
 * two listeners sharing one file through {@link SharedTargets}.
 */
@Timeout(30)
class AccessLogSinkTest {
    private static final AccessLogFormat URI_ONLY = TemplateFormat.parse("$listener $request_uri", ZoneOffset.UTC);

    @TempDir
    Path dir;

    private static AccessLogEntry entry(String listener, int i) {
        AccessLogEntry e = Entries.numbered(i);
        return new AccessLogEntry(e.clientAddress(), e.clientPort(), e.startEpochMillis(), e.method(), e.target(),
                e.protocol(), e.status(), e.bytesReceived(), e.bytesSent(), e.bodyBytesSent(), e.requestTimeNanos(),
                listener, e.pool(), e.upstreamName(), e.upstreamAddress(), e.upstreamConnectNanos(),
                e.upstreamHeaderNanos(), e.upstreamResponseNanos(), e.attempts(), e.queueNanos(), e.requestId(),
                e.userAgent(), e.referer(), e.termination());
    }

    @Test
    void reopenAfterARenameStartsANewFileAndTheFutureSaysWhenItIsDone() throws Exception {
        Path file = dir.resolve("access.log");
        AccessLog log = new AccessLog("web", URI_ONLY, AccessLogTarget.file(file), 16);
        assertEquals("file " + file, log.target());
        log.log(entry("web", 1));
        awaitWritten(log, 1);
        Files.move(file, dir.resolve("access.log.1")); // logrotate's rename; the log still holds the old file
        log.reopen().get(10, TimeUnit.SECONDS);
        log.log(entry("web", 3));
        log.close();
        assertEquals(List.of("web /1"), Files.readAllLines(dir.resolve("access.log.1")));
        assertEquals(List.of("web /3"), Files.readAllLines(file));
        assertEquals(2, log.written());
        assertEquals(0, log.dropped());
        log.log(entry("web", 4));
        assertEquals(1, log.dropped(), "after close an entry is dropped and counted, never written or thrown");
    }

    /** Written counts a line once the target took it; the writer flushes the batch right after. */
    private static void awaitWritten(AccessLog log, long n) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (log.written() < n) { // a bounded wait: a writer that never writes fails the test
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("only " + log.written() + " of " + n + " lines written within 10 s");
            }
            Thread.sleep(1);
        }
        log.reopen().get(10, TimeUnit.SECONDS); // the next batch: the one that wrote line n is flushed
    }

    @Test
    void twoLogsOnOneFileShareItAndTheLastToCloseClosesIt() throws Exception {
        Path file = dir.resolve("access.log");
        SharedTargets targets = new SharedTargets();
        int[] opened = {0};
        SharedTargets.Opener opener = () -> {
            opened[0]++;
            return AccessLogTarget.file(file);
        };
        AccessLog a = new AccessLog("a", URI_ONLY, targets.acquire("file " + file, opener), 10_000);
        AccessLog b = new AccessLog("b", URI_ONLY, targets.acquire("file " + file, opener), 10_000);
        assertEquals(1, opened[0], "one open file for both");
        assertEquals(1, targets.size());
        int n = 2_000;
        Thread ta = new Thread(() -> IntStream.range(0, n).forEach(i -> a.log(entry("a", i))));
        Thread tb = new Thread(() -> IntStream.range(0, n).forEach(i -> b.log(entry("b", i))));
        ta.start();
        tb.start();
        ta.join();
        tb.join();
        a.close();
        assertEquals(1, targets.size(), "b still holds it");
        b.log(entry("b", n));
        b.close();
        assertEquals(0, targets.size());

        List<String> lines = Files.readAllLines(file);
        assertEquals(2 * n + 1, lines.size());
        assertTrue(lines.stream().allMatch(l -> l.matches("[ab] /\\d+")), "no line cut by the other writer");
        assertEquals(n, a.written());
        assertEquals(n + 1, b.written());
        // Each writer's own lines stay in its order.
        assertEquals(IntStream.rangeClosed(0, n).mapToObj(i -> "b /" + i).toList(),
                lines.stream().filter(l -> l.startsWith("b ")).toList());

        AccessLog again = new AccessLog("a", URI_ONLY, targets.acquire("file " + file, opener), 16);
        assertEquals(2, opened[0], "once closed by its last user, the file is opened anew");
        again.close();
    }
}
