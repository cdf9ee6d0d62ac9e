package io.kodiak;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The JVM options bin/kodiak passes: a bounded heap and exit on OutOfMemoryError by default, and
 * the user's own options winning. bin/kodiak runs as an installed copy (no sources beside it, as
 * in the Docker image, so it never starts a Maven build) with a {@code java} that prints its
 * arguments instead of starting a JVM.
 */
@Timeout(60)
class LauncherTest {
    private static final Path LAUNCHER = Path.of("..", "bin", "kodiak").toAbsolutePath().normalize();
    private static final List<String> HEAP_OPTION_VARIABLES = List.of("KODIAK_JAVA_OPTS", "JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS");

    @TempDir
    Path dir;

    /** The JVM options bin/kodiak gives java, in order, with {@code env} set and no other JVM option variable. */
    private List<String> jvmOptions(Map<String, String> env) throws IOException, InterruptedException {
        Path bin = Files.createDirectories(dir.resolve("kodiak/bin"));
        Path launcher = bin.resolve("kodiak");
        Files.copy(LAUNCHER, launcher, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Path java = Files.createDirectories(dir.resolve("jdk/bin")).resolve("java");
        Files.writeString(java, "#!/bin/sh\nprintf '%s\\n' \"$@\"\n");
        for (Path p : List.of(launcher, java)) {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        ProcessBuilder pb = new ProcessBuilder(launcher.toString(), "check", "-c", "kodiak.yaml").redirectErrorStream(true);
        pb.environment().keySet().removeAll(HEAP_OPTION_VARIABLES);
        pb.environment().put("JAVA_HOME", dir.resolve("jdk").toString());
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "bin/kodiak finished");
        assertEquals(0, p.exitValue(), out);
        List<String> args = out.lines().toList();
        int cp = args.indexOf("-cp");
        assertTrue(cp >= 0, out);
        assertEquals(List.of("io.kodiak.Main", "check", "-c", "kodiak.yaml"), args.subList(cp + 2, args.size()), out);
        return args.subList(0, cp);
    }

    /** The heap size the JVM would use: the last -Xmx wins. */
    private static String lastXmx(List<String> options) {
        return options.stream().filter(o -> o.startsWith("-Xmx")).reduce((a, b) -> b).orElse(null);
    }

    @Test
    void boundsTheHeapAndExitsOnOutOfMemoryByDefault() throws Exception {
        assertEquals(List.of("-Xmx512m", "-XX:+ExitOnOutOfMemoryError"), jvmOptions(Map.of()));
    }

    @Test
    void aHeapSizeInKodiakJavaOptsWins() throws Exception {
        List<String> options = jvmOptions(Map.of("KODIAK_JAVA_OPTS", "-Dkodiak.grace.seconds=3 -Xmx1g"));
        assertEquals("-Xmx1g", lastXmx(options), options.toString());
        assertTrue(options.contains("-XX:+ExitOnOutOfMemoryError"), options.toString());
        assertTrue(options.contains("-Dkodiak.grace.seconds=3"), options.toString());
    }

    /** These come before the command line, where our -Xmx would override them: so there is none. */
    @Test
    void aHeapSizeInTheJvmsOwnVariablesIsNotOverridden() throws Exception {
        for (String variable : List.of("JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS")) {
            for (String flag : List.of("-Xmx2g", "-XX:MaxRAMPercentage=75", "-XX:MaxHeapSize=1073741824")) {
                List<String> options = jvmOptions(Map.of(variable, "-Dx=1 " + flag));
                assertFalse(options.stream().anyMatch(o -> o.startsWith("-Xmx")), variable + "=" + flag + ": " + options);
                assertTrue(options.contains("-XX:+ExitOnOutOfMemoryError"), options.toString());
            }
        }
    }

    @Test
    void kodiakJavaOptsCanTurnExitOnOutOfMemoryOff() throws Exception {
        List<String> options = jvmOptions(Map.of("KODIAK_JAVA_OPTS", "-XX:-ExitOnOutOfMemoryError"));
        assertTrue(options.contains("-XX:+ExitOnOutOfMemoryError"), options.toString());
        assertTrue(options.indexOf("-XX:-ExitOnOutOfMemoryError") > options.indexOf("-XX:+ExitOnOutOfMemoryError"),
                "the later flag wins: " + options);
    }
}
