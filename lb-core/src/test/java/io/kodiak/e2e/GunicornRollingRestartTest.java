package io.kodiak.e2e;

import io.kodiak.Kodiak;
import io.kodiak.config.ConfigLoader;
import io.kodiak.testing.Gunicorn;
import io.kodiak.testing.NumberedLoad;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What issue #5 promises with real Gunicorn: three instances behind Kodiak under a steady load of
 * GETs and POSTs; {@code examples/rolling-restart.sh}, driving Kodiak only through {@code kodiak
 * ctl}, drains, restarts and readies each instance in turn, and the load sees no failed request
 * and no 5xx.
 *
 * <p>Every request carries a sequence number ({@code ?seq=N}, issued in order). When the script
 * says an instance is drained (its {@code drain --wait} returned), the test notes the next number
 * to be issued and the instance's in-flight count; the instance's own access log must then show
 * no request numbered from there on. That check does not depend on when Gunicorn writes its log.
 */
@Timeout(240)
class GunicornRollingRestartTest {
    private static final String TOKEN = "rolling-restart-test-token";
    private static final int CLIENTS = 4;
    private static final Pattern DRAINED = Pattern.compile("rolling-restart: (\\S+): drained");

    @TempDir
    Path dir;
    private final Map<String, Gunicorn> current = new ConcurrentHashMap<>();
    private final List<Gunicorn> all = new ArrayList<>();
    private Kodiak kodiak;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final List<Thread> threads = new ArrayList<>();
    private NumberedLoad load;
    private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    private final Map<String, Long> seqAtDrain = new ConcurrentHashMap<>();
    private final Map<String, Integer> inFlightAtDrain = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<String> scriptOutput = new ConcurrentLinkedQueue<>();

