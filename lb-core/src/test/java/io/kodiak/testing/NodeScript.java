package io.kodiak.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs a Node.js script that asks the test to act over a line protocol (see
 * {@code src/test/browser/harness.js}): a stdout line {@code STEP <what>} is handed to a
 * {@link Steps} handler, whose answer goes back on stdin as {@code ok [answer]}, or {@code error
 * <why>} if it threw. Every other line is kept for the test's failure message.
 *
 * <p>Bounded: the whole run has a deadline, after which the script is killed; then, and after any
 * end of the script, every process it started that is still there (its Chromium) is killed by PID,
 * so no browser outlives a failed test. The handler runs on the calling thread, between reads of
 * the script's output.
 */
public final class NodeScript {

    /** The test's side of the protocol: acts on one {@code STEP} and returns the answer's text. */
    @FunctionalInterface
    public interface Steps {
        String run(String what) throws Exception;
    }

    /** How the run ended: the exit code (-1 when killed at the deadline) and every line it printed. */
    public record Result(int exitCode, List<String> output) {
        /** The lines that failed a check, or say why the run stopped. */
        public List<String> failures() {
            return output.stream().filter(l -> l.startsWith("FAIL ")).toList();
        }

        @Override
        public String toString() {
            return "exit " + exitCode + "\n" + String.join("\n", output);
        }
    }

    private NodeScript() {
    }

    /**
     * Runs {@code node script} in {@code dir} with {@code env} added, answering its steps with
     * {@code steps}, for at most {@code limit}. Its stderr goes to {@code stderrFile}.
     */
    public static Result run(Path dir, String script, Map<String, String> env, Path stderrFile, Duration limit, Steps steps)
            throws IOException, InterruptedException {
        Files.createDirectories(stderrFile.toAbsolutePath().getParent());
        ProcessBuilder pb = new ProcessBuilder("node", script).directory(dir.toFile())
                .redirectError(stderrFile.toFile());
        pb.environment().putAll(env);
        Process p = pb.start();
        List<String> output = new ArrayList<>();
        // Every process the script started, seen while it ran: once the script is gone its children
        // are no longer its descendants, and an orphaned Chromium could otherwise never be found.
        Set<ProcessHandle> started = ConcurrentHashMap.newKeySet();
        AtomicBoolean timedOut = new AtomicBoolean();
        Thread watchdog = new Thread(() -> {
            long deadline = System.nanoTime() + limit.toNanos();
            try {
                while (!p.waitFor(500, TimeUnit.MILLISECONDS)) {
                    p.descendants().forEach(started::add);
                    if (System.nanoTime() > deadline) {
                        timedOut.set(true);
                        // All of them now: a child that inherited the script's stdout would keep the
                        // reading loop below from ever seeing its end.
                        p.descendants().forEach(started::add);
                        started.forEach(ProcessHandle::destroyForcibly);
                        p.destroyForcibly();
                        return;
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // the run is over; the reader cleans up
            }
        }, "node-script-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
             Writer in = new OutputStreamWriter(p.getOutputStream(), StandardCharsets.UTF_8)) {
            String line;
            while ((line = out.readLine()) != null) {
                synchronized (output) {
                    output.add(line);
                }
                System.out.println("[node] " + line); // live in the surefire report, for a hung run
                if (line.startsWith("STEP ")) {
                    String answer = answer(steps, line.substring(5));
                    synchronized (output) {
                        output.add("  -> " + answer);
                    }
                    in.write(answer + "\n");
                    in.flush();
                }
            }
        } catch (IOException e) {
            synchronized (output) {
                output.add("the script's pipes broke: " + e); // killed at its deadline, most likely
            }
        } finally {
            p.descendants().forEach(started::add);
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
            watchdog.interrupt();
            watchdog.join(10_000);
            killAll(started);
        }
        synchronized (output) {
            if (timedOut.get()) {
                output.add("KILLED: the script ran past " + limit);
            }
            if (Files.size(stderrFile) > 0) {
                output.add("stderr (" + stderrFile + "):");
                Files.readAllLines(stderrFile).stream().limit(40).forEach(l -> output.add("  " + l));
            }
            int code = timedOut.get() || p.isAlive() ? -1 : p.exitValue();
            return new Result(code, List.copyOf(output));
        }
    }

    private static String answer(Steps steps, String what) {
        try {
            String answer = steps.run(what);
            return answer == null || answer.isEmpty() ? "ok" : "ok " + answer.replace('\n', ' ');
        } catch (Exception | AssertionError e) {
            return "error " + String.valueOf(e).replace('\n', ' ');
        }
    }

    /**
     * Kills, by PID, what the script started and left running (Chromium and its helpers, after a
     * crash or at the deadline), and waits (bounded) until they are gone, so the next test starts
     * without them. A {@link ProcessHandle} checks the start time too, so a reused PID is safe.
     */
    private static void killAll(Set<ProcessHandle> started) throws InterruptedException {
        List<ProcessHandle> alive = started.stream().filter(ProcessHandle::isAlive).toList();
        alive.forEach(ProcessHandle::destroyForcibly);
        for (ProcessHandle h : alive) {
            try {
                h.onExit().get(10, TimeUnit.SECONDS);
            } catch (ExecutionException | TimeoutException e) {
                System.err.println("process " + h.pid() + " that the node script started is still there after SIGKILL: " + e);
            }
        }
    }
}
