package io.kodiak.testing;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Slow requests through Kodiak so that upstreams have requests in flight for a while: a few client
 * threads, each sending {@code GET /sleep?ms=M} to the test app one after another on a keep-alive
 * connection. Bounded by {@link #stop()} and by {@code maxDuration}. A drained upstream's in-flight
 * count then falls from about {@code clients / upstreams} to 0 within {@code M} ms, slowly enough
 * for a page that polls once a second to show both.
 */
public final class SlowLoad implements AutoCloseable {
    private final int port;
    private final int sleepMillis;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final List<Thread> threads = new ArrayList<>();
    private final AtomicLong ok = new AtomicLong();
    private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();

    private SlowLoad(int port, int clients, int sleepMillis, Duration maxDuration) {
        this.port = port;
        this.sleepMillis = sleepMillis;
        long end = System.nanoTime() + maxDuration.toNanos();
        for (int i = 0; i < clients; i++) {
            Thread t = new Thread(() -> run(end), "slow-load-" + i);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
    }

    /** {@code clients} threads against Kodiak's {@code port}, each request sleeping {@code sleepMillis} upstream. */
    public static SlowLoad start(int port, int clients, int sleepMillis, Duration maxDuration) {
        return new SlowLoad(port, clients, sleepMillis, maxDuration);
    }

    private void run(long end) {
        RawClient c = null;
        while (running.get() && System.nanoTime() < end) {
            try {
                if (c == null) {
                    c = RawClient.connect(port);
                }
                RawResponse r = c.get("/sleep?ms=" + sleepMillis);
                if (r.status() == 200) {
                    ok.incrementAndGet();
                } else {
                    failures.add(r.status() + " " + r.bodyString().strip());
                }
                if ("close".equalsIgnoreCase(r.header("Connection"))) {
                    c.close();
                    c = null;
                }
            } catch (IOException e) {
                failures.add(String.valueOf(e));
                closeQuietly(c);
                c = null;
            }
        }
        closeQuietly(c);
    }

    private static void closeQuietly(RawClient c) {
        if (c != null) {
            try {
                c.close();
            } catch (IOException ignored) {
                // the connection is dropped either way
            }
        }
    }

    /** Requests answered 200 so far. */
    public long ok() {
        return ok.get();
    }

    /** Every failure so far (a status other than 200, or an I/O error). */
    public List<String> failures() {
        return List.copyOf(failures);
    }

    /** Stops sending and waits (bounded) for the requests in flight. */
    public void stop() throws InterruptedException {
        running.set(false);
        for (Thread t : threads) {
            t.join(sleepMillis + 15_000L);
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }

    @Override
    public String toString() {
        return "SlowLoad[" + threads.size() + " clients, /sleep?ms=" + sleepMillis + ", ok=" + ok + ", failures=" + failures.size() + "]";
    }
}
