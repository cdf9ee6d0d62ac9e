package io.kodiak.proxy;

import io.kodiak.accesslog.Termination;
import io.kodiak.config.BufferingConfig;
import io.kodiak.config.ConnectionPoolConfig;
import io.kodiak.config.PoolConfig;
import io.kodiak.config.RetryConfig;
import io.kodiak.config.ServerHeaderPolicy;
import io.kodiak.config.UpstreamConfig;
import io.kodiak.config.UpstreamTimeouts;
import io.kodiak.http.FieldEdits;
import io.kodiak.http.HeadParser;
import io.kodiak.http.HttpException;
import io.kodiak.http.RequestHead;
import io.kodiak.http.ResponseEncoder.ClientFraming;
import io.kodiak.http.ResponseHead;
import io.kodiak.metrics.ErrorCause;
import io.kodiak.upstream.PoolRuntime;
import io.kodiak.upstream.Upstream;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The phases' decisions without sockets: what dispatch picks or why it cannot, when a failed
 * attempt may be retried, how a response is framed for the client, and which termination state
 * an ending gets.
 */
class PhaseDecisionsTest {
    private static PoolRuntime pool(int maxConnections, RetryConfig retries) {
        List<UpstreamConfig> ups = List.of(new UpstreamConfig("a", "127.0.0.1", 9001, 1, maxConnections),
                new UpstreamConfig("b", "127.0.0.1", 9002, 1, maxConnections));
        PoolConfig d = new PoolConfig("p", PoolConfig.Strategy.ROUND_ROBIN, ups, UpstreamTimeouts.DEFAULTS,
                ConnectionPoolConfig.DEFAULTS, BufferingConfig.defaults(), null);
        return new PoolRuntime(new PoolConfig(d.name(), d.strategy(), d.upstreams(), d.timeouts(), d.connections(),
                d.buffering(), d.errorPage(), d.latencyDecay(), d.hash(), d.queue(), d.choiceCount(), d.healthCheck(),
                retries, d.outlierDetection(), d.slowStart(), 0), new SplittableRandom(1));
    }

    private static RequestHead request(String head) throws HttpException {
        return HeadParser.parseRequest(head.getBytes(StandardCharsets.ISO_8859_1), 100, false);
    }

    private static ResponseHead response(String head, boolean toHead) throws HttpException {
        return HeadParser.parseResponse(head.getBytes(StandardCharsets.ISO_8859_1), toHead);
    }

    private static final String GET = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";

    // ------------------------------------------------------------------ dispatch

    @Test
    void dispatchHoldsTheSlotOfWhatItPicksAndNeverPicksAnUpstreamTwice() throws Exception {
        PoolRuntime p = pool(0, RetryConfig.DEFAULTS);
        Dispatcher d = new Dispatcher(p);
        Upstream first = d.pick(request(GET), "127.0.0.1");
        assertNotNull(first);
        assertEquals(1, first.inFlight(), "counted in flight from the pick");
        d.attempting(first);
        first.end();
        Upstream second = d.pick(request(GET), "127.0.0.1");
        assertNotNull(second);
        assertNotEquals(first, second, "a retry goes to another upstream");
        d.attempting(second);
        second.end();
        assertNull(d.pick(request(GET), "127.0.0.1"), "both tried");
        assertEquals(Dispatcher.NoPick.NONE, d.noPick());
        assertEquals(2, d.attempts());
    }

    @Test
    void dispatchQueuesWhenEveryUntriedUpstreamIsOnlyFull() throws Exception {
        PoolRuntime p = pool(1, RetryConfig.DEFAULTS);
        for (Upstream u : p.upstreams()) {
            assertTrue(u.tryBegin());
        }
        Dispatcher d = new Dispatcher(p);
        assertNull(d.pick(request(GET), "127.0.0.1"));
        assertEquals(Dispatcher.NoPick.QUEUE, d.noPick(), "full, not down: wait for a slot");
        for (Upstream u : p.upstreams()) {
            u.setHealthy(false);
        }
        p.refresh();
        assertNull(d.pick(request(GET), "127.0.0.1"));
        assertEquals(Dispatcher.NoPick.NONE, d.noPick(), "nothing usable: no point in waiting");
    }

    @Test
    void aRetryNeedsAnUntriedUpstreamAnIdempotentMethodAReplayableBodyAndNoResponseYet() throws Exception {
        PoolRuntime p = pool(0, new RetryConfig(1, true, true, Set.of(), 100, 10));
        Dispatcher d = new Dispatcher(p);
        Upstream u = d.pick(request(GET), "127.0.0.1");
        d.attempting(u);
        assertTrue(d.mayRetry(false, true, "GET"));
        assertFalse(d.mayRetry(true, true, "GET"), "a response already reached the client");
        assertFalse(d.mayRetry(false, false, "GET"), "a streamed body cannot be sent again");
        assertFalse(d.mayRetry(false, true, "POST"), "not idempotent (retries.on: non-idempotent opts in)");
        assertTrue(d.spendRetry());
        assertFalse(d.mayRetry(false, true, "GET"), "attempts: 1 is spent");
    }

