package io.kodiak.e2e;

import io.kodiak.Kodiak;
import io.kodiak.config.ConfigLoader;
import io.kodiak.testing.Gunicorn;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.RawResponse;
import io.kodiak.upstream.PoolRuntime;
import io.kodiak.upstream.Upstream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * What issue #4 promises with real Gunicorn: three instances behind Kodiak under a steady load of
 * GETs; one is killed with SIGKILL (master and workers) or frozen with SIGSTOP mid-run, and no
 * client request fails, but a response the failed instance had already begun (no proxy can
 * retry a response whose head the client has; see {@link #assertNoFailedRequest}). The killed
 * instance is DOWN within fall × interval (+ timeout), UP within rise × interval after it is
 * started again, and then ramps up (slow start), visible in the requests it gets.
 *
 * <p>Every load loop runs for a bounded time (the kill test's load lasts the 30 s). The time bounds asserted here are the
 * health-check bounds the issue asks for, with one second of slack for process start-up and
 * scheduling on a busy two-CPU machine.
 */
@Timeout(180)
class GunicornFailoverTest {
    private static final Duration INTERVAL = Duration.ofMillis(250);
    private static final Duration CHECK_TIMEOUT = Duration.ofMillis(250);
    private static final int RISE = 2;
    private static final int FALL = 2;
    private static final int WORKERS = 2;
    private static final Duration SLOW_START = Duration.ofSeconds(4);
    private static final Duration SLACK = Duration.ofSeconds(1);
    private static final int CLIENTS = 4;
    private static final Duration LOAD = Duration.ofSeconds(30);

    private final List<Gunicorn> instances = new ArrayList<>();
    private Kodiak kodiak;
    private final AtomicBoolean loadRunning = new AtomicBoolean();
    private final List<Thread> clients = new ArrayList<>();
    /** Every response the load got: when (nanoTime), the instance that answered, or the failure. */
    private final ConcurrentLinkedQueue<Result> results = new ConcurrentLinkedQueue<>();

    private record Result(long atNanos, String instance, int status, String failure) {
    }

    @AfterEach
    void stop() throws InterruptedException {
        stopLoad();
        if (kodiak != null) {
            kodiak.close();
        }
        for (Gunicorn g : instances) {
            g.kill();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private Gunicorn gunicorn(String name, int port) throws Exception {
        Gunicorn g = Gunicorn.builder(name).port(port).workers(WORKERS).start();
        instances.add(g);
        return g;
    }

    private int startKodiak(List<Gunicorn> gs) throws Exception {
        String yaml = Gunicorn.kodiakYaml(gs, """
                    health-check: {type: http, path: /, interval: %dms, timeout: %dms, rise: %d, fall: %d, jitter: 0%%}
                    slow-start: %ds
                    timeouts: {connect: 1s, response: 1s, read: 1s}
                """.formatted(INTERVAL.toMillis(), CHECK_TIMEOUT.toMillis(), RISE, FALL, SLOW_START.toSeconds()));
        kodiak = Kodiak.start(ConfigLoader.parse(yaml, Path.of("failover.yaml")));
        return kodiak.boundAddress("web").getPort();
    }

    /** CLIENTS threads sending GETs on keep-alive connections until stopLoad (and at most 2 minutes). */
    private void startLoad(int port) {
        loadRunning.set(true);
        long end = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        for (int i = 0; i < CLIENTS; i++) {
            Thread t = new Thread(() -> {
                RawClient c = null;
                while (loadRunning.get() && System.nanoTime() < end) {
                    try {
                        if (c == null) {
                            c = RawClient.connect(port);
                        }
                        RawResponse r = c.get("/");
                        results.add(new Result(System.nanoTime(), r.header("X-Instance"), r.status(), null));
                        if ("close".equalsIgnoreCase(r.header("Connection"))) {
                            closeQuietly(c);
                            c = null;
                        }
                    } catch (IOException e) {
                        results.add(new Result(System.nanoTime(), null, 0, e.toString()));
                        closeQuietly(c);
                        c = null;
                    }
                }
                closeQuietly(c);
            }, "load-" + i);
            t.setDaemon(true);
            clients.add(t);
            t.start();
        }
    }

    private static void closeQuietly(RawClient c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (IOException ignored) {
            // the connection is being dropped either way
        }
    }

    private void stopLoad() throws InterruptedException {
        loadRunning.set(false);
        for (Thread t : clients) {
            t.join(10_000);
        }
        clients.clear();
    }

    private static long await(String what, BooleanSupplier condition, Duration limit) throws InterruptedException {
        long start = System.nanoTime();
        long deadline = start + limit.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                fail(what + " not within " + limit);
            }
            Thread.sleep(10);
        }
        return System.nanoTime() - start;
    }

    /**
     * No request failed, but for responses the failed instance had begun: Gunicorn writes a
     * response's head and body in two sends, and a SIGKILL or SIGSTOP between them leaves a
     * response whose head the client already has, which no proxy can retry. Kodiak cuts it (at the
     * connection's end, or the read timeout); there are at most as many as that instance has
     * workers. Every other failure fails the test.
     */
    private void assertNoFailedRequest() {
        List<Result> bad = results.stream().filter(r -> r.status != 200).toList();
        List<Result> notCut = bad.stream().filter(r -> r.failure == null
                || !r.failure.startsWith("java.io.EOFException: connection closed after")).toList();
        assertEquals(List.of(), notCut.stream().limit(5).toList(), bad.size() + " of " + results.size() + " requests failed");
        assertTrue(bad.size() <= WORKERS, "more responses cut than the failed instance has workers: " + bad);
    }

    private long served(String instance, long fromNanos, long toNanos) {
        return results.stream().filter(r -> instance.equals(r.instance) && r.atNanos >= fromNanos && r.atNanos < toNanos).count();
    }

    private long all(long fromNanos, long toNanos) {
        return results.stream().filter(r -> r.atNanos >= fromNanos && r.atNanos < toNanos).count();
    }

    @Test
    void aFrozenInstanceIsFoundByTimeoutAndCostsNoRequest() throws Exception {
        Gunicorn g1 = gunicorn("g1", freePort());
        Gunicorn g2 = gunicorn("g2", freePort());
        Gunicorn g3 = gunicorn("g3", freePort());
        int port = startKodiak(List.of(g1, g2, g3));
        Upstream u2 = kodiak.pool("app").upstreams().get(1);
        startLoad(port);
        await("traffic on every instance", () -> results.stream().map(Result::instance).distinct().count() >= 3,
                Duration.ofSeconds(20));

        g2.freeze(true); // SIGSTOP: its socket still accepts, nobody answers
        long frozenAt = System.nanoTime();
        long down = await("g2 DOWN", () -> !u2.healthy(), Duration.ofSeconds(30));
        Duration downBound = INTERVAL.multipliedBy(FALL).plus(CHECK_TIMEOUT.multipliedBy(FALL)).plus(SLACK);
        assertTrue(down <= downBound.toNanos(), "DOWN after " + down / 1_000_000 + " ms, bound " + downBound.toMillis() + " ms");
        Thread.sleep(1_500); // longer than the response timeout: requests caught by the freeze were retried
        long after = System.nanoTime();
        Thread.sleep(1_000);
        stopLoad();
        System.out.printf("SIGSTOP: DOWN after %d ms; %d requests, %d failed%n", down / 1_000_000, results.size(),
                results.stream().filter(r -> r.status != 200).count());
        assertEquals(0, served("g2", after, Long.MAX_VALUE), "no request goes to a DOWN instance");
        assertTrue(all(frozenAt, Long.MAX_VALUE) > 100, "the others carried the load");
        // A response g2 had begun is cut at the read timeout (1 s here), not waited on.
        assertNoFailedRequest();
        g2.freeze(false);
    }

    @Test
    void aKilledInstanceCostsNoRequestAndComesBackWithASlowStart() throws Exception {
        int port2 = freePort();
        Gunicorn g1 = gunicorn("g1", freePort());
        Gunicorn g2 = gunicorn("g2", port2);
        Gunicorn g3 = gunicorn("g3", freePort());
        int port = startKodiak(List.of(g1, g2, g3));
        PoolRuntime pool = kodiak.pool("app");
        Upstream u2 = pool.upstreams().get(1);
        long loadStart = System.nanoTime();
        startLoad(port);
        await("traffic on every instance", () -> results.stream().map(Result::instance).distinct().count() >= 3,
                Duration.ofSeconds(20));

        g2.kill(); // SIGKILL to master and workers, mid-run
        long down = await("g2 DOWN", () -> !u2.healthy(), Duration.ofSeconds(30));
        Duration downBound = INTERVAL.multipliedBy(FALL).plus(CHECK_TIMEOUT).plus(SLACK);
        assertTrue(down <= downBound.toNanos(), "DOWN after " + down / 1_000_000 + " ms, bound " + downBound.toMillis() + " ms");
        Thread.sleep(500); // requests keep coming while it is down

        Gunicorn g2again = gunicorn("g2", port2); // returns once its workers have loaded the app
        long up = await("g2 UP", u2::healthy, Duration.ofSeconds(30));
        long upAt = System.nanoTime();
        Duration upBound = INTERVAL.multipliedBy(RISE).plus(CHECK_TIMEOUT).plus(SLACK);
        assertTrue(up <= upBound.toNanos(), "UP " + up / 1_000_000 + " ms after g2 was ready again, bound "
                + upBound.toMillis() + " ms");
        // Slow start: in the first half of the ramp g2 gets a smaller share than in the second half,
        // and both smaller than after it.
        long half = SLOW_START.toNanos() / 2;
        await("slow start over", () -> System.nanoTime() - upAt > SLOW_START.toNanos() + 1_500_000_000L, Duration.ofSeconds(30));
        // The steady load lasts 30 s in all: the rest of it on the recovered fleet.
        await("30 s of load", () -> System.nanoTime() - loadStart >= LOAD.toNanos(), LOAD);
        stopLoad();
        double first = served("g2", upAt, upAt + half) / (double) all(upAt, upAt + half);
        double second = served("g2", upAt + half, upAt + 2 * half) / (double) all(upAt + half, upAt + 2 * half);
        double after = served("g2", upAt + 2 * half + 200_000_000L, Long.MAX_VALUE)
                / (double) all(upAt + 2 * half + 200_000_000L, Long.MAX_VALUE);
        System.out.printf("kill -9: DOWN after %d ms, UP %d ms after the restart was ready; g2's share %.3f / %.3f / %.3f"
                + " (slow start halves, after); %d requests, %d failed%n", down / 1_000_000, up / 1_000_000,
                first, second, after, results.size(), results.stream().filter(r -> r.status != 200).count());
        assertTrue(first < second && second < after && after > 0.25,
                String.format("g2's share: %.3f in the first half of its slow start, %.3f in the second, %.3f after",
                        first, second, after));
        assertNoFailedRequest();
        assertTrue(g2again.awaitAccessLogLines(1, Duration.ofSeconds(5)).size() >= 1, "the restarted g2 served");
    }
}
