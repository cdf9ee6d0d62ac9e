package io.kodiak.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * Linux process facts read from {@code /proc}, which {@link ProcessHandle} does not give: the
 * process group, and whether a process is a zombie. Zombies matter here because the init process of
 * some containers never reaps orphans, so a killed Gunicorn worker can stay a zombie forever, and
 * {@link ProcessHandle#isAlive()} calls a zombie alive. A zombie holds no sockets and runs no code,
 * so for tests it is gone.
 */
public final class ProcessState {

    private static final Path PROC = Path.of("/proc");
    private static final long POLL_MILLIS = 20;

    private ProcessState() {
    }

    /** Whether {@code pid} no longer runs: absent, or a zombie. */
    public static boolean isGone(long pid) {
        String[] stat = stat(pid);
        if (stat == null) {
            return true;
        }
        return stat[0].equals("Z") || stat[0].equals("X");
    }

    /** Running (non-zombie) processes whose process group is {@code pgid}, leader first if alive. */
    public static List<Long> liveInGroup(long pgid) {
        List<Long> out = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(PROC, "[0-9]*")) {
            for (Path entry : entries) {
                long pid = Long.parseLong(entry.getFileName().toString());
                String[] stat = stat(pid);
                if (stat != null && !stat[0].equals("Z") && !stat[0].equals("X") && Long.parseLong(stat[2]) == pgid) {
                    if (pid == pgid) {
                        out.add(0, pid);
                    } else {
                        out.add(pid);
                    }
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot list " + PROC, e);
        }
        return out;
    }

    /** The process group of {@code pid}, or -1 if it is gone. */
    static long processGroup(long pid) {
        String[] stat = stat(pid);
        return stat == null ? -1 : Long.parseLong(stat[2]);
    }

    /**
     * Polls {@code condition} until it holds or {@code timeout} passes; returns whether it holds.
     * Polling, because there is no notification when a process that is not our child ends.
     */
    static boolean await(BooleanSupplier condition, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline >= 0) {
                return false;
            }
            Thread.sleep(POLL_MILLIS);
        }
        return true;
    }

    /**
     * The fields of {@code /proc/<pid>/stat} after the command name: [0] state, [1] ppid, [2] pgrp, ...;
     * {@code null} if the process does not exist.
     */
    private static String[] stat(long pid) {
        String text;
        try {
            text = Files.readString(PROC.resolve(Long.toString(pid)).resolve("stat"), StandardCharsets.ISO_8859_1);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            // Also "No such process" when it vanished between listing and reading: gone as well.
            if (!Files.exists(PROC.resolve(Long.toString(pid)))) {
                return null;
            }
            throw new IllegalStateException("cannot read /proc/" + pid + "/stat", e);
        }
        // The command name is in parentheses and may itself contain spaces and ')'.
        return text.substring(text.lastIndexOf(')') + 2).trim().split(" ");
    }
}
