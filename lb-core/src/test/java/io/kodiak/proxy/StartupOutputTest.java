package io.kodiak.proxy;

import io.kodiak.testing.Loopback;
import io.kodiak.testing.ScriptedUpstream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What Kodiak prints when it starts, as its own process: a start that fails says so in one line
 * and nothing else (no stack trace from a health check cut short, no library noise), and a start
 * with HTTP checks prints nothing from SLF4J.
 */
@Timeout(180)
class StartupOutputTest {
    /** Child JVMs are slow to start on a busy machine; a few tries make the race likely enough. */
    private static final int TRIES = 6;
    private static final Duration EXIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;
    private ScriptedUpstream upstream;

    @AfterEach
    void stop() {
        if (upstream != null) {
            upstream.close();
        }
    }

    /**
     * A listener on {@code listen}, and two pools of {@code copies} upstreams each (all the same live
     * upstream, so no check fails and no transition is logged), one checked over HTTP and one over TCP,
     * every millisecond, so that checks are running whenever the start gives up.
     */
    private Path config(String listen, int copies) throws Exception {
        StringBuilder y = new StringBuilder("""
                admin: {listen: off, state-file: off}
                metrics: off
                listeners: [{name: web, address: %s, routes: [{pool: http}]}]
                pools:
                """.formatted(listen));
        for (String type : List.of("http", "tcp")) {
            y.append("  ").append(type).append(":\n    health-check: {type: ").append(type)
                    .append(", interval: 1ms, timeout: 1s, jitter: 0%}\n    upstreams:\n");
            for (int i = 0; i < copies; i++) {
                y.append("      - {name: ").append(type).append('-').append(i).append(", address: \"")
                        .append(upstream.hostPort()).append("\"}\n");
            }
        }
        return Files.writeString(dir.resolve("kodiak.yaml"), y.toString());
    }

    @Test
    void aStartWhoseListenerPortIsTakenPrintsOneCleanLineAndNoStackTrace() throws Exception {
        upstream = ScriptedUpstream.start("u");
        try (ServerSocket taken = new ServerSocket(0, 50, Loopback.ADDRESS)) {
            Path file = config("127.0.0.1:" + taken.getLocalPort(), 20);
            for (int i = 0; i < TRIES; i++) {
                ChildKodiak k = ChildKodiak.launch(file, List.of("-Xmx128m"));
                try {
                    List<String> err = k.stderrAfterExit(EXIT);
                    assertEquals(1, k.awaitExit(Duration.ZERO), "try " + i + ": " + err);
                    assertEquals(1, err.size(), "try " + i + ": one line, nothing else: " + String.join("\n", err));
                    assertTrue(err.get(0).startsWith("kodiak: listener web: cannot listen on 127.0.0.1:"
                            + taken.getLocalPort() + ": "), err.get(0));
                } finally {
                    k.close();
                }
            }
        }
    }

    @Test
    void aStartWithHttpChecksPrintsNothingFromSlf4j() throws Exception {
        upstream = ScriptedUpstream.start("u");
        ChildKodiak k = ChildKodiak.start(config("127.0.0.1:0", 1), List.of("-Xmx128m"), EXIT);
        try {
            upstream.await("the HTTP check ran", () -> upstream.requestsReceived() > 0, Duration.ofSeconds(30));
            k.signal("TERM");
            List<String> err = k.stderrAfterExit(EXIT);
            assertTrue(k.output().lines().noneMatch(l -> l.contains("SLF4J")), k.output());
            assertEquals(List.of("kodiak: SIGTERM: stopping", "kodiak: stopped"),
                    err.stream().map(l -> l.replaceAll(" \\(grace .*", "")).toList(), "nothing else on stderr");
        } finally {
            k.close();
        }
    }
}
