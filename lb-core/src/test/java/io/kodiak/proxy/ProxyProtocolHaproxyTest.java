package io.kodiak.proxy;

import io.kodiak.config.ConfigLoader;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.RecordedRequest;
import io.kodiak.testing.ScriptedUpstream;
import io.kodiak.testing.Tools;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Kodiak behind a real HAProxy (Debian's), the way users run it behind a load balancer: HAProxy
 * sends PROXY protocol v2 ({@code send-proxy-v2}, with its LOCAL health checks) and v1
 * ({@code send-proxy}) to a {@code proxy-protocol: true} listener, and {@code option forwardfor}
 * to a {@code real-ip} listener. The client connects from 127.0.0.2, so the address HAProxy saw
 * differs from HAProxy's own 127.0.0.1: the upstream's X-Forwarded-For and the access log's
 * {@code $remote_addr} must show 127.0.0.2.
 */
@Timeout(90)
class ProxyProtocolHaproxyTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String CLIENT = "127.0.0.2";

    @TempDir
    Path dir;
    private ScriptedUpstream upstream;
    private ProxyServer server;
    private Process haproxy;

    @BeforeAll
    static void requireHaproxy() {
        Tools.require("haproxy", "-v", "haproxy");
    }

    @BeforeEach
    void start() throws Exception {
        upstream = ScriptedUpstream.start("app");
        Path file = dir.resolve("kodiak.yaml");
        Files.writeString(file, "admin: {listen: off, state-file: off}\nmetrics: off\n"
                + "listeners:\n"
                + "  - name: proxied\n    address: 127.0.0.1:0\n    proxy-protocol: true\n    proxy-protocol-from: [127.0.0.1]\n"
                + "    access-log: {target: " + dir.resolve("proxied.log") + ", format: '$remote_addr $realip_remote_addr $request_uri'}\n"
                + "  - name: forwarded\n    address: 127.0.0.1:0\n    real-ip: {from: [127.0.0.1]}\n"
                + "    access-log: {target: " + dir.resolve("forwarded.log") + ", format: '$remote_addr $realip_remote_addr $request_uri'}\n"
                + "pools:\n  app: {health-check: {type: none}, upstreams: [{name: app, address: \"" + upstream.hostPort() + "\"}]}\n");
        server = ProxyServer.start(ConfigLoader.load(file));
    }

    @AfterEach
    void stop() {
        if (haproxy != null) {
            Tools.stop(haproxy); // the one process this test started, by its handle
        }
        if (server != null) {
            server.close();
        }
        upstream.close();
    }

    /** A port free now: HAProxy cannot bind port 0 and tell us, so one is picked and let go. */
    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Starts HAProxy in the foreground with three frontends; returns their ports (v2, v1, http). */
    private int[] startHaproxy() throws Exception {
        int proxied = server.boundAddress("proxied").getPort();
        int forwarded = server.boundAddress("forwarded").getPort();
        int[] ports = {freePort(), freePort(), freePort()};
        Path cfg = dir.resolve("haproxy.cfg");
        Files.writeString(cfg, String.join("\n",
                "global",
                "    maxconn 100",
                "defaults",
                "    mode tcp",
                "    timeout connect 5s",
                "    timeout client 30s",
                "    timeout server 30s",
                "frontend v2",
                "    bind 127.0.0.1:" + ports[0],
                "    default_backend kodiak_v2",
                "backend kodiak_v2",
                "    server k 127.0.0.1:" + proxied + " send-proxy-v2 check inter 300ms", // checks send LOCAL headers
                "frontend v1",
                "    bind 127.0.0.1:" + ports[1],
                "    default_backend kodiak_v1",
                "backend kodiak_v1",
                "    server k 127.0.0.1:" + proxied + " send-proxy",
                "frontend http",
                "    mode http",
                "    option forwardfor",
                "    bind 127.0.0.1:" + ports[2],
                "    default_backend kodiak_http",
                "backend kodiak_http",
                "    mode http",
                "    server k 127.0.0.1:" + forwarded,
                ""));
        haproxy = new ProcessBuilder("haproxy", "-f", cfg.toString(), "-db")
                .redirectErrorStream(true).redirectOutput(dir.resolve("haproxy.out").toFile()).start();
        for (int port : ports) {
            Conditions.await("HAProxy listening on " + port + " (" + output() + ")", () -> accepts(port), WAIT);
        }
        return ports;
    }

    private String output() {
        try {
            return Files.readString(dir.resolve("haproxy.out"));
        } catch (IOException e) {
            return e.toString();
        }
    }

    private boolean accepts(int port) {
        if (!haproxy.isAlive()) {
            throw new AssertionError("haproxy exited: " + output());
        }
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** A request to HAProxy on {@code port} from 127.0.0.2. */
    private int get(int port, String path) throws Exception {
        Socket s = new Socket();
        s.bind(new InetSocketAddress(CLIENT, 0));
        s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        s.setSoTimeout(20_000);
        try (RawClient c = RawClient.over(s)) {
            return c.exchange("GET " + path + " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").status();
        }
    }

    private List<String> lines(String name) {
        try {
            Path p = dir.resolve(name);
            return Files.exists(p) ? Files.readAllLines(p, StandardCharsets.UTF_8) : List.of();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void theAddressHaproxySawReachesTheUpstreamAndTheLogOverV2V1AndForwardFor() throws Exception {
        int[] ports = startHaproxy();
        assertEquals(200, get(ports[0], "/v2"));
        assertEquals(200, get(ports[1], "/v1"));
        assertEquals(200, get(ports[2], "/forwarded"));

        RecordedRequest v2 = upstream.takeRequest(WAIT);
        assertEquals("/v2", v2.path());
        assertEquals(CLIENT, v2.header("X-Forwarded-For"));
        RecordedRequest v1 = upstream.takeRequest(WAIT);
        assertEquals("/v1", v1.path());
        assertEquals(CLIENT, v1.header("X-Forwarded-For"));
        RecordedRequest fwd = upstream.takeRequest(WAIT);
        assertEquals("/forwarded", fwd.path());
        // HAProxy's list kept, and the client Kodiak believes appended.
        assertEquals(CLIENT + ", " + CLIENT, fwd.header("X-Forwarded-For"));

        Conditions.await("two proxied log lines", () -> lines("proxied.log").size() == 2, WAIT);
        assertEquals(List.of(CLIENT + " " + CLIENT + " /v2", CLIENT + " " + CLIENT + " /v1"), lines("proxied.log"));
        Conditions.await("a forwarded log line", () -> lines("forwarded.log").size() == 1, WAIT);
        // $realip_remote_addr: the peer real-ip trusted, HAProxy itself.
        assertEquals(List.of(CLIENT + " 127.0.0.1 /forwarded"), lines("forwarded.log"));

        // HAProxy's health checks (v2 LOCAL headers) are read as headers, never refused.
        ProxyProtocolCounts counts = server.proxyProtocol("proxied");
        Conditions.await("a health check's LOCAL header", () -> counts.ok.sum() >= 3, WAIT);
        assertEquals(0, counts.invalid.sum() + counts.refused.sum() + counts.timeouts.sum(), counts.toString());
        assertTrue(haproxy.isAlive());
    }
}
