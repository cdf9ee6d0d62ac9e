package io.kodiak.testing;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * System programs the tests drive (Debian packages that {@code .ci/run} installs). A missing one
 * skips the test, unless the {@code CI} environment variable is set: then it fails, because in CI a
 * missing program is a broken build, not a reason to quietly skip tests.
 */
public final class Tools {
    private Tools() {
    }

    /**
     * Checks that {@code command versionFlag} runs and exits 0.
     *
     * @param debianPackage what to install, for the message
     */
    public static void require(String command, String versionFlag, String debianPackage) {
        boolean found;
        try {
            Process v = new ProcessBuilder(command, versionFlag).redirectErrorStream(true).start();
            v.getInputStream().readAllBytes();
            found = v.waitFor(20, TimeUnit.SECONDS) && v.exitValue() == 0;
        } catch (IOException e) {
            found = false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            found = false;
        }
        if (!found) {
            String message = command + " is not installed (not on PATH); install it with: apt-get install -y " + debianPackage;
            String ci = System.getenv("CI");
            if (ci == null || ci.isEmpty()) {
                Assumptions.abort(message + ". Skipping: the CI environment variable is unset.");
            }
            throw new IllegalStateException(message + ". Required because CI=" + ci + ".");
        }
    }

    /** Ends a process the test started: politely, then by force after 10 s of each. */
    public static void stop(Process process) {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }

    /** What a finished command printed (stdout and stderr) and its exit code. */
    public record Result(int exitCode, String output) {
    }

    /** Runs {@code command} in {@code dir} (with {@code env} added) to its end, within 60 s. */
    public static Result run(java.nio.file.Path dir, java.util.Map<String, String> env, String... command)
            throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(List.of(command))).directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException(String.join(" ", command) + " did not finish in 60 s");
        }
        return new Result(p.exitValue(), new String(out, java.nio.charset.StandardCharsets.UTF_8));
    }
}
