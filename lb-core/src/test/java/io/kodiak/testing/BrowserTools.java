package io.kodiak.testing;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What the browser tests need: Node.js, Debian's Chromium at {@code /usr/bin/chromium}, and the npm
 * packages of {@code src/test/browser} (playwright-core, axe-core) installed by {@code npm ci}. As
 * with {@link GunicornCommand}, anything missing skips the test unless the {@code CI} environment
 * variable is set: then it fails, naming what is missing, since {@code .ci/run} installs all three.
 */
public final class BrowserTools {
    /** Where Debian's package {@code chromium} puts the browser; Playwright is told to use it. */
    public static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    /** The browser harness, relative to the module directory that surefire runs in. */
    public static final Path HARNESS = Path.of("src/test/browser");

    private BrowserTools() {
    }

    /** Checks Node.js, Chromium and the npm packages; skips or (with CI set) fails the test otherwise. */
    public static void require() {
        List<String> missing = missing(HARNESS);
        if (!missing.isEmpty()) {
            onMissing(missing, System.getenv("CI"));
        }
    }

    /** Checks Node.js alone (for tests that only parse the page's script); skips or fails as {@link #require()}. */
    public static void requireNode() {
        if (!nodeRuns()) {
            onMissing(List.of("node (apt-get install -y nodejs npm)"), System.getenv("CI"));
        }
    }

    /** What to do about {@code missing}, given the value of {@code CI} (null when unset). */
    static void onMissing(List<String> missing, String ciVariable) {
        String message = "the browser test needs " + String.join("; ", missing);
        if (ciVariable == null || ciVariable.isEmpty()) {
            Assumptions.abort(message + ". Skipping: the CI environment variable is unset.");
        }
        throw new IllegalStateException(message + ". Required because CI=" + ciVariable + ".");
    }

    /** What is missing of the three, each with how to install it; empty when all are there. */
    static List<String> missing(Path harness) {
        List<String> out = new ArrayList<>();
        if (!nodeRuns()) {
            out.add("node (apt-get install -y nodejs npm)");
        }
        if (!Files.isExecutable(CHROMIUM)) {
            out.add(CHROMIUM + " (apt-get install -y chromium chromium-driver)");
        }
        for (String pkg : List.of("playwright-core", "axe-core")) {
            if (!Files.isRegularFile(harness.resolve("node_modules").resolve(pkg).resolve("package.json"))) {
                Path where = harness.toAbsolutePath().normalize(); // absolute: surefire runs in the module, people in the repo
                out.add(where.resolve("node_modules").resolve(pkg) + " (cd " + where + " && npm ci)");
            }
        }
        return out;
    }

    /** Whether {@code node --version} runs and exits 0 (within 20 s). */
    public static boolean nodeRuns() {
        try {
            Process v = new ProcessBuilder("node", "--version").redirectErrorStream(true).start();
            v.getInputStream().readAllBytes();
            if (!v.waitFor(20, TimeUnit.SECONDS)) {
                v.destroyForcibly();
                return false;
            }
            return v.exitValue() == 0;
        } catch (IOException e) {
            return false; // not on PATH
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
