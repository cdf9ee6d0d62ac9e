package io.kodiak.proxy;

import io.kodiak.testing.Action;
import io.kodiak.testing.Loopback;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.ScriptedUpstream;
import io.kodiak.upstream.Upstream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static io.kodiak.proxy.FakeClockProxy.SETTLE;
import static io.kodiak.proxy.FakeClockProxy.locked;
import static io.kodiak.proxy.FakeClockProxy.state;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Every timeout of the data path over real sockets, on a fake clock ({@link FakeClockProxy}):
 * each test arms one timeout of {@link #T} (all others are an hour), steps the clock to a
 * nanosecond before it is due and sweeps, sees that nothing happened, then steps a nanosecond
 * past it and sweeps, and sees the effect. Nothing waits for real time to pass, so the exact
 * boundary is asserted, and a slow machine can neither fire a timeout early nor make a test slow.
 * {@link TimeoutsTest} keeps the same behaviours over the real clock and sweeper.
 */
@Timeout(60)
class FakeClockTimeoutsTest {
    /** The timeout under test. */
    private static final Duration T = Duration.ofSeconds(10);
    /** Every other timeout: never due within a test. */
    private static final Duration LONG = Duration.ofHours(1);
    private static final String GET = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";

    private static Duration justBefore(Duration d) {
        return d.minusNanos(1);
    }

    private static Duration justAfter(Duration d) {
        return d.plusNanos(1);
    }

    /** A pool of {@code ups} where no timeout is due for an hour; each test shortens its own to {@link #T}. */
    private static ProxyConfig quiet(ScriptedUpstream... ups) {
        return ProxyConfig.to(ups).clientTimeouts(LONG, LONG, LONG, LONG).upstreamTimeouts(LONG, LONG, LONG, LONG)
                .connections(32, LONG);
    }

    @Test
    void aHeadNotCompleteWithinTheRequestHeaderTimeoutGets408() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("a");
             FakeClockProxy proxy = FakeClockProxy.start(quiet(up).clientTimeouts(T, LONG, LONG, LONG));
             RawClient c = proxy.client()) {
            ClientSession s = proxy.awaitSession(); // the timeout runs from the accept, at START
            c.send("GET / HTTP/1.1\r\nHost: t\r\nX-Slow: ");
            Conditions.await("the head begun", () -> state(s).equals("HEAD"), SETTLE);

            proxy.sweepAt(justBefore(T));
            assertTrue(proxy.open(s), "answered before the request-header timeout");

            proxy.sweepAt(justAfter(T));
            assertEquals(408, c.readResponse().status());
            assertEquals(RawClient.Closure.EOF, c.awaitClose());
            assertEquals(0, up.connectionsAccepted());
        }
    }

    @Test
    void aConnectionThatSendsNothingIsClosedSilentlyAtTheRequestHeaderTimeout() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("a");
             FakeClockProxy proxy = FakeClockProxy.start(quiet(up).clientTimeouts(T, LONG, LONG, LONG));
             RawClient c = proxy.client()) {
            ClientSession s = proxy.awaitSession();

            proxy.sweepAt(justBefore(T));
            assertTrue(proxy.registered(s), "closed before the request-header timeout");

            proxy.sweepAt(justAfter(T));
            assertFalse(proxy.registered(s));
            assertEquals(RawClient.Closure.EOF, c.awaitClose(), "closed, and without a byte (nothing to answer)");
        }
    }

    @Test
    void anIdleKeepAliveConnectionIsClosedAtTheKeepAliveTimeout() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("a");
             FakeClockProxy proxy = FakeClockProxy.start(quiet(up).clientTimeouts(LONG, T, LONG, LONG));
             RawClient c = proxy.client()) {
            assertEquals(200, c.get("/").status());
            ClientSession s = proxy.awaitSession();
            // Idle from the end of the answer, at START; and with nothing left to flush, which
            // would otherwise keep it open.
            Conditions.await("the connection idle", () -> locked(s, () -> state(s).equals("IDLE") && s.clientInflight() == 0),
                    SETTLE);

            proxy.sweepAt(justBefore(T));
            assertTrue(proxy.registered(s), "closed before the keep-alive timeout");

            proxy.sweepAt(justAfter(T));
            assertFalse(proxy.registered(s));
            assertEquals(RawClient.Closure.EOF, c.awaitClose());
        }
    }

    @Test
    void aBodyThatStopsArrivingGets408AtTheBodyTimeout() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("a");
             FakeClockProxy proxy = FakeClockProxy.start(quiet(up).clientTimeouts(LONG, LONG, T, LONG));
             RawClient c = proxy.client()) {
            c.send("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\n");
            ClientSession s = proxy.awaitSession();
            Conditions.await("the body awaited", () -> state(s).equals("BODY"), SETTLE);

            proxy.sweepAt(justBefore(T));
            assertTrue(proxy.open(s), "answered before the body timeout");

            proxy.sweepAt(justAfter(T));
            assertEquals(408, c.readResponse().status());
            assertEquals(RawClient.Closure.EOF, c.awaitClose());
            assertEquals(0, up.requestsReceived());
        }
    }

    @Test
    void aConnectThatHangsGives502AtTheConnectTimeout() throws Exception {
        try (BlackHole hole = BlackHole.open();
             FakeClockProxy proxy = FakeClockProxy.start(quiet().upstream("hole", hole.port(), 1).connectTimeout(T));
             RawClient c = proxy.client()) {
            c.send(GET);
            Upstream u = proxy.upstream("hole");
            Conditions.await("the upstream picked", () -> u.inFlight() == 1, SETTLE);
            proxy.settle(); // the pick and the connect it started are one event

            proxy.sweepAt(justBefore(T));
            assertEquals(1, u.inFlight(), "gave up connecting before the connect timeout");

            proxy.sweepAt(justAfter(T));
            assertEquals(0, u.inFlight());
            assertEquals(502, c.readResponse().status());
        }
    }

    @Test
    void aTlsHandshakeThatHangsGives502AtTheConnectTimeout() throws Exception {
        // Connected (the kernel accepts into the backlog), but nothing ever answers the ClientHello.
        try (java.net.ServerSocket silent = new java.net.ServerSocket(0, 8, java.net.InetAddress.getLoopbackAddress());
             FakeClockProxy proxy = FakeClockProxy.start(quiet().upstream("silent", silent.getLocalPort(), 1).connectTimeout(T)
                     .tls(new io.kodiak.config.UpstreamTlsConfig(null, true, null, null, null,
                             io.kodiak.tls.UpstreamTls.of(null, true, null, null))));
             RawClient c = proxy.client()) {
            c.send(GET);
            Upstream u = proxy.upstream("silent");
            Conditions.await("the upstream picked", () -> u.inFlight() == 1, SETTLE);
            java.net.Socket accepted = silent.accept(); // the TCP connect is done; the handshake waits
            proxy.settle();

            proxy.sweepAt(justBefore(T));
            assertEquals(1, u.inFlight(), "gave up on the handshake before the connect timeout");

            proxy.sweepAt(justAfter(T));
            assertEquals(0, u.inFlight());
            assertEquals(502, c.readResponse().status());
            accepted.setSoTimeout(10_000);
            java.io.InputStream in = accepted.getInputStream();
            while (in.read() >= 0) {
                // the ClientHello, then the end: the half-done connection was closed, not left open
            }
            accepted.close();
        }
    }

    @Test
    void anUpstreamThatNeverAnswersGives504AtTheResponseTimeout() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("mute", r -> Action.stall(Duration.ofSeconds(30)));
             FakeClockProxy proxy = FakeClockProxy.start(quiet(up).responseTimeout(T));
             RawClient c = proxy.client()) {
            c.send(GET);
            up.takeRequest(SETTLE);
            proxy.settle(); // the request's last write and the response timeout are one event
            Upstream u = proxy.upstream("mute");

            proxy.sweepAt(justBefore(T));
            assertEquals(1, u.inFlight(), "gave up on the upstream before the response timeout");

            proxy.sweepAt(justAfter(T));
            assertEquals(0, u.inFlight());
            assertEquals(504, c.readResponse().status());
            assertEquals(1, up.requestsReceived());
        }
    }

    @Test
    void aResponseBodyThatStallsIsCutAtTheReadTimeout() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("slow", r -> Action.raw(
                "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + "x".repeat(40)).then(Action.stall(Duration.ofSeconds(30))));
             FakeClockProxy proxy = FakeClockProxy.start(quiet(up).upstreamTimeouts(LONG, LONG, T, LONG));
             Socket c = proxy.socket()) {
            c.getOutputStream().write(GET.getBytes(StandardCharsets.US_ASCII));
            InputStream in = c.getInputStream();
            assertTrue(WireIo.readHead(in).startsWith("HTTP/1.1 200 "));
            // Kodiak relays the 40 bytes after reading them, in the event that arms the read timeout.
            assertEquals(40, in.readNBytes(40).length);
            ClientSession s = proxy.awaitSession();
            proxy.settle();

            proxy.sweepAt(justBefore(T));
            assertTrue(proxy.registered(s), "cut before the read timeout");

            proxy.sweepAt(justAfter(T));
            assertFalse(proxy.registered(s));
            assertEquals(0, readToEnd(in), "the other 60 bytes never come: the client sees the response cut");
        }
    }

    @Test
    void aClientThatReadsNothingIsCutAtTheSendTimeout() throws Exception {
        long size = 16L << 20; // far more than the socket buffers between Kodiak and the client hold
        try (ScriptedUpstream up = ScriptedUpstream.start("big", r -> Action.streamBody(200, size, 7, false));
             FakeClockProxy proxy = FakeClockProxy.start(quiet(up).clientTimeouts(LONG, LONG, LONG, T).buffering(true, false));
             Socket c = new Socket()) {
            c.setReceiveBufferSize(4096);
            c.connect(Loopback.at(proxy.port()), 5_000);
            c.setSoTimeout(10_000);
            c.getOutputStream().write(GET.getBytes(StandardCharsets.US_ASCII));
            ClientSession s = proxy.awaitSession();
            Conditions.await("Kodiak's output to the client backed up",
                    () -> locked(s, s::clientInflight) >= ClientSession.CLIENT_HIGH_WATER, SETTLE);
            // Under the session's monitor no write can complete, and so move the send deadline,
            // while the clock jumps: the last write that completed did, at START.
            synchronized (s) {
                proxy.sweepAt(justBefore(T));
                assertTrue(proxy.registered(s), "cut before the send timeout");

                proxy.sweepAt(justAfter(T));
                assertFalse(proxy.registered(s));
            }
            long got = readToEnd(c.getInputStream());
            assertTrue(got < size, "the client got the whole body (" + got + " bytes) from a cut connection");
        }
    }

    @Test
    void aRequestQueuedForAFullPoolGets503AtTheQueueTimeout() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("one", r -> Action.stall(Duration.ofSeconds(30)));
             FakeClockProxy proxy = FakeClockProxy.start(quiet(up).maxConnections(1).queue(10, T));
             RawClient first = proxy.client();
             RawClient second = proxy.client()) {
            first.send(GET);
            up.takeRequest(SETTLE); // the first request holds the only slot
            second.send(GET);
            Conditions.await("the second request queued", () -> proxy.queued() == 1, SETTLE);
            proxy.settle(); // joining the queue and its timeout are one event

            proxy.sweepAt(justBefore(T));
            assertEquals(1, proxy.queued(), "left the queue before the queue timeout");

            proxy.sweepAt(justAfter(T));
            assertEquals(0, proxy.queued());
            assertEquals(503, second.readResponse().status());
            assertEquals(1, up.requestsReceived(), "the queued request never reached the upstream");
        }
    }

    /**
     * Reads until the connection ends, in order or by a reset, and returns how many bytes came;
     * fails if it does not end (the read timeout).
     */
    private static long readToEnd(InputStream in) throws IOException {
        byte[] buf = new byte[64 * 1024];
        long total = 0;
        try {
            for (int n; (n = in.read(buf)) >= 0; ) {
                total += n;
            }
        } catch (SocketTimeoutException e) {
            fail("the connection was left open after " + total + " more bytes");
        } catch (SocketException e) {
            if (!String.valueOf(e.getMessage()).toLowerCase(java.util.Locale.ROOT).contains("reset")) {
                throw e;
            }
        }
        return total;
    }
}
