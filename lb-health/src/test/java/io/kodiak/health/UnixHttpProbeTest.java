package io.kodiak.health;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * HTTP checks over a real Unix-domain socket: a scripted peer on {@code ServerSocketChannel.open(UNIX)}
 * answers each check with the bytes a test gives it (or with silence, or by hanging up). Waits are
 * bounded queues; no timing is asserted.
 */
@Timeout(60)
class UnixHttpProbeTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static final HttpCheck HEALTH = new HttpCheck("GET", "/health", null, HttpCheck.DEFAULT_STATUS, null,
            Set.of("X-Kodiak-State", "X-Kodiak-Weight"));

    private Path dir;
    private UnixDomainSocketAddress path;
    private ConnectProbeLoop loop;
    private ServerSocketChannel server;
    private Thread peer;
    private final BlockingQueue<String> requests = new LinkedBlockingQueue<>();
    private final CountDownLatch stop = new CountDownLatch(1);

    @BeforeEach
    void start() throws IOException {
        dir = Files.createTempDirectory(Path.of("/tmp"), "hp");
        path = UnixDomainSocketAddress.of(dir.resolve("app.sock"));
        loop = new ConnectProbeLoop();
    }

    @AfterEach
    void stop() throws Exception {
        loop.close();
        stop.countDown();
        if (server != null) {
            server.close();
        }
        if (peer != null) {
            peer.join(TimeUnit.SECONDS.toMillis(10));
        }
        Files.deleteIfExists(path.getPath());
        Files.deleteIfExists(dir);
    }

    @Test
    void aPassedCheckCarriesTheNodeHeadersAndSendsHostLocalhost() throws Exception {
        answer("HTTP/1.1 200 OK\r\nX-Kodiak-State: drain\r\nx-kodiak-weight: 50%\r\nContent-Length: 2\r\n\r\nok");

        ProbeResult r = check(HEALTH);

        assertEquals(ProbeStatus.SUCCESS, r.status(), r.toString());
        assertEquals(Map.of("x-kodiak-state", "drain", "x-kodiak-weight", "50%"), r.headers());
        String request = requests.poll(10, TimeUnit.SECONDS);
        assertNotNull(request);
        assertTrue(request.startsWith("GET /health HTTP/1.1\r\n"), request);
        assertTrue(request.contains("\r\nHost: localhost\r\n"), request);
        assertTrue(request.contains("\r\nConnection: close\r\n"), request);
    }

    @Test
    void theCheckMethodAndHostAreSent() throws Exception {
        answer("HTTP/1.1 204 No Content\r\n\r\n"); // HEAD: the head alone settles it; the peer keeps the socket open
        HttpCheck head = new HttpCheck("HEAD", "/ping?x=1", "app.internal", HttpCheck.DEFAULT_STATUS, null);

        assertEquals(ProbeStatus.SUCCESS, check(head).status());
        String request = requests.poll(10, TimeUnit.SECONDS);
        assertTrue(request.startsWith("HEAD /ping?x=1 HTTP/1.1\r\n") && request.contains("Host: app.internal\r\n"), request);
    }

    @Test
    void anUnexpectedStatusFailsWithoutHeaders() throws Exception {
        answer("HTTP/1.1 503 Service Unavailable\r\nX-Kodiak-State: drain\r\nContent-Length: 0\r\n\r\n");

        ProbeResult r = check(HEALTH);

        assertEquals(ProbeStatus.UNEXPECTED_RESPONSE, r.status());
        assertTrue(r.detail().contains("HTTP 503"), r.detail());
        assertTrue(r.detail().contains("unix:" + path.getPath()), r.detail());
        assertEquals(Map.of(), r.headers(), "only a passed check's headers count");
    }

    @Test
    void theBodyTextIsFoundAcrossChunksAndItsAbsenceFails() throws Exception {
        String chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nall\r\n5\r\n heal\r\n3\r\nthy\r\n0\r\n\r\n";
        answer(chunked, chunked);
        HttpCheck healthy = new HttpCheck("GET", "/", null, HttpCheck.DEFAULT_STATUS, "healthy");
        HttpCheck ready = new HttpCheck("GET", "/", null, HttpCheck.DEFAULT_STATUS, "ready");

        assertEquals(ProbeStatus.SUCCESS, check(healthy).status());
        ProbeResult r = check(ready);
        assertEquals(ProbeStatus.UNEXPECTED_RESPONSE, r.status());
        assertTrue(r.detail().contains("without \"ready\""), r.detail());
    }

    @Test
    void aBodyTextCheckReadsToContentLength() throws Exception {
        answer("HTTP/1.1 200 OK\r\nContent-Length: 14\r\n\r\nstatus: READY\n"); // and the peer keeps the socket open
        HttpCheck ready = new HttpCheck("GET", "/", null, HttpCheck.DEFAULT_STATUS, "READY");

        assertEquals(ProbeStatus.SUCCESS, check(ready).status());
    }

    @Test
    void silenceTimesOut() throws Exception {
        answer((String) null);

        ProbeResult r = check(HEALTH, Duration.ofMillis(300));

        assertEquals(ProbeStatus.TIMEOUT, r.status(), r.toString());
        assertTrue(r.detail().startsWith("no HTTP response to unix:"), r.detail());
        assertEquals(0, loop.inFlight());
    }

    @Test
    void hangingUpOrAnsweringGarbageIsAnUnexpectedResponse() throws Exception {
        answer("", "SSH-2.0-OpenSSH_9.6\r\n\r\n", "HTTP/1.1 200 OK\r\nX: " + "a".repeat(70_000) + "\r\n\r\n");

        ProbeResult hungUp = check(HEALTH);
        assertEquals(ProbeStatus.UNEXPECTED_RESPONSE, hungUp.status(), hungUp.toString());
        assertTrue(hungUp.detail().contains("closed without a response"), hungUp.detail());
        ProbeResult garbage = check(HEALTH);
        assertEquals(ProbeStatus.UNEXPECTED_RESPONSE, garbage.status(), garbage.toString());
        assertTrue(garbage.detail().contains("not an HTTP/1 response"), garbage.detail());
        ProbeResult huge = check(HEALTH);
        assertEquals(ProbeStatus.UNEXPECTED_RESPONSE, huge.status(), huge.toString());
        assertTrue(huge.detail().contains("head over " + UnixHttpProbe.MAX_HEAD_BYTES), huge.detail());
    }

    @Test
    void aMissingSocketIsRefused() throws Exception {
        ProbeResult r = check(HEALTH);

        assertEquals(ProbeStatus.REFUSED, r.status(), r.toString());
        assertTrue(r.detail().contains("unix:" + path.getPath()), r.detail());
    }

    private ProbeResult check(HttpCheck c) throws InterruptedException {
        return check(c, TIMEOUT);
    }

    private ProbeResult check(HttpCheck c, Duration timeout) throws InterruptedException {
        BlockingQueue<ProbeResult> results = new LinkedBlockingQueue<>();
        UnixHttpProbe probe = new UnixHttpProbe(loop, path, c);
        probe.start(timeout, results::add);
        ProbeResult r = results.poll(20, TimeUnit.SECONDS);
        assertNotNull(r, probe + " did not report");
        return r;
    }

    /**
     * Serves one connection per answer, in order: reads the request head, records it, writes the
     * answer and hangs up; an empty answer hangs up at once, a {@code null} one stays silent and
     * open until the test ends. After a non-empty answer the socket stays open for a moment too, so
     * a check that must not wait for the end of the connection would time out.
     */
    private void answer(String... answers) throws IOException {
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(path);
        peer = new Thread(() -> {
            for (String a : java.util.Arrays.asList(answers)) {
                try (SocketChannel s = server.accept()) {
                    if (a == null) {
                        stop.await(30, TimeUnit.SECONDS);
                        continue;
                    }
                    requests.add(readHead(s));
                    s.write(ByteBuffer.wrap(a.getBytes(StandardCharsets.ISO_8859_1)));
                    if (!a.isEmpty() && !a.contains("Transfer-Encoding") && !a.startsWith("SSH") && a.length() < 1000) {
                        stop.await(30, TimeUnit.SECONDS); // keep it open: the check must not need the close
                    }
                } catch (IOException | InterruptedException e) {
                    return; // the server closed at the end of the test
                }
            }
        }, "unix-http-peer");
        peer.setDaemon(true);
        peer.start();
    }

    private static String readHead(SocketChannel s) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        ByteBuffer b = ByteBuffer.allocate(1024);
        while (!head.toString(StandardCharsets.ISO_8859_1).contains("\r\n\r\n") && head.size() < 16384) {
            b.clear();
            if (s.read(b) < 0) {
                break;
            }
            head.write(b.array(), 0, b.position());
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }
}
