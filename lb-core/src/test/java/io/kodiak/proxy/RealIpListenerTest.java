package io.kodiak.proxy;

import io.kodiak.accesslog.AccessLogEntry;
import io.kodiak.config.ConfigLoader;
import io.kodiak.filter.Filters;
import io.kodiak.filter.LogFilter;
import io.kodiak.filter.RequestFilter;
import io.kodiak.filter.ResponseFilter;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.RecordedRequest;
import io.kodiak.testing.ScriptedUpstream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code real-ip} over real sockets: a trusted peer's header gives each request of a keep-alive
 * connection its own client, which routes on {@code source}, filters, hashing, X-Forwarded-For and
 * the log all use; an untrusted peer keeps its address and loses its forwarding claims; behind
 * the PROXY protocol, the header's address is the peer {@code from} is checked against.
 */
@Timeout(60)
class RealIpListenerTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path dir;
    private ScriptedUpstream app;
    private ScriptedUpstream office;
    private ProxyServer server;
    private final LinkedBlockingQueue<AccessLogEntry> log = new LinkedBlockingQueue<>();
    private final List<String> seenByFilters = new CopyOnWriteArrayList<>();

    @BeforeEach
    void upstreams() throws Exception {
        app = ScriptedUpstream.start("app");
        office = ScriptedUpstream.start("office");
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        app.close();
        office.close();
    }

    /** What the catch-all route to the app adds, such as {@code , request-headers: {...}}. */
    private String appRoute = "";

    /** A listener with {@code lines}; requests from 203.0.113.0/24 go to the office pool. */
    private void start(String lines) throws Exception {
        Path file = dir.resolve("kodiak.yaml");
        Files.writeString(file, "admin: {listen: off, state-file: off}\nmetrics: off\n"
                + "listeners:\n  - name: front\n    address: 127.0.0.1:0\n" + lines
                + "    routes: [{source: 203.0.113.0/24, pool: office}, {pool: app" + appRoute + "}]\n"
                + "pools:\n  app: {health-check: {type: none}, upstreams: [{name: app, address: \"" + app.hostPort() + "\"}]}\n"
                + "  office: {health-check: {type: none}, upstreams: [{name: office, address: \"" + office.hostPort() + "\"}]}\n");
        server = ProxyServer.start(ConfigLoader.load(file));
        server.filters("front", new Filters(new RequestFilter[] {r -> {
            seenByFilters.add(r.clientAddress());
            return RequestFilter.Verdict.CONTINUE;
        }}, new ResponseFilter[0], new LogFilter[] {log::add}));
    }

    private RawClient client() throws Exception {
        return RawClient.connect(server.boundAddress("front").getPort());
    }

    @Test
    void aTrustedPeersHeaderGivesEachRequestItsClientForRoutesFiltersForwardingAndTheLog() throws Exception {
        start("    real-ip: {from: [127.0.0.0/8, 10.0.0.0/8], recursive: true}\n");
        try (RawClient c = client()) {
            c.send("GET /a HTTP/1.1\r\nHost: t\r\nX-Forwarded-For: 6.6.6.6, 203.0.113.9, 10.0.0.3\r\n\r\n");
            assertEquals(200, c.readResponse().status());
            c.send("GET /b HTTP/1.1\r\nHost: t\r\nX-Forwarded-For: 198.51.100.4:5000\r\n\r\n"); // another client, same connection
            assertEquals(200, c.readResponse().status());
            c.send("GET /c HTTP/1.1\r\nHost: t\r\n\r\n"); // none: the peer's own
            assertEquals(200, c.readResponse().status());
        }
        RecordedRequest first = office.takeRequest(WAIT); // routed on source by the real address
        assertEquals("/a", first.path());
        // The incoming list is kept, and the client Kodiak settled on appended (nginx's $proxy_add_x_forwarded_for).
        assertEquals("6.6.6.6, 203.0.113.9, 10.0.0.3, 203.0.113.9", first.header("X-Forwarded-For"));
        assertEquals("198.51.100.4:5000, 198.51.100.4", app.takeRequest(WAIT).header("X-Forwarded-For"));
        assertEquals("127.0.0.1", app.takeRequest(WAIT).header("X-Forwarded-For"));
        assertEquals(List.of("203.0.113.9", "198.51.100.4", "127.0.0.1"), seenByFilters);
        AccessLogEntry a = log.poll(10, TimeUnit.SECONDS);
        assertEquals("203.0.113.9", a.clientAddress());
        assertEquals(-1, a.clientPort()); // the header gave none
        assertEquals("127.0.0.1", a.realIpRemoteAddress());
        AccessLogEntry b = log.poll(10, TimeUnit.SECONDS);
        assertEquals("198.51.100.4", b.clientAddress());
        assertEquals(5000, b.clientPort());
    }

    @Test
    void withoutRecursiveTheLastEntryIsTheClient() throws Exception {
        start("    real-ip: {from: [127.0.0.1], header: X-Real-IP}\n");
        try (RawClient c = client()) {
            c.send("GET / HTTP/1.1\r\nHost: t\r\nX-Forwarded-For: 203.0.113.1\r\nX-Real-IP: 198.51.100.4\r\n\r\n");
            assertEquals(200, c.readResponse().status());
        }
        RecordedRequest seen = app.takeRequest(WAIT);
        assertEquals("203.0.113.1, 198.51.100.4", seen.header("X-Forwarded-For"));
        assertEquals("198.51.100.4", seen.header("X-Real-IP"));
        assertEquals("198.51.100.4", log.poll(10, TimeUnit.SECONDS).clientAddress());
    }

    @Test
    void anUntrustedPeerKeepsItsAddressAndItsForwardingClaimsAreNotPassedOn() throws Exception {
        start("    real-ip: {from: [192.0.2.0/24], header: X-Real-IP}\n    forwarded-headers: {forwarded: true}\n");
        try (RawClient c = client()) {
            c.send("GET / HTTP/1.1\r\nHost: t\r\nX-Forwarded-For: 203.0.113.9\r\nX-Real-IP: 203.0.113.9\r\n"
                    + "Forwarded: for=203.0.113.9\r\n\r\n");
            assertEquals(200, c.readResponse().status());
        }
        RecordedRequest seen = app.takeRequest(WAIT); // not the office: the spoofed address routes nowhere
        assertEquals("127.0.0.1", seen.header("X-Forwarded-For"));
        assertNull(seen.header("X-Real-IP"));
        assertEquals("for=127.0.0.1;proto=http;host=\"t\"", seen.header("Forwarded"));
        assertEquals(0, office.requestsReceived());
        assertEquals("127.0.0.1", log.poll(10, TimeUnit.SECONDS).clientAddress());
    }

    @Test
    void anUntrustedPeersXRealIpIsDroppedWhateverHeaderRealIpReads() throws Exception {
        start("    real-ip: {from: [192.0.2.0/24]}\n"); // reads X-Forwarded-For
        try (RawClient c = client()) {
            c.send("GET / HTTP/1.1\r\nHost: t\r\nX-Real-IP: 203.0.113.9\r\nX-Forwarded-For: 203.0.113.9\r\n\r\n");
            assertEquals(200, c.readResponse().status());
        }
        RecordedRequest seen = app.takeRequest(WAIT);
        assertNull(seen.header("X-Real-IP"));
        assertEquals("127.0.0.1", seen.header("X-Forwarded-For"));
    }

    @Test
    void aHeaderRuleThatSetsAClaimStillSendsItForAnUntrustedPeer() throws Exception {
        // The docs' own example: the app reads X-Real-IP, which Kodiak sets to the client it settled on.
        appRoute = ", request-headers: {set: {X-Real-IP: $remote_addr, CF-Connecting-IP: $remote_addr}}";
        start("    real-ip: {from: [192.0.2.0/24], header: CF-Connecting-IP}\n");
        try (RawClient c = client()) {
            c.send("GET / HTTP/1.1\r\nHost: t\r\nX-Real-IP: 203.0.113.9\r\nCF-Connecting-IP: 203.0.113.9\r\n\r\n");
            assertEquals(200, c.readResponse().status());
            c.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n"); // and when the client sent none
            assertEquals(200, c.readResponse().status());
        }
        for (int i = 0; i < 2; i++) {
            RecordedRequest seen = app.takeRequest(WAIT);
            assertEquals(List.of("127.0.0.1"), seen.headers().values("X-Real-IP"), seen.rawHeadString());
            assertEquals(List.of("127.0.0.1"), seen.headers().values("CF-Connecting-IP"), seen.rawHeadString());
        }
    }

    @Test
    void behindThePeerOfAProxyProtocolHeaderTheTrustIsCheckedAgainstItsAddress() throws Exception {
        start("    proxy-protocol: true\n    real-ip: {from: [10.0.0.0/8]}\n");
        try (RawClient c = client()) {
            c.send("PROXY TCP4 10.1.1.1 127.0.0.1 40000 80\r\nGET / HTTP/1.1\r\nHost: t\r\nX-Forwarded-For: 203.0.113.9\r\n\r\n");
            assertEquals(200, c.readResponse().status());
        }
        try (RawClient c = client()) {
            c.send("PROXY TCP4 192.0.2.1 127.0.0.1 40000 80\r\nGET / HTTP/1.1\r\nHost: t\r\nX-Forwarded-For: 203.0.113.9\r\n\r\n");
            assertEquals(200, c.readResponse().status());
        }
        assertEquals("203.0.113.9, 203.0.113.9", office.takeRequest(WAIT).header("X-Forwarded-For"));
        assertEquals("192.0.2.1", app.takeRequest(WAIT).header("X-Forwarded-For"));
        AccessLogEntry trusted = log.poll(10, TimeUnit.SECONDS);
        assertEquals("203.0.113.9", trusted.clientAddress());
        assertEquals("10.1.1.1", trusted.realIpRemoteAddress());
    }

    @Test
    void consistentHashingIsOnTheRealClient() throws Exception {
        ScriptedUpstream second = ScriptedUpstream.start("second");
        try {
            Path file = dir.resolve("kodiak.yaml");
            Files.writeString(file, "admin: {listen: off, state-file: off}\nmetrics: off\n"
                    + "listeners:\n  - name: front\n    address: 127.0.0.1:0\n    real-ip: {from: [127.0.0.1]}\n"
                    + "pools:\n  app:\n    strategy: consistent-hash\n    health-check: {type: none}\n"
                    + "    upstreams: [{name: a, address: \"" + app.hostPort() + "\"}, {name: b, address: \"" + second.hostPort() + "\"}]\n");
            server = ProxyServer.start(ConfigLoader.load(file));
            try (RawClient c = client()) {
                for (int round = 0; round < 2; round++) {
                    for (int i = 1; i <= 20; i++) {
                        c.send("GET /" + i + " HTTP/1.1\r\nHost: t\r\nX-Forwarded-For: 198.51.100." + i + "\r\n\r\n");
                        assertEquals(200, c.readResponse().status());
                    }
                }
            }
            // One TCP peer, twenty clients: both upstreams get some, and each client always the same one.
            assertTrue(app.requestsReceived() > 0 && second.requestsReceived() > 0,
                    app.requestsReceived() + " / " + second.requestsReceived());
            java.util.Map<String, String> where = new java.util.HashMap<>();
            for (ScriptedUpstream u : List.of(app, second)) {
                for (int i = u.requestsReceived(); i > 0; i--) {
                    RecordedRequest r = u.takeRequest(WAIT);
                    String before = where.put(r.path(), u.toString());
                    assertTrue(before == null || before.equals(u.toString()), r.path() + " went to both");
                }
            }
            assertEquals(20, where.size());
        } finally {
            second.close();
        }
    }
}
