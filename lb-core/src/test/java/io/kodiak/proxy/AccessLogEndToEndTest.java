package io.kodiak.proxy;

import io.kodiak.Kodiak;
import io.kodiak.accesslog.AccessLog;
import io.kodiak.accesslog.AccessLogFormat;
import io.kodiak.accesslog.AccessLogTarget;
import io.kodiak.config.ConfigLoader;
import io.kodiak.testing.Action;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.ScriptedUpstream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The access log as users configure it, fed by real requests: a JSON file, a reopen after
 * logrotate's rename, a syslog receiver, and a log whose disk hangs, which must cost requests
 * nothing but dropped (and counted) lines.
 */
@Timeout(60)
class AccessLogEndToEndTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    @TempDir
    Path dir;
    private ScriptedUpstream up;
    private Kodiak kodiak;

    @AfterEach
    void stop() {
        if (kodiak != null) {
            kodiak.close();
        }
        if (up != null) {
            up.close();
        }
    }

    private Kodiak start(String accessLog) throws Exception {
        up = ScriptedUpstream.start("app", r -> Action.ok("hello"));
        Path file = dir.resolve("kodiak.yaml");
        Files.writeString(file, "admin: {listen: off, state-file: off}\nmetrics: off\n"
                + "listeners:\n  - name: web\n    address: 127.0.0.1:0\n"
                + "    access-log: " + accessLog + "\n"
                + "    routes: [{pool: app}]\n"
                + "pools:\n  app: {health-check: {type: none}, upstreams: [{name: app, address: \"" + up.hostPort() + "\"}]}\n");
        kodiak = Kodiak.start(ConfigLoader.load(file));
        return kodiak;
    }

    private RawClient client() throws IOException {
        return RawClient.connect(kodiak.boundAddress("web").getPort());
    }

    private static List<String> lines(Path p) {
        try {
            return Files.exists(p) ? Files.readAllLines(p, StandardCharsets.UTF_8) : List.of();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void jsonLinesInAFileOnePerRequest() throws Exception {
        Path log = dir.resolve("access.json");
        start("{target: " + log + ", format: json}");
        RawClient c = client();
        c.send("GET /a?x=1 HTTP/1.1\r\nHost: t\r\nUser-Agent: \"quoted\" agent\r\n\r\n");
        assertEquals(200, c.readResponse().status());
        c.send("GET /missing-body HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\n"); // body never comes
        c.close();
        Conditions.await("two lines", () -> lines(log).size() == 2, WAIT);
        String first = lines(log).get(0);
        assertTrue(first.startsWith("{") && first.endsWith("}"), first);
        assertTrue(first.contains("\"status\":200"), first);
        assertTrue(first.contains("\"request_method\":\"GET\",\"request_uri\":\"/a?x=1\",\"server_protocol\":\"HTTP/1.1\""), first);
        assertTrue(first.contains("\"http_user_agent\":\"\\\"quoted\\\" agent\""), "the client's quotes are escaped: " + first);
        assertTrue(first.contains("\"upstream_name\":\"app\""), first);
        assertTrue(first.contains("\"route\":\"routes[0]\""), "the route, by its place without a name: " + first);
        assertTrue(first.contains("\"termination\":\"--\""), first);
        String second = lines(log).get(1);
        assertTrue(second.contains("\"termination\":\"CR\""), "a client gone mid-body: " + second);
    }

    @Test
    void aRenamedFileIsReopenedAndTheNextLineGoesToTheNewFile() throws Exception {
        Path log = dir.resolve("access.log");
        start(log.toString());
        RawClient c = client();
        c.send("GET /before HTTP/1.1\r\nHost: t\r\n\r\n");
        assertEquals(200, c.readResponse().status());
        Conditions.await("first line", () -> lines(log).size() == 1, WAIT);
        Path rotated = dir.resolve("access.log.1");
        Files.move(log, rotated);
        c.send("GET /still-old HTTP/1.1\r\nHost: t\r\n\r\n");
        assertEquals(200, c.readResponse().status());
        Conditions.await("second line, in the renamed file", () -> lines(rotated).size() == 2, WAIT);
        assertEquals(1, kodiak.reopenLogs().size());
        c.send("GET /after HTTP/1.1\r\nHost: t\r\n\r\n");
        assertEquals(200, c.readResponse().status());
        Conditions.await("a line in the new file", () -> lines(log).size() == 1, WAIT);
        assertTrue(lines(log).get(0).contains("GET /after HTTP/1.1"), lines(log).toString());
        assertTrue(lines(rotated).get(0).contains("GET /before") && lines(rotated).get(1).contains("GET /still-old"));
        // combined: client, ident, user, [time], "request", status, bytes, "referer", "agent"
        assertTrue(lines(log).get(0).matches("127\\.0\\.0\\.1 - - \\[.+\\] \"GET /after HTTP/1\\.1\" 200 5 \"-\" \"-\".*"),
                lines(log).get(0));
    }

    @Test
    void syslogOverUdpReachesAReceiver() throws Exception {
        try (DatagramSocket receiver = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            receiver.setSoTimeout((int) WAIT.toMillis());
            start("{target: \"syslog://127.0.0.1:" + receiver.getLocalPort() + "\", facility: local3}");
            RawClient c = client();
            c.send("GET /to-syslog HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals(200, c.readResponse().status());
            DatagramPacket p = new DatagramPacket(new byte[8192], 8192);
            receiver.receive(p);
            String msg = new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8);
            // RFC 5424: <PRI>1 ...; local3 = 19, informational = 6: PRI 158
            assertTrue(msg.startsWith("<158>1 "), msg);
            assertTrue(msg.contains("GET /to-syslog HTTP/1.1"), msg);
        }
    }

    /** A target whose write never returns, like a log on a hung NFS mount. */
    private static final class HungTarget implements AccessLogTarget {
        final CountDownLatch release = new CountDownLatch(1);

        @Override
        public void write(byte[] line, int off, int len) throws IOException {
            try {
                release.await();
            } catch (InterruptedException e) {
                throw new IOException("interrupted");
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
            release.countDown();
        }
    }

    @Test
    void aHungLogDropsAndCountsLinesAndNeverHoldsARequest() throws Exception {
        up = ScriptedUpstream.start("a", r -> Action.ok("x"));
        ProxyServer server = ProxyServer.start(ProxyConfig.to(up).build());
        HungTarget hung = new HungTarget();
        AccessLog log = new AccessLog(ProxyConfig.LISTENER, AccessLogFormat.combined(ZoneOffset.UTC), hung, 4);
        try {
            server.accessLog(ProxyConfig.LISTENER, log);
            RawClient c = RawClient.connect(server.boundAddress(ProxyConfig.LISTENER).getPort());
            int n = 200;
            for (int i = 0; i < n; i++) {
                c.send("GET /" + i + " HTTP/1.1\r\nHost: t\r\n\r\n");
                assertEquals(200, c.readResponse().status(), "request " + i);
            }
            // Kept: the queue (4) and the few the writer took before its write hung; the rest dropped.
            assertTrue(log.dropped() >= n - 12, "dropped " + log.dropped());
            assertEquals(0, log.written());
        } finally {
            hung.release.countDown();
            log.close();
            server.close();
        }
    }
}
