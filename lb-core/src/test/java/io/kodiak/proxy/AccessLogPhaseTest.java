package io.kodiak.proxy;

import io.kodiak.accesslog.AccessLogEntry;
import io.kodiak.accesslog.Termination;
import io.kodiak.testing.Action;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.RawResponse;
import io.kodiak.testing.ScriptedUpstream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The log phase over real sockets: every way an exchange ends yields exactly one entry with the
 * termination state that names who ended it and why, the status the client got, and the timings.
 */
@Timeout(60)
class AccessLogPhaseTest {
    private static final Duration SHORT = Duration.ofMillis(300);
    private static final Duration LONG = Duration.ofSeconds(30);

    /** A proxy with a capturing log filter on its listener. */
    private static final class Logged implements AutoCloseable {
        final ProxyServer server;
        final LinkedBlockingQueue<AccessLogEntry> entries = new LinkedBlockingQueue<>();

        Logged(ProxyConfig config) throws IOException {
            server = ProxyServer.start(config.build());
            server.filters(ProxyConfig.LISTENER, io.kodiak.filter.Filters.NONE.withLog(entries::add));
        }

        RawClient client() throws IOException {
            return RawClient.connect(server.boundAddress(ProxyConfig.LISTENER).getPort());
        }

        AccessLogEntry next() throws InterruptedException {
            AccessLogEntry e = entries.poll(10, TimeUnit.SECONDS);
            assertNotNull(e, "no access log entry");
            return e;
        }

        /** Exactly one entry is logged: no second one follows within a moment. */
        AccessLogEntry only() throws InterruptedException {
            AccessLogEntry e = next();
            AccessLogEntry extra = entries.poll(200, TimeUnit.MILLISECONDS);
            assertNull(extra, "a second entry for one request: " + extra);
            return e;
        }

        @Override
        public void close() {
            server.close();
        }
    }

