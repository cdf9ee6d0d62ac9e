package io.kodiak.proxy;

import io.kodiak.config.AccessAddress;
import io.kodiak.config.AccessSourceFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A source file that changes on disk while Kodiak runs: the change is taken up at the next
 * check (called here directly, not waited for), a broken or missing file keeps the last good
 * ranges with one warning per change, and a file replaced by a rename is noticed.
 */
class AccessFilesTest {
    @TempDir
    Path dir;
    private final AccessFiles files = new AccessFiles();
    private final java.util.List<String> warnings = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final Logger log = Logger.getLogger(AccessFiles.class.getName());
    private final Handler handler = new Handler() {
        @Override
        public void publish(LogRecord r) {
            if (r.getLevel() == java.util.logging.Level.WARNING) {
                warnings.add(r.getMessage());
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    {
        log.addHandler(handler);
    }

    @AfterEach
    void close() {
        log.removeHandler(handler);
        files.close();
    }

    private static boolean has(AccessFiles.Watched w, String ip) {
        return w.cidrs().contains(AccessAddress.parse(ip));
    }

    /** Writes {@code text} and moves the modification time on, so the change shows whatever the clock's grain. */
    private static void write(Path file, String text, int tick) throws Exception {
        Files.writeString(file, text);
        Files.setLastModifiedTime(file, FileTime.from(Instant.ofEpochSecond(1_700_000_000L + tick)));
    }

    @Test
    void aChangedFileIsTakenUpAndABrokenOneKeepsTheLastGoodRanges() throws Exception {
        Path f = dir.resolve("block.txt");
        write(f, "10.0.0.0/8\n", 1);
        AccessFiles.Watched w = files.watch(AccessSourceFile.read(f));
        assertTrue(has(w, "10.1.1.1"));
        assertFalse(w.recheck(), "the first check reads the file again: same ranges, nothing swapped");
        assertFalse(w.recheck(), "unchanged: not even read");

        write(f, "10.0.0.0/8\n192.0.2.0/24\n", 2);
        assertTrue(w.recheck());
        assertTrue(has(w, "192.0.2.9"));

        write(f, "10.0.0.0/8\n192.0.2.0/24\nnot-an-address\n", 3);
        assertFalse(w.recheck());
        assertTrue(has(w, "192.0.2.9"), "a bad line keeps the last good set");
        assertEquals(1, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).startsWith("access file " + f + ":3: \"not-an-address\" is not an address or range"),
                warnings.get(0));
        assertFalse(w.recheck());
        assertEquals(1, warnings.size(), "one warning per change, not per check");

        Files.delete(f);
        assertFalse(w.recheck());
        assertTrue(has(w, "10.1.1.1"), "a missing file keeps the last good set");
        assertEquals(2, warnings.size());
        assertTrue(warnings.get(1).contains("is gone"), warnings.get(1));

        write(f, "2001:db8::/32\n", 4);
        assertTrue(w.recheck(), "the file is back");
        assertFalse(has(w, "10.1.1.1"));
        assertTrue(has(w, "2001:db8::1"));
    }

    @Test
    void aListReplacedByRenameIsNoticed() throws Exception {
        Path f = dir.resolve("list.txt");
        write(f, "10.0.0.0/8\n", 1);
        AccessFiles.Watched w = files.watch(AccessSourceFile.read(f));
        w.recheck();
        Path tmp = dir.resolve("list.txt.new");
        write(tmp, "11.0.0.0/8\n", 1); // same size, same time: only the inode differs
        Files.move(tmp, f, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        assertTrue(w.recheck());
        assertTrue(has(w, "11.2.3.4"));
        assertFalse(has(w, "10.2.3.4"));
    }

    @Test
    void oneWatchPerFileSharedAcrossReloads() throws Exception {
        Path f = dir.resolve("a.txt");
        write(f, "10.0.0.0/8\n", 1);
        AccessFiles.Watched w = files.watch(AccessSourceFile.read(f));
        write(f, "12.0.0.0/8\n", 2);
        assertSame(w, files.watch(AccessSourceFile.read(f)), "a reload naming the file again shares its watch");
        assertTrue(has(w, "12.1.1.1"), "and the reload's fresh read is taken at once");
        assertEquals(1, files.size());
        files.recheckAll();
        assertTrue(has(w, "12.1.1.1"));
    }

    /**
     * A reload reads the file, the file changes, the poll takes the change, then the reload
     * offers its (older) read: the next check reads the file again, and the newer ranges win.
     */
    @Test
    void aReloadsOlderReadDoesNotWinOverThePollForGood() throws Exception {
        Path f = dir.resolve("list.txt");
        write(f, "10.0.0.0/8\n", 1);
        AccessFiles.Watched w = files.watch(AccessSourceFile.read(f));
        w.recheck();
        AccessSourceFile readByReload = AccessSourceFile.read(f);
        Path tmp = dir.resolve("list.new");
        write(tmp, "10.0.0.0/8\n192.0.2.0/24\n", 2);
        Files.move(tmp, f, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        assertTrue(w.recheck(), "the poll takes the new list");
        assertSame(w, files.watch(readByReload)); // the reload applies its older read
        assertFalse(has(w, "192.0.2.1"), "the reload's read is taken at once");
        assertTrue(w.recheck(), "the next check reads the file again and takes the newer list");
        assertTrue(has(w, "192.0.2.1"));
    }
}