    @Test
    void aRetryStopsWhenEveryUpstreamWasTried() throws Exception {
        PoolRuntime p = pool(0, new RetryConfig(5, true, true, Set.of(), 100, 10));
        Dispatcher d = new Dispatcher(p);
        for (int i = 0; i < 2; i++) {
            Upstream u = d.pick(request(GET), "127.0.0.1");
            d.attempting(u);
            u.end();
        }
        assertFalse(d.mayRetry(false, true, "GET"), "never the same upstream twice");
    }

    @Test
    void anEmptyRetryBudgetRefusesTheRetry() throws Exception {
        PoolRuntime p = pool(0, new RetryConfig(2, true, true, Set.of(), 0, 0));
        Dispatcher d = new Dispatcher(p);
        d.attempting(d.pick(request(GET), "127.0.0.1"));
        assertTrue(d.mayRetry(false, true, "GET"), "the policy allows it");
        assertFalse(d.spendRetry(), "but a budget of 0 % and 0 per second has nothing to spend");
    }

    // ------------------------------------------------------------------ response head

    @Test
    void aLengthGoesThroughAndKeepsTheConnection() throws Exception {
        ResponseFramingPlan plan = ResponseFramingPlan.of(response("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", false),
                request(GET), true, ServerHeaderPolicy.DEFAULTS, null, null);
        assertEquals(ClientFraming.LENGTH, plan.framing());
        assertTrue(plan.keepAlive());
        assertTrue(plan.encodedHead().toString().contains("Content-Length: 5\r\n"));
    }

    @Test
    void aBodyWithoutLengthIsChunkedForHttp11AndReadToTheCloseForHttp10() throws Exception {
        ResponseHead close = response("HTTP/1.0 200 OK\r\n\r\n", false);
        ResponseFramingPlan p11 = ResponseFramingPlan.of(close, request(GET), true, ServerHeaderPolicy.DEFAULTS, null, null);
        assertEquals(ClientFraming.CHUNKED, p11.framing());
        assertTrue(p11.keepAlive(), "chunked keeps an HTTP/1.1 client's connection usable");
        ResponseFramingPlan p10 = ResponseFramingPlan.of(close, request("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"),
                true, ServerHeaderPolicy.DEFAULTS, null, null);
        assertEquals(ClientFraming.CLOSE, p10.framing());
        assertFalse(p10.keepAlive(), "an HTTP/1.0 client reads to the close");
    }

    @Test
    void aTransformedBodyLosesItsLengthAndFieldEditsApply() throws Exception {
        ResponseHead r = response("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Powered-By: Django\r\n\r\n", false);
        ResponseFramingPlan plan = ResponseFramingPlan.of(r, request(GET), true, ServerHeaderPolicy.DEFAULTS, null, null,
                new FieldEdits().remove("X-Powered-By").add("X-Frame-Options", "DENY"), true);
        assertEquals(ClientFraming.CHUNKED, plan.framing());
        String head = plan.encodedHead().toString();
        assertFalse(head.contains("Content-Length"), head);
        assertFalse(head.contains("X-Powered-By"), head);
        assertTrue(head.contains("X-Frame-Options: DENY\r\n"), head);
    }

    @Test
    void whatForbidsKeepAliveClosesTheConnection() throws Exception {
        ResponseFramingPlan plan = ResponseFramingPlan.of(response("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false),
                request(GET), false, ServerHeaderPolicy.DEFAULTS, null, null);
        assertFalse(plan.keepAlive());
        assertTrue(plan.encodedHead().toString().contains("Connection: close\r\n"));
    }

    // ------------------------------------------------------------------ termination state

    @Test
    void terminationStates() {
        assertEquals(Termination.CLIENT_ABORT_REQUEST, Endings.clientGone(false, false));
        assertEquals(Termination.CLIENT_ABORT, Endings.clientGone(true, false));
        assertEquals(Termination.NORMAL, Endings.clientGone(true, true), "a WebSocket ends when a side closes");
        assertEquals(Termination.CLIENT_TIMEOUT, Endings.sessionRejected(408));
        assertEquals(Termination.LOCAL_ANSWER, Endings.sessionRejected(400));
        assertEquals(Termination.LOCAL_ANSWER, Endings.sessionRejected(431));
        assertEquals(Termination.CONNECT_TIMEOUT, Endings.connectFailed(ErrorCause.CONNECT_TIMEOUT));
        assertEquals(Termination.CONNECT_FAILED, Endings.connectFailed(ErrorCause.CONNECT_REFUSED));
        assertEquals(Termination.UPSTREAM_RESET, Endings.upstreamClosed(false));
        assertEquals(Termination.UPSTREAM_ABORT, Endings.upstreamClosed(true));
        assertEquals(Termination.NO_UPSTREAM, Endings.noUpstream(null));
        assertEquals(Termination.CONNECT_FAILED, Endings.noUpstream(Termination.CONNECT_FAILED),
                "after failed attempts, the last failure says why");
    }
}
