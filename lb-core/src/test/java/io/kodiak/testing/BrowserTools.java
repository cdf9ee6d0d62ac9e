package io.kodiak.testing;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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
    /** The oldest Node.js that playwright-core (pinned in package-lock.json) runs on. */
    static final int MIN_NODE = 20;
    private static final String NODE_HINT = ".ci/run installs NodeSource's nodejs 20; Debian 12's own nodejs is 18, too old";
    private static final List<String> NODE_VERSION = List.of("node", "--version");
    private static final Duration NODE_WAIT = Duration.ofSeconds(20);

    private BrowserTools() {
    }

    /** Checks Node.js, Chromium and the npm packages; skips or (with CI set) fails the test otherwise. */
    public static void require() {
        List<String> missing = missing(HARNESS);
        if (!missing.isEmpty()) {
            onMissing(missing, System.getenv("CI"));
        }
    }

    /** Checks Node.js alone (for tests that only parse the page's script); skips or (with CI set) fails as {@link #require()}. */
    public static void requireNode() {
        String problem = nodeProblem(nodeVersion(NODE_VERSION, NODE_WAIT));
        if (problem != null) {
            onMissing(List.of(problem), System.getenv("CI"));
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
        String node = nodeProblem(nodeVersion(NODE_VERSION, NODE_WAIT));
        if (node != null) {
            out.add(node);
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

    /**
     * What is wrong with the Node.js that printed {@code version} ({@code null}: none ran), or
     * {@code null} when it will do: playwright-core 1.65 needs Node.js 20 or later, and Debian 12's
     * own nodejs is 18, so a machine with only Debian's package has the wrong one.
     */
    static String nodeProblem(String version) {
        if (version == null) {
            return "node " + MIN_NODE + " or later (" + NODE_HINT + ")";
        }
        Matcher m = Pattern.compile("^v?(\\d+)\\.").matcher(version.trim());
        if (!m.find()) {
            return "node " + MIN_NODE + " or later; `node --version` printed \"" + version.trim() + "\" (" + NODE_HINT + ")";
        }
        int major = Integer.parseInt(m.group(1));
        return major >= MIN_NODE ? null
                : "node " + MIN_NODE + " or later, not " + version.trim() + " (playwright-core needs it; " + NODE_HINT + ")";
    }

    /**
     * What {@code command} (normally {@code node --version}) printed, or {@code null} if it is not
     * on PATH, failed, or did not finish within {@code limit}. The limit bounds the whole run: the
     * output goes to a file that is read only after the process ended, so a process that hangs with
     * its output open (or leaves a child holding it) cannot keep the caller waiting past it.
     */
    static String nodeVersion(List<String> command, Duration limit) {
        Path out = null;
        try {
            out = Files.createTempFile("node-version", ".txt");
            Process v = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            if (!v.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
                v.descendants().forEach(ProcessHandle::destroyForcibly);
                v.destroyForcibly();
                return null;
            }
            return v.exitValue() == 0 ? Files.readString(out) : null;
        } catch (IOException e) {
            return null; // not on PATH
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } finally {
            if (out != null) {
                try {
                    Files.deleteIfExists(out);
                } catch (IOException ignored) {
                    // a temporary file left behind is harmless
                }
            }
        }
    }

    /** Whether {@code node --version} runs, exits 0 within 20 s in all, and is Node.js 20 or later. */
    public static boolean nodeRuns() {
        return nodeProblem(nodeVersion(NODE_VERSION, NODE_WAIT)) == null;
    }
}
