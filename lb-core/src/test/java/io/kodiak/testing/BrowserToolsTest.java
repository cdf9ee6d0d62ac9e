package io.kodiak.testing;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.TestAbortedException;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The browser test's skip rule: a missing tool or package skips it outside CI and fails it in CI, by name. */
class BrowserToolsTest {
    @TempDir
    Path dir;

    @Test
    void missingPackagesAreNamedWithTheCommandThatInstallsThem() {
        List<String> missing = BrowserTools.missing(dir); // an empty directory: no node_modules
        assertTrue(missing.stream().anyMatch(m -> m.contains("playwright-core") && m.contains("npm ci")), missing.toString());
        assertTrue(missing.stream().anyMatch(m -> m.contains("axe-core")), missing.toString());
    }

    @Test
    void skipsOutsideCiAndFailsInCi() {
        List<String> missing = List.of("/usr/bin/chromium (apt-get install -y chromium chromium-driver)");
        assertThrows(TestAbortedException.class, () -> BrowserTools.onMissing(missing, null));
        assertThrows(TestAbortedException.class, () -> BrowserTools.onMissing(missing, ""));
        IllegalStateException inCi = assertThrows(IllegalStateException.class, () -> BrowserTools.onMissing(missing, "true"));
        assertTrue(inCi.getMessage().contains("/usr/bin/chromium") && inCi.getMessage().contains("CI=true"), inCi.getMessage());
    }

    @Test
    void nodeOlderThan20IsMissingWithTheWayToGetANewerOne() {
        String old = BrowserTools.nodeProblem("v18.20.4\n"); // Debian 12's own nodejs
        assertTrue(old != null && old.contains("20") && old.contains("v18.20.4") && old.contains("NodeSource"), old);
        String none = BrowserTools.nodeProblem(null);
        assertTrue(none != null && none.contains("NodeSource"), none);
        assertTrue(BrowserTools.nodeProblem("garbage") != null);
        assertNull(BrowserTools.nodeProblem("v20.20.2\n"));
        assertNull(BrowserTools.nodeProblem("v22.1.0"));
    }

    /** A "node" that prints and then hangs with its output still open: the limit bounds the whole run. */
    @Test
    @Timeout(20)
    void aHangingNodeIsGivenUpOnAtTheLimitEvenWithItsOutputOpen() {
        assertNull(BrowserTools.nodeVersion(List.of("sh", "-c", "echo v20.0.0; exec sleep 60"), Duration.ofSeconds(1)));
        assertEquals("v20.0.0\n", BrowserTools.nodeVersion(List.of("sh", "-c", "echo v20.0.0"), Duration.ofSeconds(10)));
        assertNull(BrowserTools.nodeVersion(List.of("no-such-program-kodiak-test"), Duration.ofSeconds(10)));
    }
}
