package io.kodiak.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** HTTP checks against real servers on 127.0.0.1; waits are bounded queues, and no timing is asserted. */
@Timeout(60)
class HttpProbeClientTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private ScheduledExecutorService timer;
    private HttpProbeClient client;
    private final List<AutoCloseable> resources = new ArrayList<>();
    private HttpServer server;
    private volatile int status = 200;
    private volatile String body = "ok";
    private final BlockingQueue<String> seen = new LinkedBlockingQueue<>();

    @BeforeEach
    void start() throws IOException {
        timer = new ScheduledThreadPoolExecutor(1);
        client = new HttpProbeClient(timer);
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        server.createContext("/", exchange -> {
            seen.add(exchange.getRequestMethod() + " " + exchange.getRequestURI() + " Host=" + exchange.getRequestHeaders().getFirst("Host")
                    + " Connection=" + exchange.getRequestHeaders().getFirst("Connection"));
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("X-Node-State", "drain");
            boolean head = exchange.getRequestMethod().equals("HEAD");
            exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
            if (!head) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(bytes);
                }
            }
            exchange.close();
        });
        server.start();
    }

    @AfterEach
    void stop() throws Exception {
        client.close();
        timer.shutdownNow();
        server.stop(0);
        for (AutoCloseable r : resources) {
            r.close();
        }
    }

    private InetSocketAddress address() {
        return server.getAddress();
    }

    private static HttpCheck get(String path) {
        return new HttpCheck("GET", path, null, HttpCheck.DEFAULT_STATUS, null);
    }

    private ProbeResult probeOnce(Probe probe, Duration timeout) throws InterruptedException {
        BlockingQueue<ProbeResult> results = new LinkedBlockingQueue<>();
        AtomicInteger reports = new AtomicInteger();
        probe.start(timeout, r -> {
            reports.incrementAndGet();
            results.add(r);
        });
        ProbeResult result = results.poll(30, TimeUnit.SECONDS);
        assertNotNull(result, "the probe never reported");
        assertEquals(null, results.poll(200, TimeUnit.MILLISECONDS), "a probe reports exactly once");
        assertEquals(1, reports.get());
        return result;
    }

    @Test
    void aTwoHundredPassesAndTheRequestIsWhatTheCheckSays() throws Exception {
        ProbeResult r = probeOnce(client.probe(address(), get("/healthz?full=1")), TIMEOUT);
        assertEquals(ProbeStatus.SUCCESS, r.status(), r.toString());
        assertEquals("HTTP 200", r.detail());
        String request = seen.poll(5, TimeUnit.SECONDS);
        assertEquals("GET /healthz?full=1 Host=127.0.0.1:" + address().getPort() + " Connection=close", request);
    }

    @Test
    void requestedHeadersArePassedOnWithAPassedCheck() throws Exception {
        HttpCheck check = new HttpCheck("GET", "/", null, HttpCheck.DEFAULT_STATUS, null, java.util.Set.of("X-Node-State", "X-Absent"));
        ProbeResult r = probeOnce(client.probe(address(), check), TIMEOUT);
        assertEquals(java.util.Map.of("x-node-state", "drain"), r.headers());
        status = 503;
        assertEquals(java.util.Map.of(), probeOnce(client.probe(address(), check), TIMEOUT).headers(),
                "a failed check reports no node state");
        assertEquals(java.util.Map.of(), probeOnce(client.probe(address(), get("/")), TIMEOUT).headers(), "only what was asked for");
    }

    @Test
    void methodAndHostHeaderAreSent() throws Exception {
        HttpCheck check = new HttpCheck("HEAD", "/ping", "app.example", HttpCheck.DEFAULT_STATUS, null);
        ProbeResult r = probeOnce(client.probe(address(), check), TIMEOUT);
        assertEquals(ProbeStatus.SUCCESS, r.status(), r.toString());
        assertEquals("HEAD /ping Host=app.example Connection=close", seen.poll(5, TimeUnit.SECONDS));
    }

    @Test
    void threeHundredsPassByDefaultFiveHundredsDoNot() throws Exception {
        status = 302;
        assertEquals(ProbeStatus.SUCCESS, probeOnce(client.probe(address(), get("/")), TIMEOUT).status(),
                "HAProxy's httpchk counts 2xx and 3xx as passed");
        status = 503;
        ProbeResult r = probeOnce(client.probe(address(), get("/")), TIMEOUT);
        assertEquals(ProbeStatus.UNEXPECTED_RESPONSE, r.status());
        assertEquals("HTTP 503, expected [200-399]", r.detail());
        status = 404;
        assertEquals(ProbeStatus.UNEXPECTED_RESPONSE, probeOnce(client.probe(address(), get("/")), TIMEOUT).status());
    }

    @Test
    void expectedStatusesAreConfigurable() throws Exception {
        HttpCheck only204 = new HttpCheck("GET", "/", null, List.of(new HttpCheck.StatusRange(204, 204)), null);
        status = 200;
        assertEquals(ProbeStatus.UNEXPECTED_RESPONSE, probeOnce(client.probe(address(), only204), TIMEOUT).status());
        status = 204;
        assertEquals(ProbeStatus.SUCCESS, probeOnce(client.probe(address(), only204), TIMEOUT).status());
    }

    @Test
    void expectedBodyTextMustBeThere() throws Exception {
        HttpCheck check = new HttpCheck("GET", "/", null, HttpCheck.DEFAULT_STATUS, "\"status\": \"ready\"");
        body = "{\"status\": \"ready\", \"db\": \"ok\"}";
        assertEquals(ProbeStatus.SUCCESS, probeOnce(client.probe(address(), check), TIMEOUT).status());
        body = "{\"status\": \"starting\"}";
        ProbeResult r = probeOnce(client.probe(address(), check), TIMEOUT);
        assertEquals(ProbeStatus.UNEXPECTED_RESPONSE, r.status());
        assertEquals("HTTP 200 without \"\"status\": \"ready\"\" in the first 65536 bytes of the body", r.detail());
    }

    @Test
    void textBeyondTheFirst64KiBIsNotSearched() throws Exception {
        HttpCheck check = new HttpCheck("GET", "/", null, HttpCheck.DEFAULT_STATUS, "READY");
        body = "x".repeat(HttpProbeClient.MAX_BODY_BYTES) + "READY";
        assertEquals(ProbeStatus.UNEXPECTED_RESPONSE, probeOnce(client.probe(address(), check), TIMEOUT).status());
        body = "x".repeat(HttpProbeClient.MAX_BODY_BYTES - 5) + "READY";
        assertEquals(ProbeStatus.SUCCESS, probeOnce(client.probe(address(), check), TIMEOUT).status());
    }

    @Test
    void aClosedPortIsRefused() throws Exception {
        InetSocketAddress closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = (InetSocketAddress) s.getLocalSocketAddress();
        }
        ProbeResult r = probeOnce(client.probe(closed, get("/")), TIMEOUT);
        assertEquals(ProbeStatus.REFUSED, r.status(), r.toString());
    }

    /** A hung upstream (accepts, never answers) fails by the check's own timeout, not the client's minute. */
    @Test
    void anUpstreamThatNeverAnswersTimesOut() throws Exception {
        ServerSocket hung = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        resources.add(hung);
        List<Socket> accepted = new ArrayList<>();
        Thread acceptor = new Thread(() -> {
            try {
                while (true) {
                    Socket s = hung.accept();
                    synchronized (accepted) {
                        accepted.add(s);
                    }
                }
            } catch (IOException closed) {
                // the test is over
            }
        });
        acceptor.setDaemon(true);
        acceptor.start();
        resources.add(() -> {
            synchronized (accepted) {
                for (Socket s : accepted) {
                    s.close();
                }
            }
        });
        ProbeResult r = probeOnce(client.probe((InetSocketAddress) hung.getLocalSocketAddress(), get("/")),
                Duration.ofMillis(300));
        assertEquals(ProbeStatus.TIMEOUT, r.status(), r.toString());
    }

    @Test
    void anUnresolvedAddressIsRejectedUpFront() {
        assertThrows(IllegalArgumentException.class,
                () -> client.probe(InetSocketAddress.createUnresolved("localhost", 80), get("/")));
    }

    @Test
    void aClosedClientRefusesToStartChecks() {
        Probe probe = client.probe(address(), get("/"));
        client.close();
        assertThrows(IllegalStateException.class, () -> probe.start(TIMEOUT, r -> { }));
    }
}
