package io.kodiak.proxy;

import io.kodiak.accesslog.AccessLogEntry;
import io.kodiak.config.ConfigLoader;
import io.kodiak.filter.Filters;
import io.kodiak.filter.LogFilter;
import io.kodiak.filter.RequestFilter;
import io.kodiak.filter.ResponseFilter;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.RawResponse;
import io.kodiak.testing.RecordedRequest;
import io.kodiak.testing.ScriptedUpstream;
import io.kodiak.testing.Tools;
import io.kodiak.tls.TestCerts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLSocket;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code proxy-protocol: true} over real sockets: the header's address becomes the client's for
 * X-Forwarded-For and the log on every request of the connection; a header split over many
 * segments is read; LOCAL and UNKNOWN keep the peer; garbage, an overlong header, one not complete
 * in time and a peer outside {@code proxy-protocol-from} are closed without an answer and
 * counted; a connect-and-close is not counted; the header comes before a TLS handshake.
 */
@Timeout(60)
class ProxyProtocolListenerTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path dir;
    private ScriptedUpstream upstream;
    private ProxyServer server;
    private final LinkedBlockingQueue<AccessLogEntry> log = new LinkedBlockingQueue<>();

    @BeforeEach
    void upstream() throws Exception {
        upstream = ScriptedUpstream.start("app");
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        upstream.close();
    }

    private void start(String listenerLines) throws Exception {
        Path file = dir.resolve("kodiak.yaml");
        Files.writeString(file, "admin: {listen: off, state-file: off}\nmetrics: off\n"
                + "listeners:\n  - name: front\n    address: 127.0.0.1:0\n" + listenerLines
                + "pools:\n  app: {health-check: {type: none}, upstreams: [{name: app, address: \"" + upstream.hostPort() + "\"}]}\n");
        server = ProxyServer.start(ConfigLoader.load(file));
        server.filters("front", new Filters(new RequestFilter[0], new ResponseFilter[0], new LogFilter[] {log::add}));
    }

    private int port() {
        return server.boundAddress("front").getPort();
    }

    private ProxyProtocolCounts counts() {
        return server.proxyProtocol("front");
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static final String GET = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";

    @Test
    void aV1HeaderGivesEveryRequestOfTheConnectionItsAddress() throws Exception {
        start("    proxy-protocol: true\n");
        try (RawClient c = RawClient.connect(port())) {
            c.send("PROXY TCP4 192.0.2.7 127.0.0.1 40000 80\r\n" + GET);
            assertEquals(200, c.readResponse().status());
            c.send("GET /again HTTP/1.1\r\nHost: t\r\nX-Forwarded-For: 6.6.6.6\r\n\r\n");
            assertEquals(200, c.readResponse().status());
        }
        assertEquals("192.0.2.7", upstream.takeRequest(WAIT).header("X-Forwarded-For"));
        // Without real-ip, a client's X-Forwarded-For is appended to, as before.
        assertEquals("6.6.6.6, 192.0.2.7", upstream.takeRequest(WAIT).header("X-Forwarded-For"));
        AccessLogEntry e = log.poll(10, TimeUnit.SECONDS);
        assertNotNull(e);
        assertEquals("192.0.2.7", e.clientAddress());
        assertEquals(40000, e.clientPort());
        assertEquals("192.0.2.7", e.realIpRemoteAddress());
        assertEquals(1, counts().ok.sum());
    }

    @Test
    void aV2HeaderSplitIntoSingleBytesIsReadAndWhatFollowsIsPassedOnUnchanged() throws Exception {
        start("    proxy-protocol: true\n");
        byte[] header = ProxyProtocolHeaderTest.v2(0x21, 0x21, ProxyProtocolHeaderTest.block("2001:db8::7", "::1", 5555, 80,
                ProxyProtocolHeaderTest.tlv(0x02, ascii("example.com"))));
        try (RawClient c = RawClient.connect(port())) {
            for (byte b : header) {
                c.send(new byte[] {b});
                Thread.sleep(1); // separate segments (TCP_NODELAY), so separate reads most of the time
            }
            c.send("POST /p HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello");
            assertEquals(200, c.readResponse().status());
        }
        RecordedRequest seen = upstream.takeRequest(WAIT);
        assertEquals(InetAddress.getByName("2001:db8::7").getHostAddress(), seen.header("X-Forwarded-For"));
        assertEquals("hello", seen.body().utf8());
        assertEquals(5555, log.poll(10, TimeUnit.SECONDS).clientPort());
    }

    @Test
    void localAndUnknownKeepTheTcpPeer() throws Exception {
        start("    proxy-protocol: true\n");
        try (RawClient c = RawClient.connect(port())) {
            c.send(ProxyProtocolHeaderTest.v2(0x20, 0x00, new byte[0]));
            c.send(GET);
            assertEquals(200, c.readResponse().status());
        }
        try (RawClient c = RawClient.connect(port())) {
            c.send("PROXY UNKNOWN\r\n" + GET);
            assertEquals(200, c.readResponse().status());
        }
        assertEquals("127.0.0.1", upstream.takeRequest(WAIT).header("X-Forwarded-For"));
        assertEquals("127.0.0.1", upstream.takeRequest(WAIT).header("X-Forwarded-For"));
        assertEquals(2, counts().ok.sum());
    }

    /** Closed without a byte of answer: the peer is a proxy, which only needs to see the close. */
    private static void assertClosedSilently(RawClient c) throws Exception {
        RawClient.Closure how = c.awaitClose();
        assertTrue(how == RawClient.Closure.EOF || how == RawClient.Closure.RESET, String.valueOf(how));
    }

    @Test
    void noHeaderOrAMalformedOneClosesTheConnectionWithoutAnswerAndIsCounted() throws Exception {
        start("    proxy-protocol: true\n");
        try (RawClient c = RawClient.connect(port())) {
            c.send(GET); // a client straight to the port
            assertClosedSilently(c);
        }
        try (RawClient c = RawClient.connect(port())) {
            c.send("PROXY TCP4 192.0.2.7 127.0.0.1 40000\r\n" + GET);
            assertClosedSilently(c);
        }
        try (RawClient c = RawClient.connect(port())) {
            c.send("PROXY " + "1".repeat(200)); // no CRLF within 107 bytes
            assertClosedSilently(c);
        }
        try (RawClient c = RawClient.connect(port())) {
            c.send(java.util.Arrays.copyOf(ProxyProtocolHeaderTest.v2(0x21, 0x11, new byte[ProxyProtocolHeader.MAX_V2_BLOCK + 1]), 16));
            assertClosedSilently(c); // announces more than Kodiak holds: refused before it is sent
        }
        assertEquals(4, counts().invalid.sum());
        assertEquals(0, upstream.requestsReceived());
    }

    @Test
    void aHeaderNotCompleteInTimeClosesTheConnectionAndAConnectAndCloseIsNotCounted() throws Exception {
        start("    proxy-protocol: true\n    timeouts: {request-header: 1s}\n");
        try (RawClient c = RawClient.connect(port())) {
            c.send("PROXY TCP4 192.0.2.7 127"); // and nothing more
            assertClosedSilently(c);
        }
        assertEquals(1, counts().timeouts.sum());
        new Socket(InetAddress.getLoopbackAddress(), port()).close(); // a load balancer's TCP check
        try (RawClient c = RawClient.connect(port())) {
            c.send("PROXY TCP4 192.0.2.8 127.0.0.1 1 80\r\n" + GET);
            assertEquals(200, c.readResponse().status());
        }
        assertEquals(0, counts().invalid.sum());
        assertEquals(1, counts().timeouts.sum());
        assertEquals(1, counts().ok.sum());
    }

    @Test
    void aPeerOutsideProxyProtocolFromIsRefusedAtAccept() throws Exception {
        start("    proxy-protocol: true\n    proxy-protocol-from: [192.0.2.0/24, \"2001:db8::/32\"]\n");
        try (RawClient c = RawClient.connect(port())) {
            c.send("PROXY TCP4 192.0.2.7 127.0.0.1 40000 80\r\n" + GET);
            assertClosedSilently(c);
        }
        assertEquals(1, counts().refused.sum());
        assertEquals(0, upstream.requestsReceived());
        server.close();
        start("    proxy-protocol: true\n    proxy-protocol-from: [127.0.0.0/8]\n");
        try (RawClient c = RawClient.connect(port())) {
            c.send("PROXY TCP4 192.0.2.7 127.0.0.1 40000 80\r\n" + GET);
            assertEquals(200, c.readResponse().status());
        }
        assertEquals("192.0.2.7", upstream.takeRequest(WAIT).header("X-Forwarded-For"));
    }

    @Test
    void aReloadChangesWhoMaySendItAndWhoIsTrustedButTurningItOnOrOffNeedsARestart() throws Exception {
        int p;
        try (java.net.ServerSocket probe = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            p = probe.getLocalPort(); // a listener is its address: the reload must name the same one
        }
        String pool = "pools:\n  app: {health-check: {type: none}, upstreams: [{name: app, address: \"" + upstream.hostPort() + "\"}]}\n";
        String head = "admin: {listen: off, state-file: off}\nmetrics: off\nlisteners:\n  - name: front\n    address: 127.0.0.1:" + p + "\n";
        Path file = dir.resolve("kodiak.yaml");
        Files.writeString(file, head + "    proxy-protocol: true\n    proxy-protocol-from: [192.0.2.0/24]\n" + pool);
        server = ProxyServer.start(ConfigLoader.load(file));
        Files.writeString(file, head + "    proxy-protocol: true\n    proxy-protocol-from: [127.0.0.1]\n"
                + "    real-ip: {from: [192.0.2.0/24]}\n" + pool);
        server.reload(ConfigLoader.load(file));
        try (RawClient c = RawClient.connect(port())) {
            c.send("PROXY TCP4 192.0.2.7 127.0.0.1 40000 80\r\nGET / HTTP/1.1\r\nHost: t\r\nX-Forwarded-For: 203.0.113.5\r\n\r\n");
            assertEquals(200, c.readResponse().status());
        }
        assertEquals("203.0.113.5, 203.0.113.5", upstream.takeRequest(WAIT).header("X-Forwarded-For"));
        Files.writeString(file, head + pool);
        java.io.IOException e = org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class,
                () -> server.reload(ConfigLoader.load(file)));
        assertTrue(e.getMessage().contains("turning proxy-protocol off on 127.0.0.1:" + p + " needs a restart"), e.getMessage());
        try (RawClient c = RawClient.connect(port())) {
            c.send("PROXY TCP4 192.0.2.8 127.0.0.1 40000 80\r\n" + GET);
            assertEquals(200, c.readResponse().status(), "still reading PROXY headers, as before the reload");
        }
    }

    @Test
    void theHeaderComesBeforeTheTlsHandshake() throws Exception {
        Tools.require("openssl", "version", "openssl");
        TestCerts certs = new TestCerts(Files.createDirectories(dir.resolve("certs")));
        Path[] leaf = certs.leaf("ec", "example.test");
        start("    proxy-protocol: true\n    tls: {cert: " + leaf[0] + ", key: " + leaf[1] + "}\n");
        try (Socket plain = new Socket(InetAddress.getLoopbackAddress(), port())) {
            plain.setSoTimeout(10_000);
            OutputStream out = plain.getOutputStream();
            out.write(ascii("PROXY TCP4 203.0.113.9 127.0.0.1 41000 443\r\n"));
            out.flush();
            try (SSLSocket tls = (SSLSocket) certs.clientContext().getSocketFactory()
                    .createSocket(plain, "example.test", port(), false)) {
                tls.startHandshake();
                RawClient c = RawClient.over(tls);
                RawResponse r = c.exchange("GET / HTTP/1.1\r\nHost: example.test\r\n\r\n");
                assertEquals(200, r.status());
            }
        }
        RecordedRequest seen = upstream.takeRequest(WAIT);
        assertEquals("203.0.113.9", seen.header("X-Forwarded-For"));
        assertEquals("https", seen.header("X-Forwarded-Proto"));
        try (RawClient c = RawClient.connect(port())) {
            c.send(GET); // plain HTTP, no header: refused by the PROXY filter, before the TLS guard's 400
            assertClosedSilently(c);
        }
        assertEquals("203.0.113.9", log.poll(10, TimeUnit.SECONDS).clientAddress());
        assertNull(log.poll(0, TimeUnit.SECONDS), "the refused connection is no request: no log line");
        assertNotEquals(0, counts().invalid.sum());
    }
}
