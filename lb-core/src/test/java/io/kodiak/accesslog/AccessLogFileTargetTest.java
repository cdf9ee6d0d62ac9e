package io.kodiak.accesslog;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AccessLogFileTargetTest {
    @TempDir
    Path dir;

    @Test
    void reopenAfterARenameWritesANewFileAtThePathAsLogrotateExpects() throws Exception {
        Path log = dir.resolve("access.log");
        Path rotated = dir.resolve("access.log.1");
        AccessLogTarget target = AccessLogTarget.file(log);
        Entries.write(target, "first");
        target.flush();
        Files.move(log, rotated); // logrotate's rename; Kodiak still holds the old file open
        Entries.write(target, "second");
        target.flush();
        target.reopen();          // what logrotate's postrotate signal leads to
        Entries.write(target, "third é€");
        target.close();

        assertEquals("first\nsecond\n", Files.readString(rotated, StandardCharsets.UTF_8));
        assertEquals("third é€\n", Files.readString(log, StandardCharsets.UTF_8));
        // Created 0640; a stricter umask may take the group's read away, never add to it.
        String mode = PosixFilePermissions.toString(Files.getPosixFilePermissions(log));
        assertTrue(mode.equals("rw-r-----") || mode.equals("rw-------"), mode);
    }

    @Test
    void appendsToAnExistingFile() throws Exception {
        Path log = dir.resolve("access.log");
        Files.writeString(log, "old\n");
        AccessLogTarget target = AccessLogTarget.file(log);
        Entries.write(target, "new");
        target.close();
        assertEquals("old\nnew\n", Files.readString(log));
    }

    @Test
    void aLineLongerThanTheBufferIsWrittenWholeBetweenItsNeighbours() throws Exception {
        Path log = dir.resolve("access.log");
        AccessLogTarget target = AccessLogTarget.file(log);
        String longLine = "L".repeat(FileTarget.BUFFER_BYTES * 2 + 17);
        Entries.write(target, "before");
        Entries.write(target, longLine);
        Entries.write(target, "after");
        target.close();
        assertEquals(java.util.List.of("before", longLine, "after"), Files.readAllLines(log));
    }

    @Test
    void aFullDiskCountsItsLinesAsFailedNotWritten() throws Exception {
        // /dev/full takes the open and fails every write with ENOSPC, as a full disk does.
        AccessLogWriter writer = new AccessLogWriter(AccessLogFormat.json(java.time.ZoneOffset.UTC),
                AccessLogTarget.file(Path.of("/dev/full")), 16);
        for (int i = 0; i < 3; i++) {
            assertTrue(writer.offer(Entries.numbered(i)));
        }
        writer.close();
        assertEquals(0, writer.written(), "nothing reached the disk");
        assertEquals(3, writer.failed());
    }

    @Test
    void throughTheWriterOneEntryIsOneLine() throws Exception {
        Path log = dir.resolve("access.log");
        AccessLogWriter writer = new AccessLogWriter(AccessLogFormat.json(java.time.ZoneOffset.UTC),
                AccessLogTarget.file(log), 16);
        writer.offer(Entries.withAgent("a\nb\"c\u0000"));
        writer.offer(Entries.sparse());
        writer.close();
        assertEquals(2, Files.readAllLines(log).size());
    }

    @Test
    void streamTargetWritesUtf8LinesAndLeavesTheStreamOpen() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        AccessLogTarget target = new StreamTarget(out, "test");
        Entries.write(target, "é");
        target.flush();
        Entries.write(target, "x");
        target.close();
        assertEquals("é\nx\n", out.toString(StandardCharsets.UTF_8));
    }
}
