package io.kodiak.proxy;

import io.kodiak.config.ClientTimeouts;
import io.kodiak.testing.Action;
import io.kodiak.testing.Loopback;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.ScriptedUpstream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static io.kodiak.proxy.FakeClockProxy.SETTLE;
import static io.kodiak.proxy.FakeClockProxy.locked;
import static io.kodiak.proxy.FakeClockProxy.state;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The slow-client bounds on a fake clock ({@link FakeClockProxy}), as {@link FakeClockTimeoutsTest}
 * does for the per-read timeouts: a request head's total time, a request body's total time
 * ({@code body-total}) and the client's minimum rate of taking a response ({@code send-min-rate}).
 * Each arms its bound of {@link #T} (every other timeout an hour), sweeps just before and just
 * after it, and sees nothing happen, then the effect.
 */
@Timeout(60)
class SlowClientsTimeoutsTest {
    private static final Duration T = Duration.ofSeconds(10);
    private static final Duration LONG = Duration.ofHours(1);
    private static final String GET = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";

    /** Every timeout an hour, the minimum rates off: each test turns on its own. */
    private static final ClientTimeouts QUIET = new ClientTimeouts(LONG, LONG, LONG, LONG, 0).withSendMinRate(0);

    private static ProxyConfig quiet(ScriptedUpstream up, ClientTimeouts t) {
        return ProxyConfig.to(up).clientTimeouts(t).upstreamTimeouts(LONG, LONG, LONG, LONG).connections(32, LONG);
    }

    @Test
    void aHeadTrickledInStillGets408AtTheRequestHeaderTimeoutFromItsFirstByte() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("a");
             FakeClockProxy proxy = FakeClockProxy.start(quiet(up, new ClientTimeouts(T, LONG, LONG, LONG, 0)));
             RawClient c = proxy.client()) {
            ClientSession s = proxy.awaitSession();
            c.send("GET / HTTP/1.1\r\nHost: t\r\n");
            Conditions.await("the head begun", () -> state(s).equals("HEAD"), SETTLE);
            proxy.sweepAt(T.dividedBy(2));
            c.send("X-Slow-1: a\r\n"); // more of the head (slowloris): the deadline stays where it was
            proxy.settle();
            c.send("X-Slow-2: b\r\n");
            proxy.settle();

            proxy.sweepAt(T.minusNanos(1));
            assertTrue(proxy.open(s), "answered before the request-header timeout");

            proxy.sweepAt(T.plusNanos(1));
            assertEquals(408, c.readResponse().status());
            assertEquals(0, up.connectionsAccepted());
        }
    }

    @Test
    void aBodyStillArrivingGets408AtBodyTotal() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("a");
             FakeClockProxy proxy = FakeClockProxy.start(quiet(up, QUIET.withBodyTotal(T)));
             RawClient c = proxy.client()) {
            c.send("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n0123456789");
            ClientSession s = proxy.awaitSession();
            Conditions.await("the body awaited", () -> state(s).equals("BODY"), SETTLE);
            proxy.settle();

            proxy.sweepAt(T.dividedBy(2));
            c.send("0123456789"); // the body keeps coming: no gap timeout, no rate, only the total
            proxy.settle();
            proxy.sweepAt(T.minusNanos(1));
            assertTrue(proxy.open(s), "answered before body-total");

            proxy.sweepAt(T.plusNanos(1));
            assertEquals(408, c.readResponse().status());
            assertEquals(RawClient.Closure.EOF, c.awaitClose());
        }
    }

    @Test
    void withoutBodyTotalABodyStillArrivingIsNotCut() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("a");
             FakeClockProxy proxy = FakeClockProxy.start(quiet(up, QUIET));
             RawClient c = proxy.client()) {
            c.send("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 20\r\n\r\n0123456789");
            ClientSession s = proxy.awaitSession();
            Conditions.await("the body awaited", () -> state(s).equals("BODY"), SETTLE);
            proxy.settle();
            proxy.sweepAt(Duration.ofMinutes(59));
            assertTrue(proxy.open(s));
            c.send("0123456789");
            assertEquals(200, c.readResponse().status());
        }
    }

    @Test
    void aClientTakingTheResponseSlowerThanSendMinRateIsCutAtTheEndOfTheWindow() throws Exception {
        long size = 64L << 20;
        // 2 MiB/s over the T window: 20 MiB, far more than the socket buffers take from a client that reads nothing.
        long rate = 2L << 20;
        try (ScriptedUpstream up = ScriptedUpstream.start("big", r -> Action.streamBody(200, size, 7, false));
             FakeClockProxy proxy = FakeClockProxy.start(quiet(up, QUIET.withSendMinRate(rate)).buffering(true, false)
                     .clientTimeouts(new ClientTimeouts(LONG, LONG, LONG, T, 0).withSendMinRate(rate)));
             Socket c = slowSocket(proxy)) {
            c.getOutputStream().write(GET.getBytes(StandardCharsets.US_ASCII));
            ClientSession s = proxy.awaitSession();
            awaitBackedUp(s);

            // The send timeout (T, from the last progress) and the window end together; the
            // monitor keeps any write from completing while the clock jumps.
            synchronized (s) {
                proxy.sweepAt(T.minusNanos(1));
                assertTrue(proxy.registered(s), "cut before the window ended");
            }
            // Reads a little (the output still waits), then stops: progress moves the send
            // timeout on, the window stays.
            long got = readUntilProgress(s, c.getInputStream());
            awaitBackedUp(s);
            synchronized (s) {
                proxy.sweepAt(T.plusNanos(1));
                assertFalse(proxy.registered(s), "a client that took " + got + " bytes in a window of " + T + " was not cut");
            }
        }
    }

    @Test
    void aSlowClientAboveSendMinRateIsNeverCut() throws Exception {
        long size = 64L << 20;
        long rate = 1L << 10; // 10 KiB per window of T; the client takes some 100s of KiB every T/2
        try (ScriptedUpstream up = ScriptedUpstream.start("big", r -> Action.streamBody(200, size, 7, false));
             FakeClockProxy proxy = FakeClockProxy.start(quiet(up, new ClientTimeouts(LONG, LONG, LONG, T, 0)
                     .withSendMinRate(rate)).buffering(true, false));
             Socket c = slowSocket(proxy)) {
            c.getOutputStream().write(GET.getBytes(StandardCharsets.US_ASCII));
            ClientSession s = proxy.awaitSession();
            InputStream in = c.getInputStream();
            awaitBackedUp(s);
            for (int step = 1; step <= 8; step++) { // four windows
                proxy.sweepAt(T.dividedBy(2).multipliedBy(step));
                assertTrue(proxy.registered(s), "cut at step " + step + " although it kept above the rate");
                readUntilProgress(s, in);
                awaitBackedUp(s); // Kodiak's output waits for the client again
            }
            // Then it stops: the next window's end (and the send timeout) cut it.
            proxy.sweepAt(T.dividedBy(2).multipliedBy(8).plus(T).plusNanos(1));
            assertFalse(proxy.registered(s));
            assertTrue(readToEnd(in) < size, "the client got the whole body from a cut connection");
        }
    }

    @Test
    void noWindowRunsWhileTheClientWaitsForTheUpstream() throws Exception {
        // The upstream sends a little and stalls: the client has taken everything, so however
        // long the upstream takes, the client is not "slow".
        try (ScriptedUpstream up = ScriptedUpstream.start("slow", r -> Action.raw(
                "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + "x".repeat(40)).then(Action.stall(Duration.ofSeconds(30))));
             FakeClockProxy proxy = FakeClockProxy.start(quiet(up, QUIET.withSendMinRate(1L << 20)));
             Socket c = proxy.socket()) {
            c.getOutputStream().write(GET.getBytes(StandardCharsets.US_ASCII));
            InputStream in = c.getInputStream();
            assertTrue(WireIo.readHead(in).startsWith("HTTP/1.1 200 "));
            assertEquals(40, in.readNBytes(40).length);
            ClientSession s = proxy.awaitSession();
            Conditions.await("the output taken", () -> locked(s, s::clientInflight) == 0, SETTLE);
            proxy.settle();
            proxy.sweepAt(Duration.ofMinutes(30));
            assertTrue(proxy.registered(s), "cut for the upstream's slowness");
        }
    }

    /** A client socket with a small receive buffer, so Kodiak's output backs up soon. */
    private static Socket slowSocket(FakeClockProxy proxy) throws IOException {
        Socket c = new Socket();
        c.setReceiveBufferSize(4096);
        c.connect(Loopback.at(proxy.port()), 5_000);
        c.setSoTimeout(10_000);
        return c;
    }

    private static void awaitBackedUp(ClientSession s) throws InterruptedException {
        Conditions.await("Kodiak's output to the client backed up",
                () -> locked(s, s::clientInflight) >= ClientSession.CLIENT_HIGH_WATER, SETTLE);
    }

    /**
     * Reads until Kodiak has seen the client take more output, and returns the bytes read: the
     * kernel's socket buffers hold what Kodiak wrote last, and only once the client has read
     * enough of it does a write of Kodiak's make progress (on the selector thread, after the read).
     */
    private static long readUntilProgress(ClientSession s, InputStream in) throws Exception {
        long before = locked(s, s::outputTaken);
        long got = 0;
        while (locked(s, s::outputTaken) == before) {
            assertTrue(got < (32L << 20), "no progress seen after reading " + got + " bytes");
            got += read(in, 16 << 10);
            Thread.sleep(1); // the selector thread's turn
        }
        return got;
    }

    private static long read(InputStream in, long n) throws IOException {
        byte[] buf = new byte[64 * 1024];
        long total = 0;
        while (total < n) {
            int r = in.read(buf, 0, (int) Math.min(buf.length, n - total));
            if (r < 0) {
                break;
            }
            total += r;
        }
        return total;
    }

    private static long readToEnd(InputStream in) throws IOException {
        byte[] buf = new byte[64 * 1024];
        long total = 0;
        try {
            for (int n; (n = in.read(buf)) >= 0; ) {
                total += n;
            }
        } catch (SocketException e) {
            // a reset: the connection was cut
        }
        return total;
    }
}
