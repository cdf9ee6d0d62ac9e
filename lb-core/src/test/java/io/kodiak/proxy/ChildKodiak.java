package io.kodiak.proxy;

import io.kodiak.Main;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Kodiak as a separate process: {@code java ... io.kodiak.Main run -c FILE} on this test's own
 * classpath, so it can run under JVM limits of its own, or any command that runs Kodiak (an
 * installed {@code bin/kodiak}, which execs its JVM, so the PID is Kodiak's). The listener binds
 * port 0; the bound port is taken from the line {@code Main} prints for it. The last lines of its
 * output are kept for failure messages. Closing destroys the process (only this one, by its handle).
 */
public final class ChildKodiak implements AutoCloseable {
    private static final Pattern LISTENER = Pattern.compile("^listener \\S+: http://[^:]+:(\\d+) ");
    private static final Pattern ADMIN = Pattern.compile("^admin API: http://[^:]+:(\\d+)/");
    private static final int KEPT_LINES = 200;

    private final Process process;
    private final CompletableFuture<Integer> port = new CompletableFuture<>();
    private final CompletableFuture<Integer> adminPort = new CompletableFuture<>();
    private final Deque<String> output = new ArrayDeque<>(); // guarded by itself
    private final List<CompletableFuture<Void>> drained = new ArrayList<>();

    private ChildKodiak(Process process) {
        this.process = process;
        drain(process.getInputStream(), "out", true);
        drain(process.getErrorStream(), "err", false);
    }

    /** Starts Kodiak with {@code config} and waits (up to {@code startup}) for its first listener's port. */
    static ChildKodiak start(Path config, List<String> jvmOptions, Duration startup) throws IOException {
        return awaitPort(launch(config, jvmOptions), startup);
    }

    /** Runs {@code command} with {@code env} added and waits (up to {@code startup}) for its first listener's port. */
    public static ChildKodiak start(List<String> command, Map<String, String> env, Duration startup) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().putAll(env);
        return awaitPort(new ChildKodiak(pb.start()), startup);
    }

    private static ChildKodiak awaitPort(ChildKodiak child, Duration startup) throws IOException {
        try {
            child.port.get(startup.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            child.close();
            throw new IOException("interrupted while Kodiak started", e);
        } catch (ExecutionException | TimeoutException e) {
            child.close();
            throw new IOException("Kodiak did not report a listener within " + startup + ": " + child.output(), e);
        }
        return child;
    }

    /** Starts Kodiak with {@code config} and returns at once, for a start that is meant to fail. */
    static ChildKodiak launch(Path config, List<String> jvmOptions) throws IOException {
        List<String> command = new ArrayList<>();
        // As bin/kodiak starts "run": SIGHUP back to its default, so a test run under nohup (which
        // the JVM would inherit as ignored) still reloads on it.
        command.addAll(List.of("env", "--default-signal=HUP"));
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(Main.class.getName());
        command.add("run");
        command.add("-c");
        command.add(config.toString());
        return new ChildKodiak(new ProcessBuilder(command).start());
    }

    public int port() {
        return port.join();
    }

    /**
     * What the process wrote to stderr, once it has exited and both streams have been read to
     * their end (the last {@value #KEPT_LINES} lines of both streams are kept).
     */
    List<String> stderrAfterExit(Duration limit) throws Exception {
        if (awaitExit(limit) == -1) {
            throw new TimeoutException(this + " still runs after " + limit + ": " + output());
        }
        CompletableFuture.allOf(drained.toArray(CompletableFuture[]::new)).get(limit.toMillis(), TimeUnit.MILLISECONDS);
        synchronized (output) {
            return output.stream().filter(l -> l.startsWith("err: ")).map(l -> l.substring(5)).toList();
        }
    }

    /** The admin API's port, from the line Main prints for it (it comes after the listeners'). */
    public int adminPort() throws Exception {
        return adminPort.get(10, TimeUnit.SECONDS);
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** Sends signal {@code name} (TERM, HUP, ...) to this process only, by its PID. */
    public void signal(String name) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
        if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new IOException("kill -" + name + " " + process.pid() + " failed");
        }
    }

    /** The process's threads as {@code jcmd PID Thread.print} shows them, for a test that found it stuck. */
    public String threadDump() {
        try {
            Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                    Long.toString(process.pid()), "Thread.print").redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            p.waitFor(10, TimeUnit.SECONDS);
            return new String(out, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(jcmd failed: " + e + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "(interrupted)";
        }
    }

    /** @return the exit code, or -1 if the process is still running after {@code limit} */
    public int awaitExit(Duration limit) throws InterruptedException {
        return process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS) ? process.exitValue() : -1;
    }

    /** Peak resident memory of the process in KiB ({@code VmHWM}), or -1 where /proc is unavailable. */
    long peakRssKib() {
        Path status = Path.of("/proc", Long.toString(process.pid()), "status");
        try {
            for (String line : Files.readAllLines(status)) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    /** The last lines the process wrote, both streams interleaved. */
    public String output() {
        synchronized (output) {
            return String.join("\n", output);
        }
    }

    @Override
    public void close() {
        io.kodiak.testing.Tools.stop(process);
    }

    private void drain(InputStream in, String name, boolean scanForPort) {
        CompletableFuture<Void> ended = new CompletableFuture<>();
        drained.add(ended);
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    keep(name + ": " + line);
                    Matcher m = LISTENER.matcher(line);
                    if (scanForPort && m.find()) {
                        port.complete(Integer.parseInt(m.group(1)));
                    }
                    Matcher a = ADMIN.matcher(line);
                    if (scanForPort && a.find()) {
                        adminPort.complete(Integer.parseInt(a.group(1)));
                    }
                }
            } catch (IOException e) {
                keep(name + ": read failed: " + e);
            }
            port.completeExceptionally(new IOException("Kodiak's " + name + " ended"));
            ended.complete(null);
        }, "child-kodiak-" + name);
        t.setDaemon(true);
        t.start();
    }

    private void keep(String line) {
        synchronized (output) {
            output.addLast(line);
            if (output.size() > KEPT_LINES) {
                output.removeFirst();
            }
        }
    }

    @Override
    public String toString() {
        return "ChildKodiak[pid " + process.pid() + (process.isAlive() ? "" : " exited " + process.exitValue()) + "]";
    }
}
