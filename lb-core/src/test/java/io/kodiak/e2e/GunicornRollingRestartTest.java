package io.kodiak.e2e;

import io.kodiak.Kodiak;
import io.kodiak.config.ConfigLoader;
import io.kodiak.testing.Gunicorn;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.RawResponse;
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
import java.util.concurrent.atomic.AtomicLong;
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
    private static final Pattern SEQ = Pattern.compile("[?&]seq=(\\d+)");
    private static final Pattern DRAINED = Pattern.compile("rolling-restart: (\\S+): drained");

    @TempDir
    Path dir;
    private final Map<String, Gunicorn> current = new ConcurrentHashMap<>();
    private final List<Gunicorn> all = new ArrayList<>();
    private Kodiak kodiak;
    private final AtomicBoolean loadRunning = new AtomicBoolean();
    private final List<Thread> threads = new ArrayList<>();
    private final AtomicLong nextSeq = new AtomicLong();
    private final AtomicLong ok = new AtomicLong();
    private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    private final Map<String, Long> seqAtDrain = new ConcurrentHashMap<>();
    private final Map<String, Integer> inFlightAtDrain = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<String> scriptOutput = new ConcurrentLinkedQueue<>();

    @AfterEach
    void stop() throws InterruptedException {
        loadRunning.set(false);
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
                """, """
                admin:
                  listen: 127.0.0.1:0
                  token: %s
                  state-file: %s
                """.formatted(TOKEN, dir.resolve("kodiak.state.json")));
        kodiak = Kodiak.start(ConfigLoader.parse(yaml, dir.resolve("kodiak.yaml")));
        int port = kodiak.boundAddress("web").getPort();

        startRestarter();
        startLoad(port);
        awaitRequests(200);

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
        long seqAtEnd = nextSeq.get();
        awaitRequestsAfter(seqAtEnd, 200); // the restarted pool serves on
        loadRunning.set(false);
        for (Thread t : threads) {
            t.join(10_000);
        }

        assertEquals(0, script.exitValue(), "script output:\n" + String.join("\n", scriptOutput));
        assertEquals(List.of(), failures.stream().limit(5).toList(), failures.size() + " of " + (ok.get() + failures.size())
                + " requests failed; script output:\n" + String.join("\n", scriptOutput));
        for (Gunicorn old : first) {
            String name = old.name();
            assertTrue(seqAtDrain.containsKey(name), name + " was drained: " + scriptOutput);
            assertEquals(0, inFlightAtDrain.get(name), name + ": drain --wait returned with requests in flight");
            long from = seqAtDrain.get(name);
            List<Long> late = seqs(old.accessLogLines()).stream().filter(s -> s >= from).toList();
            assertEquals(List.of(), late, name + " got requests issued after its drain returned (at seq " + from + ")");
            assertTrue(seqs(old.accessLogLines()).size() > 10, name + " served before its restart");
        }
        for (String name : List.of("web-1", "web-2", "web-3")) {
            Gunicorn now = current.get(name);
            assertTrue(now != first.get(List.of("web-1", "web-2", "web-3").indexOf(name)), name + " was restarted");
            assertTrue(!seqs(now.awaitAccessLogLines(1, Duration.ofSeconds(5))).isEmpty(), name + " serves again after its restart");
        }
    }

    private static List<Long> seqs(List<String> accessLog) {
        List<Long> out = new ArrayList<>();
        for (String line : accessLog) {
            Matcher m = SEQ.matcher(line);
            if (m.find()) {
                out.add(Long.parseLong(m.group(1)));
            }
        }
        return out;
    }

    /** Restarts an instance when the script's restart command asks (a file), on the same port, then answers (a file). */
    private void startRestarter() {
        Thread t = new Thread(() -> {
            long end = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
            while (loadRunning.get() || System.nanoTime() < end) {
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
                        seqAtDrain.put(name, nextSeq.get());
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

    /** CLIENTS threads alternating GET / and POST /echo on keep-alive connections, each request numbered. */
    private void startLoad(int port) {
        loadRunning.set(true);
        long end = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        for (int i = 0; i < CLIENTS; i++) {
            Thread t = new Thread(() -> {
                RawClient c = null;
                boolean post = false;
                while (loadRunning.get() && System.nanoTime() < end) {
                    long seq = nextSeq.getAndIncrement();
                    post = !post;
                    String body = "payload-" + seq;
                    try {
                        if (c == null) {
                            c = RawClient.connect(port);
                        }
                        RawResponse r = post
                                ? c.exchange("POST /echo?seq=" + seq + " HTTP/1.1\r\nHost: app\r\nContent-Type: text/plain\r\n"
                                + "Content-Length: " + body.length() + "\r\n\r\n" + body)
                                : c.get("/?seq=" + seq);
                        if (r.status() != 200 || (post && !r.bodyString().equals(echoOf(body)))) {
                            failures.add("seq " + seq + ": " + r.status() + " " + r.bodyString());
                        } else {
                            ok.incrementAndGet();
                        }
                        if ("close".equalsIgnoreCase(r.header("Connection"))) {
                            c.close();
                            c = null;
                        }
                    } catch (IOException e) {
                        failures.add("seq " + seq + ": " + e);
                        closeQuietly(c);
                        c = null;
                    }
                }
                closeQuietly(c);
            }, "load-" + i);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
    }

    /** What the test app's /echo answers: the body's SHA-256 and length, so a mangled body shows. */
    private static String echoOf(String body) {
        try {
            byte[] d = java.security.MessageDigest.getInstance("SHA-256").digest(body.getBytes(StandardCharsets.UTF_8));
            return "sha256=" + java.util.HexFormat.of().formatHex(d) + " len=" + body.length();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void closeQuietly(RawClient c) {
        if (c != null) {
            try {
                c.close();
            } catch (IOException ignored) {
                // dropped either way
            }
        }
    }

    private void awaitRequests(long n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (ok.get() < n && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(ok.get() >= n, "the load got going: " + ok.get() + " ok, failures " + failures);
    }

    private void awaitRequestsAfter(long seq, long n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (nextSeq.get() < seq + n && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
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
