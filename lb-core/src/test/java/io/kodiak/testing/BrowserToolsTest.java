package io.kodiak.testing;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.TestAbortedException;

import java.nio.file.Path;
import java.util.List;

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
}
