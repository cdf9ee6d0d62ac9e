package io.kodiak.config;

import io.kodiak.io.BoundedFile;
import io.kodiak.htpasswd.HtpasswdFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The files the configuration names are read with bounds that hold whatever the path is: a FIFO
 * (which would block the reader forever) and a device ({@code /dev/zero}, size 0, never ends)
 * are refused before a byte is read; a file larger than the bound fails at the bound + 1, a long
 * line at the line bound + 1, whatever {@code Files.size} said.
 */
@Timeout(20)
class BoundedFileTest {
    @TempDir
    Path dir;

    private Path fifo() throws Exception {
        Path fifo = dir.resolve("list.txt");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        return fifo;
    }

    @Test
    void aFifoIsRefusedNotWaitedOn() throws Exception {
        Path fifo = fifo();
        IOException e = assertThrows(IOException.class, () -> AccessSourceFile.read(fifo));
        assertTrue(e.getMessage().startsWith("is not a regular file"), e.getMessage());
        assertThrows(IOException.class, () -> HtpasswdFile.read(fifo));
        assertThrows(IOException.class, () -> BoundedFile.readAll(fifo, 10));
    }

    @Test
    void aDeviceIsRefused() {
        Path zero = Path.of("/dev/zero");
        IOException e = assertThrows(IOException.class, () -> AccessSourceFile.read(zero));
        assertTrue(e.getMessage().startsWith("is not a regular file"), e.getMessage());
        assertThrows(IOException.class, () -> HtpasswdFile.read(zero));
    }

    @Test
    void theReadStopsAtTheBoundWhateverTheSize() throws Exception {
        Path f = dir.resolve("f");
        Files.writeString(f, "0123456789");
        assertArrayEquals("0123456789".getBytes(), BoundedFile.readAll(f, 10));
        assertThrows(BoundedFile.TooLarge.class, () -> BoundedFile.readAll(f, 9));
        try (BoundedFile.Lines in = BoundedFile.lines(f, 9, 100)) {
            assertThrows(BoundedFile.TooLarge.class, in::next);
        }
    }

    @Test
    void aLongLineComesBackOneCharacterPastTheBound() throws Exception {
        Path f = dir.resolve("f");
        Files.writeString(f, "x".repeat(10_000) + "\n");
        try (BoundedFile.Lines in = BoundedFile.lines(f, 1 << 20, 8)) {
            assertEquals("x".repeat(9), in.next());
        }
        Files.writeString(f, "10.0.0.0/8 " + "#".repeat(300) + "\n");
        AccessSourceFile.BadLine e = assertThrows(AccessSourceFile.BadLine.class, () -> AccessSourceFile.read(f));
        assertEquals(1, e.line());
    }

    @Test
    void linesEndAsBufferedReaderEndsThem() throws Exception {
        Path f = dir.resolve("f");
        for (String text : List.of("", "a", "a\n", "a\r\nb", "a\n\nb\n", "\n", "a\r\n\r\n")) {
            Files.writeString(f, text);
            List<String> expected = new ArrayList<>();
            try (var r = Files.newBufferedReader(f)) {
                for (String l = r.readLine(); l != null; l = r.readLine()) {
                    expected.add(l);
                }
            }
            List<String> got = new ArrayList<>();
            try (BoundedFile.Lines in = BoundedFile.lines(f, 100, 100)) {
                for (String l = in.next(); l != null; l = in.next()) {
                    got.add(l);
                }
            }
            assertEquals(expected, got, "for " + text.replace("\r", "\\r").replace("\n", "\\n"));
        }
    }
}