    @AfterEach
    void stop() throws InterruptedException {
        running.set(false);
        if (load != null) {
            load.stop();
        }
        for (Thread t : threads) {
            t.join(10_000);
        }
        if (kodiak != null) {
            kodiak.close();
        }
        synchronized (all) {
            for (Gunicorn g : all) {
                g.kill();
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private Gunicorn gunicorn(String name, int port) throws Exception {
        Gunicorn g = Gunicorn.builder(name).port(port).workers(2).gracefulTimeout(Duration.ofSeconds(10)).start();
        synchronized (all) {
            all.add(g);
        }
        return g;
    }

    @Test
    void aRollingRestartUnderLoadFailsNoRequestAndNoRequestReachesADrainedInstance() throws Exception {
        List<Gunicorn> first = new ArrayList<>();
        for (String name : List.of("web-1", "web-2", "web-3")) {
            Gunicorn g = gunicorn(name, freePort());
            first.add(g);
            current.put(name, g);
        }
        String yaml = Gunicorn.kodiakYaml(first, """
                    health-check: {type: http, path: /, interval: 200ms, timeout: 500ms, rise: 1, fall: 2, jitter: 0%}
                    slow-start: 2s
                """).replace("""
                admin:
                  listen: off
                  state-file: off
                metrics: off
                """, """
                admin:
                  listen: 127.0.0.1:0
                  token: %s
                  state-file: %s
                metrics: off
                """.formatted(TOKEN, dir.resolve("kodiak.state.json")));
        kodiak = Kodiak.start(ConfigLoader.parse(yaml, dir.resolve("kodiak.yaml")));
        int port = kodiak.boundAddress("web").getPort();

        startRestarter();
        load = NumberedLoad.start(port, CLIENTS, 0, Duration.ofMinutes(3));
        load.awaitMore(200, Duration.ofSeconds(30));

        ProcessBuilder pb = new ProcessBuilder("bash", repoRoot().resolve("examples/rolling-restart.sh").toString(), "app",
                "touch " + dir + "/restart-{upstream} && for i in $(seq 1 1200); do "
                        + "[ -e " + dir + "/restarted-{upstream} ] && exit 0; sleep 0.05; done; exit 1",
                "--drain-timeout", "30s", "--up-timeout", "30s")
                .redirectErrorStream(true);
        pb.environment().put("KODIAK", launcher().toString());
        pb.environment().put("KODIAK_ADMIN", "127.0.0.1:" + kodiak.adminAddress().getPort());
        pb.environment().put("KODIAK_ADMIN_TOKEN", TOKEN);
        Process script = pb.start();
        Thread reader = readScript(script);
        assertTrue(script.waitFor(180, TimeUnit.SECONDS), "the script finished: " + scriptOutput);
        reader.join(5_000);
        load.awaitMore(200, Duration.ofSeconds(30)); // the restarted pool serves on
        load.stop();
        running.set(false);

        assertEquals(0, script.exitValue(), "script output:\n" + String.join("\n", scriptOutput));
        List<String> failed = new ArrayList<>(failures);
        failed.addAll(load.failures());
        assertEquals(List.of(), failed.stream().limit(5).toList(), failed.size() + " of " + (load.ok() + failed.size())
                + " requests failed; script output:\n" + String.join("\n", scriptOutput));
        for (Gunicorn old : first) {
            String name = old.name();
            assertTrue(seqAtDrain.containsKey(name), name + " was drained: " + scriptOutput);
            assertEquals(0, inFlightAtDrain.get(name), name + ": drain --wait returned with requests in flight");
            long from = seqAtDrain.get(name);
            List<Long> late = NumberedLoad.seqs(old.accessLogLines()).stream().filter(s -> s >= from).toList();
            assertEquals(List.of(), late, name + " got requests issued after its drain returned (at seq " + from + ")");
            assertTrue(NumberedLoad.seqs(old.accessLogLines()).size() > 10, name + " served before its restart");
        }
        for (String name : List.of("web-1", "web-2", "web-3")) {
            Gunicorn now = current.get(name);
            assertTrue(now != first.get(List.of("web-1", "web-2", "web-3").indexOf(name)), name + " was restarted");
            assertTrue(!NumberedLoad.seqs(now.awaitAccessLogLines(1, Duration.ofSeconds(5))).isEmpty(), name + " serves again after its restart");
        }
    }

    /** Restarts an instance when the script's restart command asks (a file), on the same port, then answers (a file). */
    private void startRestarter() {
        Thread t = new Thread(() -> {
            long end = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
            while (running.get()) {
                if (System.nanoTime() > end) {
                    return;
                }
                for (String name : List.of("web-1", "web-2", "web-3")) {
                    Path ask = dir.resolve("restart-" + name);
                    if (!Files.exists(ask)) {
                        continue;
                    }
                    try {
                        Files.delete(ask);
                        Gunicorn old = current.get(name);
                        old.stop(); // graceful: SIGTERM, workers finish, all gone
                        current.put(name, gunicorn(name + "-gen2", old.port()));
                        Files.createFile(dir.resolve("restarted-" + name));
                    } catch (Exception e) {
                        failures.add("restart of " + name + " failed: " + e);
                    }
                }
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "restarter");
        t.setDaemon(true);
        threads.add(t);
        t.start();
    }

    private Thread readScript(Process script) {
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(script.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    Matcher m = DRAINED.matcher(line);
                    if (m.find()) {
                        String name = m.group(1);
                        seqAtDrain.put(name, load.nextSeq());
                        inFlightAtDrain.put(name, kodiak.upstream("app", name).inFlight());
                    }
                    scriptOutput.add(line);
                }
            } catch (IOException e) {
                scriptOutput.add("(reading the script's output failed: " + e + ")");
            }
        }, "script-output");
        t.setDaemon(true);
        t.start();
        return t;
    }

    /**
     * A launcher for the script's {@code kodiak ctl}: this JVM's classes, as bin/kodiak would run
     * them (bin/kodiak itself would rebuild the project from inside its own test run).
     */
    private Path launcher() throws IOException {
        Path l = dir.resolve("kodiak");
        Files.writeString(l, "#!/bin/sh\nexec '" + Path.of(System.getProperty("java.home"), "bin", "java") + "' -cp '"
                + System.getProperty("java.class.path") + "' io.kodiak.Main \"$@\"\n");
        Files.setPosixFilePermissions(l, PosixFilePermissions.fromString("rwx------"));
        return l;
    }

    private static Path repoRoot() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.exists(p.resolve("examples/rolling-restart.sh"))) {
            p = p.getParent();
        }
        if (p == null) {
            throw new IllegalStateException("examples/rolling-restart.sh not found above " + Path.of("").toAbsolutePath());
        }
        return p;
    }
}