    @Test
    void aProxiedRequestIsLoggedWithEveryField() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("a", r -> Action.ok("hello"));
             Logged p = new Logged(ProxyConfig.to(up))) {
            RawClient c = p.client();
            c.send("GET /x?y=1 HTTP/1.1\r\nHost: t\r\nUser-Agent: curl/8\r\nReferer: http://r/\r\nX-Request-ID: abc\r\n\r\n");
            RawResponse r = c.readResponse();
            assertEquals(200, r.status());
            AccessLogEntry e = p.only();
            assertEquals("127.0.0.1", e.clientAddress());
            assertTrue(e.clientPort() > 0);
            assertEquals("GET", e.method());
            assertEquals("/x?y=1", e.target());
            assertEquals("HTTP/1.1", e.protocol());
            assertEquals(200, e.status());
            assertEquals(Termination.NORMAL, e.termination());
            assertEquals(ProxyConfig.LISTENER, e.listener());
            assertEquals(ProxyConfig.POOL, e.pool());
            assertEquals("a", e.upstreamName());
            assertEquals(up.hostPort(), e.upstreamAddress());
            assertEquals(1, e.attempts());
            assertEquals(0, e.queueNanos());
            assertEquals("curl/8", e.userAgent());
            assertEquals("http://r/", e.referer());
            assertNotNull(e.requestId());
            assertEquals(5, e.bodyBytesSent());
            assertTrue(e.bytesSent() > e.bodyBytesSent(), "the head counts in bytes sent");
            assertTrue(e.bytesReceived() >= 80, "the request head counts: " + e.bytesReceived());
            assertTrue(e.upstreamConnectNanos() >= 0 && e.upstreamHeaderNanos() >= e.upstreamConnectNanos()
                    && e.upstreamResponseNanos() >= e.upstreamHeaderNanos(), e.toString());
            assertTrue(e.requestTimeNanos() >= e.upstreamResponseNanos(), e.toString());
            assertTrue(Math.abs(System.currentTimeMillis() - e.startEpochMillis()) < 60_000);

            // The next request on the same connection reuses the upstream connection: no connect.
            c.send("POST /y HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc");
            assertEquals(200, c.readResponse().status());
            AccessLogEntry second = p.only();
            assertEquals("POST", second.method());
            assertEquals(0, second.upstreamConnectNanos(), "a kept-alive upstream connection");
            assertTrue(second.bytesReceived() > 3);
        }
    }

    @Test
    void pipelinedLocalAnswersAreLoggedInOrder() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("a");
             Logged p = new Logged(ProxyConfig.to(up))) {
            p.server.filters(ProxyConfig.LISTENER, new io.kodiak.filter.Filters(new io.kodiak.filter.RequestFilter[] {r -> {
                r.respond(204, "text/plain", new byte[0], null);
                return io.kodiak.filter.RequestFilter.Verdict.RESPONDED;
            }}, new io.kodiak.filter.ResponseFilter[0], new io.kodiak.filter.LogFilter[] {p.entries::add}));
            RawClient c = p.client();
            c.send("GET /first HTTP/1.1\r\nHost: t\r\n\r\nGET /second HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals(204, c.readResponse().status());
            assertEquals(204, c.readResponse().status());
            assertEquals("/first", p.next().target());
            assertEquals("/second", p.next().target());
        }
    }

    @Test
    void aWebSocketClosedByTheClientIsLoggedAsA101ThatEndedNormally() throws Exception {
        String switching = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
        try (ScriptedUpstream up = ScriptedUpstream.start("a", r -> Action.sequence(Action.raw(switching + "hello"),
                Action.stall(LONG)));
             Logged p = new Logged(ProxyConfig.to(up));
             java.net.Socket ws = new java.net.Socket()) {
            ws.setSoTimeout(10_000);
            ws.connect(io.kodiak.testing.Loopback.at(p.server.boundAddress(ProxyConfig.LISTENER).getPort()), 10_000);
            ws.getOutputStream().write(("GET /chat HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            java.io.InputStream in = new java.io.BufferedInputStream(ws.getInputStream());
            String head = WireIo.readHead(in);
            assertTrue(head.startsWith("HTTP/1.1 101 "), head);
            assertEquals("hello", new String(in.readNBytes(5), java.nio.charset.StandardCharsets.US_ASCII));
            // Frames to the upstream, then the close: on one socket, Kodiak reads the bytes before the end.
            ws.getOutputStream().write(new byte[100]);
            ws.getOutputStream().flush();
            ws.close();
            AccessLogEntry e = p.only();
            assertEquals(101, e.status());
            assertEquals(Termination.NORMAL, e.termination());
            assertEquals(head.length() + 5, e.bytesSent(), "the 101 head and the bytes relayed to the client");
            assertEquals(5, e.bodyBytesSent());
            assertTrue(e.bytesReceived() >= 100 + 100, "the upgrade request and the 100 bytes: " + e.bytesReceived());
        }
    }

    @Test
    void aRequestTooLargeIsALocalAnswer() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("a");
             Logged p = new Logged(ProxyConfig.to(up).maxRequestBody(10))) {
            RawClient c = p.client();
            c.send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n");
            assertEquals(413, c.readResponse().status());
            AccessLogEntry e = p.only();
            assertEquals(413, e.status());
            assertEquals(Termination.LOCAL_ANSWER, e.termination());
            assertEquals(0, e.attempts());
            assertNull(e.upstreamName());
        }
    }

    @Test
    void aMalformedRequestIsLoggedWithoutARequestLine() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("a");
             Logged p = new Logged(ProxyConfig.to(up))) {
            RawClient c = p.client();
            c.send("GET / HTTP/1.1\r\nHost: t\r\nBad Header: x\r\n\r\n");
            assertEquals(400, c.readResponse().status());
            AccessLogEntry e = p.only();
            assertEquals(400, e.status());
            assertEquals(Termination.LOCAL_ANSWER, e.termination());
            assertNull(e.method());
            assertTrue(e.bytesSent() > 0);
        }
    }

    @Test
    void anUpstreamResetBeforeTheHeadIs502SH() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("a", r -> Action.reset());
             Logged p = new Logged(ProxyConfig.to(up))) {
            RawClient c = p.client();
            c.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals(502, c.readResponse().status());
            AccessLogEntry e = p.only();
            assertEquals(502, e.status());
            assertEquals(Termination.UPSTREAM_RESET, e.termination());
            assertEquals("a", e.upstreamName());
            assertEquals(-1, e.upstreamHeaderNanos());
        }
    }

    @Test
    void anUpstreamThatClosesMidBodyIsSD() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("a",
                r -> Action.sequence(Action.raw("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this"), Action.close()));
             Logged p = new Logged(ProxyConfig.to(up))) {
            RawClient c = p.client();
            c.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
            AccessLogEntry e = p.only();
            assertEquals(200, e.status());
            assertEquals(Termination.UPSTREAM_ABORT, e.termination());
            assertEquals(-1, e.upstreamResponseNanos(), "the response never ended");
        }
    }

    @Test
    void anInvalidResponseHeadIsPH() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("a", r -> Action.raw("HTTP/1.1 2x0 Nope\r\n\r\n"));
             Logged p = new Logged(ProxyConfig.to(up))) {
            RawClient c = p.client();
            c.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals(502, c.readResponse().status());
            AccessLogEntry e = p.only();
            assertEquals(Termination.INVALID_RESPONSE, e.termination());
        }
    }

    @Test
    void noResponseInTimeIs504sH() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("a", r -> Action.stall(LONG));
             Logged p = new Logged(ProxyConfig.to(up).responseTimeout(SHORT))) {
            RawClient c = p.client();
            c.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals(504, c.readResponse().status());
            AccessLogEntry e = p.only();
            assertEquals(504, e.status());
            assertEquals(Termination.RESPONSE_TIMEOUT, e.termination());
        }
    }

    @Test
    void aStalledBodyIsSD() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("a", r -> Action.sequence(
                Action.raw("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nsome"), Action.stall(LONG)));
             Logged p = new Logged(ProxyConfig.to(up).upstreamTimeouts(Duration.ofSeconds(3), LONG, SHORT, LONG))) {
            RawClient c = p.client();
            c.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
            AccessLogEntry e = p.only();
            assertEquals(Termination.READ_TIMEOUT, e.termination());
            assertEquals(200, e.status());
        }
    }

    @Test
    void aRefusedConnectIs502SC() throws Exception {
        int closed = ScriptedUpstream.unusedPort();
        try (Logged p = new Logged(new ProxyConfig().upstream("gone", closed, 1))) {
            RawClient c = p.client();
            c.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
            int status = c.readResponse().status();
            AccessLogEntry e = p.only();
            assertEquals(status, e.status());
            assertEquals(Termination.CONNECT_FAILED, e.termination());
            assertEquals(-1, e.upstreamConnectNanos());
        }
    }

    @Test
    void aFullQueueIsPQAndAWaitTooLongIsSQ() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("a", r -> r.path().startsWith("/slow")
                ? Action.sequence(Action.stall(Duration.ofSeconds(2)), Action.ok("late")) : Action.ok("ok"));
             Logged p = new Logged(ProxyConfig.to(up).maxConnections(1).queue(1, SHORT))) {
            RawClient holder = p.client();
            holder.send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n");
            up.await("slot taken", () -> up.requestsInProgress() == 1, Duration.ofSeconds(10));
            RawClient waiter = p.client();
            waiter.send("GET /wait HTTP/1.1\r\nHost: t\r\n\r\n");
            Conditions.await("queued", () -> p.server.queued(ProxyConfig.POOL) == 1, Duration.ofSeconds(10));
            RawClient refused = p.client();
            refused.send("GET /refused HTTP/1.1\r\nHost: t\r\n\r\n");
            assertEquals(503, refused.readResponse().status());
            AccessLogEntry full = p.next();
            assertEquals(Termination.QUEUE_FULL, full.termination());
            assertEquals("/refused", full.target());
            assertEquals(503, waiter.readResponse().status());
            AccessLogEntry waited = p.next();
            assertEquals(Termination.QUEUE_TIMEOUT, waited.termination());
            assertTrue(waited.queueNanos() > 0, "the time in the queue is logged");
            assertEquals(200, holder.readResponse().status());
            assertEquals(Termination.NORMAL, p.next().termination());
        }
    }

    @Test
    void aClientGoneMidResponseIsCD() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("a", r -> Action.sequence(
                Action.raw("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nsome"), Action.stall(LONG)));
             Logged p = new Logged(ProxyConfig.to(up))) {
            RawClient c = p.client();
            c.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
            up.await("response started", () -> up.requestsInProgress() == 1, Duration.ofSeconds(10));
            c.reset();
            AccessLogEntry e = p.only();
            assertEquals(Termination.CLIENT_ABORT, e.termination());
        }
    }

    @Test
    void aClientGoneMidRequestBodyIsCR() throws Exception {
        // Streamed, so that the upstream seeing the head says the body has started.
        try (ScriptedUpstream up = ScriptedUpstream.start("a");
             Logged p = new Logged(ProxyConfig.to(up).buffering(false, false))) {
            RawClient c = p.client();
            c.send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nabc");
            up.await("request head upstream", () -> up.requestsInProgress() == 1, Duration.ofSeconds(10));
            c.reset();
            AccessLogEntry e = p.only();
            assertEquals(Termination.CLIENT_ABORT_REQUEST, e.termination());
            assertEquals(0, e.status());
        }
    }

    @Test
    void aBodyThatComesTooSlowlyIs408cR() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("a");
             Logged p = new Logged(ProxyConfig.to(up).clientTimeouts(Duration.ofSeconds(5), LONG, SHORT, LONG))) {
            RawClient c = p.client();
            c.send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nabc");
            assertEquals(408, c.readResponse().status());
            AccessLogEntry e = p.only();
            assertEquals(408, e.status());
            assertEquals(Termination.CLIENT_TIMEOUT, e.termination());
            assertEquals("POST", e.method());
            assertTrue(e.bytesSent() > 0, "the 408 written counts: " + e.bytesSent());
            assertEquals("408 Request Timeout\n".length(), e.bodyBytesSent());
        }
    }
}
