package io.kodiak.proxy;

import io.kodiak.testing.Gunicorn;
import io.kodiak.testing.NumberedLoad;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.ScriptedUpstream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Kodiak as its own process, driven by signals: SIGTERM under load answers every request it
 * accepted, a second SIGTERM exits at once, SIGHUP reloads the file (and a bad file changes nothing),
 * SIGUSR1 reopens the access logs.
 */
@Timeout(120)
class SignalTest {
    @TempDir
    Path dir;
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
    }

    private Path config(String upstreams, String extra) throws Exception {
        Path file = dir.resolve("kodiak.yaml");
        Files.writeString(file, """
                admin:
                  listen: off
                  state-file: off
                metrics: off
                listeners:
                  - name: web
                    address: 127.0.0.1:0
                pools:
                  app:
                    upstreams: [%s]
                """.formatted(upstreams) + extra);
        return file;
    }

    private ChildKodiak start(Path file) throws Exception {
        ChildKodiak k = ChildKodiak.start(file, List.of("-Xmx256m"), Duration.ofSeconds(30));
        closeables.add(k);
        return k;
    }

    @Test
    void sigtermUnderLoadAnswersEveryRequestKodiakAccepted() throws Exception {
        Gunicorn g = Gunicorn.builder("app").workers(4).start();
        closeables.add(g);
        ChildKodiak k = start(config(g.hostPort(), "shutdown-grace: 10s\n"));
        NumberedLoad load = NumberedLoad.start(k.port(), 6, 100, Duration.ofMinutes(1));
        closeables.add(load);
        load.awaitMore(100, Duration.ofSeconds(30));
        k.signal("TERM");
        assertEquals(0, k.awaitExit(Duration.ofSeconds(20)), "every request in flight finished within the grace: " + k.output());
        load.stop();
        assertTrue(k.output().contains("kodiak: stopped"), k.output());
        g.stop(); // its access log is complete once it has stopped
        List<Long> reached = NumberedLoad.seqs(g.accessLogLines());
        List<Long> unanswered = reached.stream().filter(s -> !load.answered(s)).toList();
        assertEquals(List.of(), unanswered, "requests that reached the upstream but got no complete answer; load failures: "
                + load.failures().stream().limit(5).toList());
        assertTrue(reached.size() >= 100, "the load ran: " + reached.size());
    }

    @Test
    void aSecondSigtermExitsAtOnce() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        ScriptedUpstream up = ScriptedUpstream.start("a", req -> {
            try {
                release.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return ScriptedUpstream.defaultResponse("a", req);
        });
        closeables.add(() -> {
            release.countDown();
            up.close();
        });
        ChildKodiak k = start(config(up.hostPort(), "shutdown-grace: 60s\n"));
        RawClient held = RawClient.connect(k.port());
        closeables.add(held);
        held.send("GET /held HTTP/1.1\r\nHost: x\r\n\r\n");
        up.await("the request reached the upstream", () -> up.requestsReceived() == 1, Duration.ofSeconds(10));
        k.signal("TERM");
        assertEquals(-1, k.awaitExit(Duration.ofMillis(1000)), "the first SIGTERM waits for the request in flight");
        k.signal("TERM");
        assertEquals(1, k.awaitExit(Duration.ofSeconds(10)), "the second exits at once: " + k.output());
        assertTrue(k.output().contains("again: exiting now"), k.output());
    }

    @Test
    void sighupReloadsTheFileAndABadFileChangesNothing() throws Exception {
        ScriptedUpstream a = ScriptedUpstream.start("a");
        ScriptedUpstream b = ScriptedUpstream.start("b");
        closeables.add(a);
        closeables.add(b);
        Path file = config(a.hostPort(), "");
        ChildKodiak k = start(file);
        config(a.hostPort() + ", " + b.hostPort(), "");
        k.signal("HUP");
        try {
            Conditions.await("the reload is logged", () -> k.output().contains("kodiak: reloaded: version"), Duration.ofSeconds(20));
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; Kodiak's output: " + k.output() + "\nits threads:\n" + k.threadDump(), e);
        }
        assertTrue(k.output().contains("pool app: upstream " + b.hostPort() + " (" + b.hostPort() + ") added"), k.output());
        try (RawClient c = RawClient.connect(k.port())) {
            List<String> who = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                who.add(c.get("/").header("X-Upstream"));
            }
            assertTrue(who.contains("a") && who.contains("b"), who.toString());
        }
        Files.writeString(file, Files.readString(file) + "    strategy: fastest\n");
        k.signal("HUP");
        Conditions.await("the rejection is logged", () -> k.output().contains("kodiak: reload rejected, still running version"),
                Duration.ofSeconds(20));
        assertTrue(k.output().contains(file + ":11: pools.app.strategy: "), k.output());
        try (RawClient c = RawClient.connect(k.port())) {
            assertEquals(200, c.get("/").status(), "still serving");
        }
        assertTrue(k.isAlive());
    }

    @Test
    void sigusr1ReopensTheAccessLogsAsLogrotateExpects() throws Exception {
        ScriptedUpstream a = ScriptedUpstream.start("a");
        closeables.add(a);
        Path log = dir.resolve("access.log");
        Path file = config(a.hostPort(), "");
        Files.writeString(file, Files.readString(file).replace("    address: 127.0.0.1:0\n",
                "    address: 127.0.0.1:0\n    access-log: " + log + "\n"));
        ChildKodiak k = start(file);
        assertTrue(Files.exists(log), "opened at start");
        Files.move(log, dir.resolve("access.log.1")); // logrotate's rename, then its postrotate: kill -USR1
        k.signal("USR1");
        Conditions.await("the reopen is logged", () -> k.output().contains("kodiak: SIGUSR1: "), Duration.ofSeconds(20));
        Conditions.await("a new file at the path", () -> Files.exists(log), Duration.ofSeconds(20));
        assertTrue(k.output().contains("kodiak: SIGUSR1: access log of listener web (file " + log + "): reopened"), k.output());
        k.signal("USR1"); // again: a second reopen is as harmless as the first
        Conditions.await("the second reopen is logged", () -> k.output().split("kodiak: SIGUSR1: ", -1).length == 3,
                Duration.ofSeconds(20));
        assertTrue(k.isAlive(), "SIGUSR1 never ends the process, as the JVM's default would");
        try (RawClient c = RawClient.connect(k.port())) {
            assertEquals(200, c.get("/").status(), "still serving");
        }
    }

    @Test
    void anAdminStateSetBeforeARestartIsInForceAfterIt() throws Exception {
        ScriptedUpstream a = ScriptedUpstream.start("a");
        ScriptedUpstream b = ScriptedUpstream.start("b");
        closeables.add(a);
        closeables.add(b);
        Path file = config(a.hostPort() + ", " + b.hostPort(), "");
        Files.writeString(file, Files.readString(file).replace("""
                admin:
                  listen: off
                  state-file: off
                metrics: off
                """, "admin:\n  listen: 127.0.0.1:0\n  token: " + AdminApiTest.TOKEN + "\nmetrics: off\n"));
        ChildKodiak first = start(file);
        java.util.Map<String, String> env = java.util.Map.of("KODIAK_ADMIN", "127.0.0.1:" + first.adminPort(),
                "KODIAK_ADMIN_TOKEN", AdminApiTest.TOKEN, "KODIAK_HOME", dir.toString());
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        java.io.PrintStream sink = new java.io.PrintStream(new java.io.ByteArrayOutputStream(), true, java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(io.kodiak.admin.Ctl.OK, io.kodiak.admin.Ctl.run(List.of("maint", "app", a.hostPort()), sink,
                new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8), env::get), err.toString());
        first.signal("TERM");
        assertEquals(0, first.awaitExit(Duration.ofSeconds(20)), first.output());
        assertTrue(Files.readString(dir.resolve("kodiak.state.json")).contains("\"state\": \"maint\""));

        ChildKodiak second = start(file);
        int before = a.requestsReceived();
        try (RawClient c = RawClient.connect(second.port())) {
            for (int i = 0; i < 4; i++) {
                assertEquals("b", c.get("/").header("X-Upstream"), "a is still in maint");
            }
        }
        assertEquals(before, a.requestsReceived());
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        java.util.Map<String, String> env2 = java.util.Map.of("KODIAK_ADMIN", "127.0.0.1:" + second.adminPort(),
                "KODIAK_HOME", dir.toString());
        assertEquals(io.kodiak.admin.Ctl.OK, io.kodiak.admin.Ctl.run(List.of("status"),
                new java.io.PrintStream(out, true, java.nio.charset.StandardCharsets.UTF_8), sink, env2::get));
        assertTrue(out.toString().lines().anyMatch(l -> l.contains(a.hostPort()) && l.contains("MAINT")), out.toString());
    }
}
