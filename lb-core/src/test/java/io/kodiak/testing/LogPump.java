package io.kodiak.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * Drains one output stream of a child process, line by line, into a file and a list that tests can
 * wait on. Draining matters beyond logging: a child blocks once its pipe buffer (64 KiB) is full.
 * The pump thread is the only writer; readers see snapshots.
 */
final class LogPump {

    private final Path file;
    private final Thread thread;
    private final List<String> lines = new ArrayList<>(); // guarded by this
    private boolean ended; // guarded by this
    private IOException failure; // guarded by this

    LogPump(String threadName, InputStream in, Path file) {
        this.file = file;
        this.thread = new Thread(() -> pump(in), threadName);
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    Path file() {
        return file;
    }

    synchronized List<String> lines() {
        return List.copyOf(lines);
    }

    /**
     * Waits until {@code condition} holds for the lines so far, or the stream ended.
     *
     * @return whether the condition holds
     */
    synchronized boolean await(Predicate<List<String>> condition, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.test(lines) && !ended) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                break;
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return condition.test(lines);
    }

    /** Waits for the stream to end (every writer closed it); returns whether it did. */
    boolean awaitEnd(Duration timeout) throws InterruptedException {
        thread.join(Math.max(1, timeout.toMillis()));
        return !thread.isAlive();
    }

    /** The error that stopped the pump early, if any. */
    synchronized IOException failure() {
        return failure;
    }

    private void pump(InputStream in) {
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
             Writer out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            String line;
            while ((line = reader.readLine()) != null) {
                out.write(line);
                out.write('\n');
                out.flush(); // the file is for people reading it while a test hangs
                synchronized (this) {
                    lines.add(line);
                    notifyAll();
                }
            }
        } catch (IOException e) {
            synchronized (this) {
                failure = e;
            }
        } finally {
            synchronized (this) {
                ended = true;
                notifyAll();
            }
        }
    }

    @Override
    public synchronized String toString() {
        return "LogPump[" + file + ", " + lines.size() + " lines" + (ended ? ", ended" : "")
                + (failure != null ? ", failed: " + failure : "") + "]";
    }
}
