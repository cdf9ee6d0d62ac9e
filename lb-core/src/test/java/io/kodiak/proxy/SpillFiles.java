package io.kodiak.proxy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * Counts this JVM's open temp files in a directory. Kodiak unlinks a spill file as soon as it is
 * opened, so the directory always looks empty; the open descriptors in {@code /proc/self/fd} still
 * point at it. That shows both that a body spilled and that its file was closed afterwards.
 */
final class SpillFiles {
    private static final Path FDS = Path.of("/proc/self/fd");

    private SpillFiles() {
    }

    /** Whether descriptors can be inspected here (Linux). */
    static boolean supported() {
        return Files.isDirectory(FDS);
    }

    /** Open descriptors whose target lies in {@code dir}. */
    static long openIn(Path dir) throws IOException {
        String prefix = dir.toRealPath() + "/";
        try (Stream<Path> fds = Files.list(FDS)) {
            return fds.filter(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString().startsWith(prefix);
                } catch (IOException | UnsupportedOperationException e) {
                    return false; // closed between list and readlink: not open any more
                }
            }).count();
        }
    }
}
