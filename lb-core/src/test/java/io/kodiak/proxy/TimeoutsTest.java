package io.kodiak.proxy;

import io.kodiak.testing.Action;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.RawResponse;
import io.kodiak.testing.ScriptedUpstream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.EOFException;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Connect failures and every timeout, each configured at 300 ms where it matters and everything
 * else at seconds, so only the timeout under test can explain the outcome. Clients read with a
 * 10 s timeout: a missing timeout shows as a failed read, not a hung build.
 */
@Timeout(60)
class TimeoutsTest {
    private static final Duration SHORT = Duration.ofMillis(300);

    @Test
    void refusedUpstreamIsSkippedAndTheNextOneAnswers() throws Exception {
        try (ScriptedUpstream live = ScriptedUpstream.start("live");
             TestProxy proxy = new ProxyConfig().upstream("dead", ScriptedUpstream.unusedPort(), 1)
                     .upstream("live", live.port(), 1).start()) {
            for (int i = 0; i < 6; i++) {
                try (RawClient c = proxy.client()) { // new connections, so no pooled connection hides a pick
                    RawResponse r = c.get("/" + i);
                    assertEquals(200, r.status(), r.toString());
                    assertEquals("live", r.header("X-Upstream"));
                }
            }
            assertEquals(6, live.requestsReceived());
        }
    }

    @Test
    void allUpstreamsRefusingGives502WithoutWaitingForTheConnectTimeout() throws Exception {
        try (TestProxy proxy = new ProxyConfig().upstream("dead1", ScriptedUpstream.unusedPort(), 1)
                .upstream("dead2", ScriptedUpstream.unusedPort(), 1)
                .connectTimeout(Duration.ofSeconds(60)).start();
             RawClient c = proxy.client()) {
            // A refusal is final at once: the 60 s connect timeout would trip the 10 s read timeout.
            RawResponse r = c.get("/");
            assertEquals(502, r.status());
            assertEquals(502, c.get("/again").status());
        }
    }

    @Test
    void hangingConnectGives502AfterTheConnectTimeoutOrFallsOverToTheNextUpstream() throws Exception {
        try (BlackHole hole = BlackHole.open(); ScriptedUpstream live = ScriptedUpstream.start("live")) {
            try (TestProxy proxy = new ProxyConfig().upstream("hole", hole.port(), 1).connectTimeout(SHORT).start();
                 RawClient c = proxy.client()) {
                assertEquals(502, c.get("/").status());
            }
            try (TestProxy proxy = new ProxyConfig().upstream("hole", hole.port(), 1)
                    .upstream("live", live.port(), 1).connectTimeout(SHORT).start()) {
                for (int i = 0; i < 4; i++) {
                    try (RawClient c = proxy.client()) {
                        RawResponse r = c.get("/" + i);
                        assertEquals(200, r.status());
                        assertEquals("live", r.header("X-Upstream"));
                    }
                }
            }
        }
    }

    @Test
    void upstreamThatNeverAnswersGives504AfterTheResponseTimeout() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("mute", r -> Action.stall(Duration.ofSeconds(30)));
             TestProxy proxy = ProxyConfig.to(up).responseTimeout(SHORT).start();
             RawClient c = proxy.client()) {
            RawResponse r = c.get("/");
            assertEquals(504, r.status());
            assertEquals(1, up.requestsReceived());
        }
    }

    @Test
    void responseBodyThatStallsClosesTheClientConnectionAfterTheReadTimeout() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("slow", r -> Action.raw(
                "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + "x".repeat(40)).then(Action.stall(Duration.ofSeconds(30))));
             TestProxy proxy = ProxyConfig.to(up).upstreamTimeouts(Duration.ofSeconds(3), Duration.ofSeconds(10),
                     SHORT, Duration.ofSeconds(10)).start();
             RawClient c = proxy.client()) {
            IOException e = assertThrows(IOException.class, () -> c.get("/"));
            assertFalse(e instanceof SocketTimeoutException, "the client was left hanging: " + e);
        }
    }

    @Test
    void slowlorisGets408AndIsClosed() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("a");
             TestProxy proxy = ProxyConfig.to(up).clientTimeouts(SHORT, Duration.ofSeconds(30),
                     Duration.ofSeconds(10), Duration.ofSeconds(10)).start();
             RawClient c = proxy.client(Duration.ofMillis(50))) {
            String trickle = "GET / HTTP/1.1\r\nHost: t\r\nX-Slow: " + "a".repeat(200);
            boolean answered = false;
            for (int i = 0; i < trickle.length() && !answered; i++) {
                c.send(trickle.substring(i, i + 1));
                // The pause between bytes is a 50 ms wait for Kodiak to answer.
                answered = c.awaitClose() != RawClient.Closure.TIMED_OUT;
            }
            assertTrue(answered, "Kodiak waited through 200 bytes at 50 ms each for one head");
            c.readTimeout(Duration.ofSeconds(10));
            RawResponse r = c.readResponse();
            assertEquals(408, r.status());
            assertEquals(RawClient.Closure.EOF, c.awaitClose());
            assertEquals(0, up.connectionsAccepted());
        }
    }

    @Test
    void idleKeepAliveClientIsClosedAfterTheKeepAliveTimeout() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("a");
             TestProxy proxy = ProxyConfig.to(up).clientTimeouts(Duration.ofSeconds(5), SHORT,
                     Duration.ofSeconds(10), Duration.ofSeconds(10)).start()) {
            try (RawClient c = proxy.client()) {
                assertEquals(200, c.get("/").status());
                assertEquals(RawClient.Closure.EOF, c.awaitClose());
            }
            try (RawClient silent = proxy.client()) {
                assertEquals(RawClient.Closure.EOF, silent.awaitClose(), "a connection that never sends is closed too");
            }
        }
    }

    @ParameterizedTest(name = "chunked {0}")
    @ValueSource(booleans = {false, true})
    void upstreamResetMidResponseTruncatesTheClientResponse(boolean chunked) throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("a", r -> Action.raw(chunked
                ? "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + ("400\r\n" + "y".repeat(1024) + "\r\n").repeat(50)
                : "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + "y".repeat(50_000)).then(Action.reset()));
             TestProxy proxy = ProxyConfig.to(up).start();
             RawClient c = proxy.client()) {
            IOException e = assertThrows(IOException.class, () -> c.get("/"));
            assertFalse(e instanceof SocketTimeoutException, "the client was left hanging: " + e);
        }
    }

    @Test
    void upstreamClosingMidContentLengthBodyTruncatesTheClientResponse() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("a", r -> Action.raw(
                "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + "y".repeat(50_000)).thenClose());
             TestProxy proxy = ProxyConfig.to(up).start();
             RawClient c = proxy.client()) {
            IOException e = assertThrows(IOException.class, () -> c.get("/"));
            assertTrue(e instanceof EOFException || String.valueOf(e.getMessage()).contains("reset"), e.toString());
        }
    }
}
