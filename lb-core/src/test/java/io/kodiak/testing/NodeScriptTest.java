package io.kodiak.testing;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The line protocol with a node script, and the deadline that kills it and what it started. */
@Timeout(60)
class NodeScriptTest {
    @TempDir
    Path dir;

    @Test
    void stepsAreAnsweredOnStdinAndFailuresComeBackAsErrors() throws Exception {
        BrowserTools.requireNode();
        Files.writeString(dir.resolve("s.js"), """
                const rl = require('node:readline').createInterface({input: process.stdin});
                const lines = rl[Symbol.asyncIterator]();
                (async () => {
                  console.log('STEP double 21');
                  console.log('got ' + (await lines.next()).value);
                  console.log('STEP explode');
                  console.log('got ' + (await lines.next()).value);
                  process.exit(3);
                })();
                """);
        NodeScript.Result r = NodeScript.run(dir, "s.js", Map.of(), dir.resolve("err.txt"), Duration.ofSeconds(30), what -> {
            if (what.startsWith("double ")) {
                return Integer.toString(2 * Integer.parseInt(what.substring(7)));
            }
            throw new IllegalStateException("no such step");
        });
        assertEquals(3, r.exitCode(), r.toString());
        assertTrue(r.output().contains("got ok 42"), r.toString());
        assertTrue(r.output().stream().anyMatch(l -> l.startsWith("got error java.lang.IllegalStateException: no such step")), r.toString());
    }

    @Test
    void aScriptPastItsDeadlineIsKilledWithWhatItStarted() throws Exception {
        BrowserTools.requireNode();
        // The child stands for Chromium: a process the script started, which must not outlive it.
        Files.writeString(dir.resolve("hang.js"), """
                const child = require('node:child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], {stdio: 'ignore'});
                console.log('child ' + child.pid);
                setInterval(() => {}, 1000);
                """);
        NodeScript.Result r = NodeScript.run(dir, "hang.js", Map.of(), dir.resolve("err.txt"), Duration.ofSeconds(3), what -> "");
        assertEquals(-1, r.exitCode(), r.toString());
        long child = r.output().stream().filter(l -> l.startsWith("child ")).mapToLong(l -> Long.parseLong(l.substring(6))).findFirst()
                .orElseThrow(() -> new AssertionError(r.toString()));
        assertFalse(ProcessHandle.of(child).map(ProcessHandle::isAlive).orElse(false), "the script's child " + child + " survived");
        assertTrue(r.output().stream().anyMatch(l -> l.startsWith("KILLED")), r.toString());
        assertEquals(List.of(), r.failures());
    }
}
