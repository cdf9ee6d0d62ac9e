package io.kodiak.admin;

import io.kodiak.testing.BrowserTools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The status page's own decisions, run under node's test runner ({@code node --test}) on the
 * modules as they ship in the jar: where the CSRF token is kept, how often and how long the page
 * asks for its session, a logout that fails, at most two held wait-drained requests (the rest
 * watched through the polls), a pool filter that is not rebuilt every second, rows that stay put
 * while in use. The tests are {@code page-tests/*.test.mjs} next to this class's resources, with a
 * small fake fetch, storage and DOM ({@code fakes.mjs}); what the page does in Chromium is
 * StatusPageBrowserTest's. Skipped without Node.js unless {@code CI} is set.
 */
@Timeout(90)
class PageModulesTest {
    /** The page's modules the tests import (and what those import); app.js needs a real document. */
    private static final List<String> MODULES = List.of("session.js", "drains.js", "table.js", "format.js", "actions.js");
    private static final List<String> TESTS = List.of("session.test.mjs", "drains.test.mjs", "table.test.mjs");
    private static final Pattern SUMMARY = Pattern.compile("(?m)^# (tests|pass|fail|cancelled) (\\d+)$");

    @TempDir
    Path dir;

    @Test
    void thePagesModulesPassTheirNodeTests() throws Exception {
        BrowserTools.requireNode();
        // The modules are ES modules in .js files, as the browser loads them; node reads .js as
        // ES modules only under a package.json saying so, hence the copy.
        Files.writeString(dir.resolve("package.json"), "{\"type\": \"module\"}\n");
        Files.createDirectories(dir.resolve("page"));
        Files.createDirectories(dir.resolve("page-tests"));
        for (String m : MODULES) {
            Files.write(dir.resolve("page").resolve(m), resource("page/" + m));
        }
        Files.write(dir.resolve("page-tests/fakes.mjs"), resource("page-tests/fakes.mjs"));
        List<String> command = new ArrayList<>(List.of("node", "--test"));
        for (String t : TESTS) {
            Files.write(dir.resolve("page-tests").resolve(t), resource("page-tests/" + t));
            command.add("page-tests/" + t);
        }

        Path out = dir.resolve("node-test.out");
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(out.toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("node --test did not finish in 60 s:\n" + Files.readString(out));
        }
        String output = Files.readString(out, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), output);
        Matcher m = SUMMARY.matcher(output);
        int tests = -1;
        int failed = -1;
        while (m.find()) {
            switch (m.group(1)) {
                case "tests" -> tests = Integer.parseInt(m.group(2));
                case "fail", "cancelled" -> failed = Math.max(failed, 0) + Integer.parseInt(m.group(2));
                default -> { }
            }
        }
        assertTrue(tests >= 15, "all the page's node tests ran (" + tests + "):\n" + output);
        assertEquals(0, failed, output);
    }

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = PageAssets.class.getResourceAsStream(name)) {
            assertNotNull(in, name + " is on the class path");
            return in.readAllBytes();
        }
    }
}
