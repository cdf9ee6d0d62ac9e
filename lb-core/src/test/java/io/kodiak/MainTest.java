package io.kodiak;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The command line through {@link Main#run}: the commands that return (check, help, version,
 * errors), every command's {@code --help}, and what an unknown flag or a missing value says.
 * Serving commands are covered end to end.
 */
class MainTest {
    /** Each command and the flags its usage and its unknown-flag message must name, in order. */
    private static final Map<String, String> FLAGS = new LinkedHashMap<>();
    /** Each ctl command and its own flags, before the ones every ctl command takes. */
    private static final Map<String, String> CTL_FLAGS = new LinkedHashMap<>();

    static {
        FLAGS.put("demo", "--listen, --admin, --metrics, -h/--help");
        FLAGS.put("run", "-c/--config, -h/--help");
        FLAGS.put("check", "-c/--config, -h/--help");
        FLAGS.put("proxy", "--to, --resolver, --listen, --strategy, --admin, --metrics, --access-log, --access-log-format, --tls-cert, --tls-key, -h/--help");
        for (String c : List.of("status", "list", "weight", "add", "reload", "reopen-logs", "version", "token")) {
            CTL_FLAGS.put(c, "");
        }
        for (String c : List.of("drain", "maint", "ready")) {
            CTL_FLAGS.put(c, "--wait, --timeout, ");
        }
        CTL_FLAGS.put("wait-drained", "--timeout, ");
        CTL_FLAGS.put("remove", "--timeout, ");
    }

