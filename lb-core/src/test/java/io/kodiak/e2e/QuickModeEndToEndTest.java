package io.kodiak.e2e;

import io.kodiak.Kodiak;
import io.kodiak.config.QuickMode;
import io.kodiak.testing.Dnsmasq;
import io.kodiak.testing.Gunicorn;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.RawResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@code kodiak proxy --to NAME:PORT --resolver IP:PORT}, {@code --to srv:_SERVICE._PROTO.NAME} and
 * {@code --to unix:/PATH} against a real dnsmasq and real Gunicorn instances: quick mode follows the
 * name and the SRV record's targets (a pool that starts before DNS has answered answers 503 until
 * it has), and reaches a Gunicorn bound to a Unix socket.
 */
@Timeout(120)
class QuickModeEndToEndTest {
    private static final Duration DEADLINE = Duration.ofSeconds(30);

    private final List<AutoCloseable> open = new ArrayList<>();
    private Kodiak kodiak;

    @AfterEach
    void stop() throws Exception {
        if (kodiak != null) {
            kodiak.close();
        }
        for (int i = open.size() - 1; i >= 0; i--) { // last opened, first closed
            open.get(i).close();
        }
    }

    private <T extends AutoCloseable> T keep(T c) {
        open.add(c);
        return c;
    }

    private int start(String to, Dnsmasq dns) throws Exception {
        return start(List.of("--to", to, "--resolver", dns.nameserver()));
    }

    private int start(List<String> args) throws Exception {
        List<String> all = new ArrayList<>(List.of("--listen", "127.0.0.1:0", "--admin", "off", "--metrics", "off"));
        all.addAll(args);
        kodiak = Kodiak.start(QuickMode.fromArgs(all));
        return kodiak.boundAddress(QuickMode.LISTENER).getPort();
    }

    @Test
    void aUnixSocketIsReachedAsAnUpstream() throws Exception {
        // Under /tmp: a Unix socket's path must fit in 108 bytes, which Maven's target directory may not.
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "kq");
        Path socket = dir.resolve("g.sock");
        keep(() -> {
            Files.deleteIfExists(socket);
            Files.deleteIfExists(dir);
        });
        keep(Gunicorn.builder("u1").extraArgs("--bind=unix:" + socket).start());
        int port = start(List.of("--to", "unix:" + socket));
        assertEquals("unix:g.sock", kodiak.pool(QuickMode.POOL).upstreams().get(0).name());
        try (RawClient c = RawClient.connect(port)) {
            RawResponse r = c.get("/");
            assertEquals(200, r.status());
            assertEquals("u1", r.bodyString().trim());
        }
    }

    @Test
    void aNameIsResolvedThroughTheGivenNameserver() throws Exception {
        Gunicorn g1 = keep(Gunicorn.builder("g1").start());
        Dnsmasq dns = keep(Dnsmasq.builder().hosts(Map.of("app.test", List.of("127.0.0.1"))).start());
        int port = start("app.test:" + g1.port(), dns);
        assertEquals(Set.of("g1"), awaitServed(port, Set.of("g1")));
        assertEquals(List.of("app.test:" + g1.port() + "[127.0.0.1:" + g1.port() + "]"),
                kodiak.pool(QuickMode.POOL).upstreams().stream().map(u -> u.name()).toList());
    }

    @Test
    void anSrvRecordsTargetsAllServe() throws Exception {
        Gunicorn g1 = keep(Gunicorn.builder("g1").start());
        Gunicorn g2 = keep(Gunicorn.builder("g2").start());
        Dnsmasq dns = keep(Dnsmasq.builder().hosts(Map.of("a1.test", List.of("127.0.0.1")))
                .srv(new Dnsmasq.Srv("_http._tcp.app.test", "a1.test", g1.port(), 10, 50))
                .srv(new Dnsmasq.Srv("_http._tcp.app.test", "a1.test", g2.port(), 10, 50)).start());
        int port = start("srv:_http._tcp.app.test", dns);
        assertEquals(Set.of("g1", "g2"), awaitServed(port, Set.of("g1", "g2")));
    }

    /**
     * Sends requests until every instance of {@code expected} has answered one, or the deadline
     * passes; 503 is what the pool answers before its first resolution and is retried.
     */
    private static Set<String> awaitServed(int port, Set<String> expected) throws Exception {
        Set<String> served = new HashSet<>();
        long end = System.nanoTime() + DEADLINE.toNanos();
        while (!served.containsAll(expected) && System.nanoTime() < end) {
            try (RawClient c = RawClient.connect(port)) {
                RawResponse r = c.get("/");
                if (r.status() == 200) {
                    served.add(r.bodyString().trim());
                } else {
                    assertEquals(503, r.status(), "before DNS answers, the pool has no upstream: " + r);
                    Thread.sleep(50); // poll: the discovery thread fills the pool on its own schedule
                }
            }
        }
        return served;
    }
}
