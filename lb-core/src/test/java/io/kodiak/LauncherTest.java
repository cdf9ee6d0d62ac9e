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
 * What bin/kodiak gives java: the JVM options (a bounded heap and exit on OutOfMemoryError by
 * default, the user's own options winning) and the classes of the layout it sits in (a checkout,
 * built first when it has sources; an installed distribution, never built). bin/kodiak runs as a
 * copy in a temp directory with a {@code java} that prints its arguments instead of starting a
 * JVM, and an {@code mvnw} that only records that it ran. DistributionIT runs the real archive.
 */
@Timeout(60)
class LauncherTest {
    private static final Path LAUNCHER = Path.of("..", "bin", "kodiak").toAbsolutePath().normalize();
    private static final List<String> HEAP_OPTION_VARIABLES = List.of("KODIAK_JAVA_OPTS", "JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS");

    @TempDir
    Path dir;

    /** What one run of bin/kodiak did: the JVM options and classpath it gave java, what it printed on stderr. */
    private record Launch(List<String> jvmOptions, String classpath, String stderr) {
    }

    /** The JVM options bin/kodiak gives java, in order, with {@code env} set and no other JVM option variable. */
    private List<String> jvmOptions(Map<String, String> env) throws IOException, InterruptedException {
        return launch(dir.resolve("kodiak"), env).jvmOptions();
    }

    /** Runs bin/kodiak as {@code root}/bin/kodiak (whatever else is in {@code root}) with {@code env} set. */
    private Launch launch(Path root, Map<String, String> env) throws IOException, InterruptedException {
        Path launcher = Files.createDirectories(root.resolve("bin")).resolve("kodiak");
        Files.copy(LAUNCHER, launcher, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Path java = Files.createDirectories(dir.resolve("jdk/bin")).resolve("java");
        Files.writeString(java, "#!/bin/sh\nprintf '%s\\n' \"$@\"\n");
        for (Path p : List.of(launcher, java)) {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        Path stderr = dir.resolve("stderr.txt");
        ProcessBuilder pb = new ProcessBuilder(launcher.toString(), "check", "-c", "kodiak.yaml")
                .redirectError(stderr.toFile());
        pb.environment().keySet().removeAll(HEAP_OPTION_VARIABLES);
        pb.environment().put("JAVA_HOME", dir.resolve("jdk").toString());
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "bin/kodiak finished");
        String err = Files.readString(stderr);
        assertEquals(0, p.exitValue(), out + err);
        List<String> args = out.lines().toList();
        int cp = args.indexOf("-cp");
        assertTrue(cp >= 0, out);
        assertEquals(List.of("io.kodiak.Main", "check", "-c", "kodiak.yaml"), args.subList(cp + 2, args.size()), out);
        return new Launch(args.subList(0, cp), args.get(cp + 1), err);
    }

    /**
     * A checkout with sources: a pom.xml and an {@code mvnw} that records its arguments and makes
     * lb-core/target, as the real one would.
     */
    private static void makeCheckout(Path root) throws IOException {
        Files.createDirectories(root);
        Files.writeString(root.resolve("pom.xml"), "<project/>\n");
        Path mvnw = root.resolve("mvnw");
        Files.writeString(mvnw, "#!/bin/sh\nmkdir -p lb-core/target\necho \"$@\" > mvnw.ran\n");
        Files.setPosixFilePermissions(mvnw, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    /**
     * Under nohup the JVM would inherit SIGHUP ignored and never handle it, so "run" would not
     * reload on SIGHUP; the launcher gives it back to "run" only, and demo keeps nohup's meaning.
     */
    @Test
    void runTakesSighupBackFromNohupAndTheOtherCommandsLeaveItIgnored() throws Exception {
        Path launcher = Files.createDirectories(dir.resolve("kodiak/bin")).resolve("kodiak");
        Files.copy(LAUNCHER, launcher, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Path java = Files.createDirectories(dir.resolve("jdk/bin")).resolve("java");
        Files.writeString(java, "#!/bin/sh\ngrep '^SigIgn:' /proc/self/status\n");
        for (Path p : List.of(launcher, java)) {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        for (String command : List.of("run", "demo")) {
            ProcessBuilder pb = new ProcessBuilder("nohup", launcher.toString(), command).redirectError(ProcessBuilder.Redirect.DISCARD);
            pb.environment().keySet().removeAll(HEAP_OPTION_VARIABLES);
            pb.environment().put("JAVA_HOME", dir.resolve("jdk").toString());
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "bin/kodiak finished");
            assertTrue(out.startsWith("SigIgn:"), command + ": " + out);
            boolean hupIgnored = (Long.parseLong(out.substring("SigIgn:".length()).trim(), 16) & 1) != 0; // bit 0: SIGHUP
            assertEquals(!command.equals("run"), hupIgnored, command + ": " + out);
        }
    }

    @Test
    void aCheckoutIsBuiltOnFirstUseAndRunsItsBuiltClasses() throws Exception {
        Path root = dir.resolve("checkout");
        makeCheckout(root);
        Launch first = launch(root, Map.of());
        root = root.toRealPath(); // bin/kodiak resolves symbolic links in its own path
        assertEquals(root + "/lb-core/target/classes:" + root + "/lb-core/target/lib/*", first.classpath());
        assertTrue(first.stderr().contains("kodiak: building"), first.stderr());
        assertEquals("-q -B -DskipTests package", Files.readString(root.resolve("mvnw.ran")).trim());

        Files.delete(root.resolve("mvnw.ran"));
        Launch second = launch(root, Map.of());
        assertEquals("", second.stderr(), "built and unchanged since: no second build");
        assertFalse(Files.exists(root.resolve("mvnw.ran")));
    }

    /** The layout of kodiak-VERSION.tar.gz: kodiak.jar and lib/ beside bin/. Nothing is built, even beside a pom.xml. */
    @Test
    void anInstalledDistributionRunsItsJarAndLibrariesAndNeverBuilds() throws Exception {
        Path root = dir.resolve("opt/kodiak-1.0");
        makeCheckout(root);
        Files.createDirectories(root.resolve("lib"));
        Files.createFile(root.resolve("kodiak.jar"));
        Launch launch = launch(root, Map.of());
        root = root.toRealPath(); // bin/kodiak resolves symbolic links in its own path
        assertEquals(root + "/kodiak.jar:" + root + "/lib/*", launch.classpath());
        assertEquals("", launch.stderr());
        assertFalse(Files.exists(root.resolve("mvnw.ran")), "mvnw ran");
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