    @TempDir
    Path dir;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        out.reset();
        err.reset();
        return Main.run(List.of(args), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void checkAcceptsTheShippedExampleAndSummarisesIt() {
        assertEquals(0, run("check", "-c", "../examples/kodiak.yaml"));
        assertEquals("../examples/kodiak.yaml: OK (2 listener(s), 2 pool(s), 5 upstream(s))\n", out());
        assertEquals(0, run("check", "--config=../examples/kodiak.yaml"));
    }

    @Test
    void checkRejectsABadFileWithFileLineKeyAndProblem() throws Exception {
        Path f = dir.resolve("bad.yaml");
        Files.writeString(f, "listeners:\n  - address: 127.0.0.1:8080\npools:\n  web:\n    upstreams: [127.0.0.1:99999]\n");
        assertEquals(2, run("check", "-c", f.toString()));
        assertEquals("kodiak: " + f + ":5: pools.web.upstreams[0]: \"127.0.0.1:99999\" is not host:port (port must be 1-65535)\n",
                err());
    }

    @Test
    void checkWarnsAboutARouteThatCanNeverMatchAndStillSucceeds() throws Exception {
        Path f = dir.resolve("shadow.yaml");
        Files.writeString(f, "listeners:\n  - address: 127.0.0.1:8080\n    routes:\n"
                + "      - {path-regex: '^/api', pool: web}\n      - {path-prefix: /api/v1/, pool: web}\n"
                + "pools:\n  web:\n    upstreams: [127.0.0.1:9001]\n");
        assertEquals(0, run("check", "-c", f.toString()));
        assertEquals("kodiak: warning: " + f + ":5: listeners[0].routes[1]: never matches: listeners[0].routes[0]"
                + " (line 4, *~^/api) takes every request it would\n", err());
        assertEquals(f + ": OK (1 listener(s), 1 pool(s), 1 upstream(s))\n", out());
    }

    @Test
    void checkWithoutAFileSaysSo() {
        assertEquals(2, run("check"));
        assertEquals("kodiak: missing -c FILE\n", err());
    }

    @Test
    void unknownCommandPrintsUsageAndFails() {
        assertEquals(2, run("frobnicate"));
        assertTrue(err().startsWith("kodiak: unknown command 'frobnicate'\nusage: kodiak COMMAND"), err());
    }

    @Test
    void noCommandPrintsUsageAndFails() {
        assertEquals(2, run());
        assertTrue(err().startsWith("usage: kodiak COMMAND"), err());
    }

    @Test
    void helpListsEveryCommandAndSucceeds() {
        for (List<String> help : List.of(List.of("--help"), List.of("-h"), List.of("help"))) {
            assertEquals(0, run(help.toArray(String[]::new)), help.toString());
            for (String command : List.of("demo", "run", "check", "proxy", "ctl", "help", "-V, --version", "-h, --help")) {
                assertTrue(out().contains("\n  " + command + " "), command + " in\n" + out());
            }
        }
    }

    @Test
    void everyCommandsHelpPrintsItsUsageWithEveryFlagAndSucceeds() {
        FLAGS.forEach((command, flags) -> {
            for (String help : List.of("--help", "-h")) {
                assertEquals(0, run(command, help), command + " " + help + ": " + err());
                assertUsage("kodiak " + command, flags, out());
            }
            assertEquals(0, run("help", command));
            assertUsage("kodiak " + command, flags, out());
        });
        // Help wins over whatever else the line holds, so it never starts a proxy.
        assertEquals(0, run("proxy", "--to", "127.0.0.1:1", "--frob", "--help"));
        assertUsage("kodiak proxy", FLAGS.get("proxy"), out());
    }

    @Test
    void everyCtlCommandsHelpPrintsItsUsageWithEveryFlagAndSucceeds() {
        assertEquals(0, run("ctl", "--help"));
        assertTrue(out().startsWith("usage: kodiak ctl COMMAND"), out());
        for (String command : CTL_FLAGS.keySet()) {
            assertTrue(out().contains("\n  " + command + " "), command + " in\n" + out());
        }
        CTL_FLAGS.forEach((command, flags) -> {
            assertEquals(0, run("ctl", command, "--help"), command + ": " + err());
            assertUsage("kodiak ctl " + command, flags + "--admin, --token, --json, --instances, --all, -h/--help", out());
            assertTrue(out().contains("Exit codes: 0 done, 1 refused"), out());
            assertEquals(0, run("help", "ctl", command));
            assertUsage("kodiak ctl " + command, flags + "--admin, --token, --json, --instances, --all, -h/--help", out());
        });
    }

    /** The usage line, then one line per flag, in order, each value's line saying its default. */
    private static void assertUsage(String command, String flags, String usage) {
        assertTrue(usage.startsWith("usage: " + command + " ") || usage.startsWith("usage: " + command + "\n"), usage);
        int at = 0;
        for (String flag : flags.split(", ")) {
            String label = flag.contains("/") ? flag.replace("/", ", ") : flag;
            int line = usage.indexOf("\n  " + label + " ", at);
            assertTrue(line > at, label + " after the last flag in\n" + usage);
            at = line + 1;
            String text = usage.substring(line + 1, usage.indexOf('\n', line + 1));
            if (text.matches(" +(-\\w, )?--[a-z-]+ [A-Z].*")) { // takes a value
                assertTrue(text.contains("(default") || text.contains("required"), "a default in: " + text);
            }
        }
    }

    @Test
    void anUnknownFlagExits2AndNamesTheFlagsThatExist() {
        FLAGS.forEach((command, flags) -> {
            assertEquals(2, run(command, "--frob"), command);
            assertEquals("kodiak: --frob: unknown flag (flags are " + flags + ")\n", err(), command);
        });
        assertEquals(2, run("--frob"));
        assertEquals("kodiak: --frob: unknown flag (flags are -V/--version, -h/--help)\n", err());
        CTL_FLAGS.forEach((command, flags) -> {
            assertEquals(2, run("ctl", command, "--frob"), command);
            assertTrue(err().startsWith("kodiak ctl: --frob: unknown flag (flags are " + flags
                    + "--admin, --token, --json, --instances, --all, -h/--help)\nusage: kodiak ctl " + command + " "), err());
        });
        // A flag of another ctl command is unknown here, rather than silently doing nothing.
        assertEquals(2, run("ctl", "weight", "p", "a", "3", "--wait"));
        assertTrue(err().startsWith("kodiak ctl: --wait: unknown flag (flags are --admin, --token, --json, --instances, --all, -h/--help)"), err());
    }

    @Test
    void aMissingValueSaysWhichFlagAndWhatItTakes() {
        assertEquals(2, run("proxy", "--to"));
        assertEquals("kodiak: --to: needs a value (--to HOST:PORT,...)\n", err());
        assertEquals(2, run("proxy", "--listen", "--to", "127.0.0.1:9001"));
        assertEquals("kodiak: --listen: needs a value (--listen HOST:PORT)\n", err());
        assertEquals(2, run("demo", "--admin"));
        assertEquals("kodiak: --admin: needs a value (--admin HOST:PORT|off)\n", err());
        assertEquals(2, run("run", "-c"));
        assertEquals("kodiak: -c: needs a value (-c FILE)\n", err());
        assertEquals(2, run("ctl", "drain", "p", "a", "--wait", "--timeout"));
        assertTrue(err().startsWith("kodiak ctl: --timeout: needs a value (--timeout D)\nusage: kodiak ctl drain "), err());
        assertEquals(2, run("ctl", "--admin"));
        assertTrue(err().startsWith("kodiak ctl: --admin: needs a value (--admin HOST:PORT)\n"), err());
    }

    @Test
    void versionPrintsThePomsVersion() throws Exception {
        Matcher m = Pattern.compile("<artifactId>kodiak-parent</artifactId>\\s*<version>([^<]+)</version>")
                .matcher(Files.readString(Path.of("pom.xml")));
        assertTrue(m.find(), "the parent's version in lb-core/pom.xml");
        for (String flag : List.of("--version", "-V")) {
            assertEquals(0, run(flag), err());
            assertEquals("kodiak " + m.group(1) + "\n", out());
        }
        assertEquals(2, run("--version", "proxy"));
        assertTrue(err().startsWith("kodiak: \"proxy\": unexpected argument"), err());
    }

    @Test
    void quickModeRejectsBadFlagsBeforeStarting() {
        assertEquals(2, run("proxy", "--to", "nowhere"));
        assertTrue(err().startsWith("kodiak: --to:"), err());
    }
}
