package io.kodiak;

import io.kodiak.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The launcher's commands that return (check, help, errors); serving commands are covered end to end. */
class MainTest {
    @TempDir
    Path dir;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) throws Exception {
        return Main.run(List.of(args), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void checkAcceptsTheShippedExampleAndSummarisesIt() throws Exception {
        assertEquals(0, run("check", "-c", "../examples/kodiak.yaml"));
        assertEquals("../examples/kodiak.yaml: OK (2 listener(s), 2 pool(s), 5 upstream(s))\n", out.toString());
    }

    @Test
    void checkRejectsABadFileWithFileLineKeyAndProblem() throws Exception {
        Path f = dir.resolve("bad.yaml");
        Files.writeString(f, "listeners:\n  - address: 127.0.0.1:8080\npools:\n  web:\n    upstreams: [127.0.0.1:99999]\n");
        ConfigException e = assertThrows(ConfigException.class, () -> run("check", "-c", f.toString()));
        assertEquals(f + ":5: pools.web.upstreams[0]: \"127.0.0.1:99999\" is not host:port (port must be 1-65535)",
                e.getMessage());
    }

    @Test
    void checkWithoutAFileSaysSo() {
        ConfigException e = assertThrows(ConfigException.class, () -> run("check"));
        assertEquals("missing -c FILE", e.getMessage());
    }

    @Test
    void unknownCommandPrintsUsageAndFails() throws Exception {
        assertEquals(2, run("frobnicate"));
        assertTrue(err.toString().startsWith("kodiak: unknown command 'frobnicate'\nusage: kodiak COMMAND"), err.toString());
    }

    @Test
    void noCommandPrintsUsageAndFails() throws Exception {
        assertEquals(2, run());
        assertTrue(err.toString().contains("proxy --listen HOST:PORT --to"), err.toString());
    }

    @Test
    void helpPrintsUsageAndSucceeds() throws Exception {
        assertEquals(0, run("--help"));
        assertTrue(out.toString().contains("demo [--listen HOST:PORT]"));
    }

    @Test
    void quickModeRejectsBadFlagsBeforeStarting() {
        ConfigException e = assertThrows(ConfigException.class, () -> run("proxy", "--to", "nowhere"));
        assertTrue(e.getMessage().startsWith("--to:"), e.getMessage());
    }
}
