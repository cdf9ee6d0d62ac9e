package io.kodiak.proxy;

import io.kodiak.testing.Action;
import io.kodiak.testing.DeterministicBytes;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.RawResponse;
import io.kodiak.testing.RecordedRequest;
import io.kodiak.testing.ScriptedUpstream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Upstream keep-alive: reuse, idle expiry of pooled connections, and the stale-connection retry. */
@Timeout(30)
class UpstreamKeepAliveTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    @Test
    void sequentialRequestsReuseOneUpstreamConnection() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("a");
             TestProxy proxy = ProxyConfig.to(up).start()) {
            for (int client = 0; client < 4; client++) {
                try (RawClient c = proxy.client()) {
                    for (int i = 0; i < 10; i++) {
                        assertEquals(200, c.get("/" + client + "/" + i).status());
                    }
                }
            }
            assertEquals(40, up.requestsReceived());
            // Kodiak pools the connection as soon as the response is read, before relaying it.
            assertEquals(1, up.connectionsAccepted(), up.toString());
        }
    }

    @Test
    void idlePooledConnectionIsClosedAfterTheIdleTimeout() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("a");
             TestProxy proxy = ProxyConfig.to(up).connections(8, Duration.ofMillis(300)).start();
             RawClient c = proxy.client()) {
            assertEquals(200, c.get("/first").status());
            assertEquals(1, up.connectionsAccepted());
            // The upstream never closes on its own, so only Kodiak's idle timeout can end it.
            up.await("pooled connection closed by Kodiak", () -> up.openConnections() == 0, WAIT);
            assertEquals(200, c.get("/second").status());
            assertEquals(2, up.connectionsAccepted());
        }
    }

    @Test
    void upstreamClosingAfterEachResponseWithoutSayingSoStillServesEveryRequest() throws Exception {
        // A server that closes right after responding, without Connection: close.
        try (ScriptedUpstream up = ScriptedUpstream.start("a", r -> Action.ok("n" + r.sequence()).thenClose());
             TestProxy proxy = ProxyConfig.to(up).start();
             RawClient c = proxy.client()) {
            for (int i = 0; i < 5; i++) {
                RawResponse r = c.get("/" + i);
                assertEquals(200, r.status(), r.toString());
                assertEquals("n" + i, r.bodyString());
            }
            assertEquals(5, up.requestsReceived());
        }
    }

    @Test
    void stalePooledConnectionIsRetriedOnceOnAFreshConnection() throws Exception {
        // The second request on any connection finds it "closed by the upstream": the upstream reads
        // it and closes without a byte, exactly what a pooled connection that timed out looks like.
        try (ScriptedUpstream up = ScriptedUpstream.start("a",
                r -> r.indexOnConnection() > 0 ? Action.close() : Action.ok("fresh " + r.connectionId()));
             TestProxy proxy = ProxyConfig.to(up).start();
             RawClient c = proxy.client()) {
            assertEquals("fresh 1", c.get("/one").bodyString());
            RawResponse second = c.get("/two");
            assertEquals(200, second.status(), second.toString());
            assertEquals("fresh 2", second.bodyString());
            List<RecordedRequest> seen = up.requests();
            assertEquals(3, seen.size(), seen.toString());
            assertEquals("/two", seen.get(1).target());
            assertEquals(1, seen.get(1).connectionId());
            assertEquals("/two", seen.get(2).target());
            assertEquals(2, seen.get(2).connectionId());
        }
    }

    @Test
    void stalePooledConnectionRetryReplaysASpilledBodyFromItsTempFile() throws Exception {
        long size = 3L << 20; // far beyond the 64 KiB in memory: the replay reads the temp file again
        try (ScriptedUpstream up = ScriptedUpstream.start("a",
                r -> r.indexOnConnection() > 0 ? Action.close() : Action.ok(r.body().length() + " " + r.body().sha256()));
             TestProxy proxy = ProxyConfig.to(up).start();
             RawClient c = proxy.client()) {
            assertEquals(200, c.get("/warm").status());
            c.send("PUT /put HTTP/1.1\r\nHost: t\r\nContent-Length: " + size + "\r\n\r\n");
            c.sendBody(21, size);
            RawResponse r = c.readResponse();
            assertEquals(200, r.status(), r.toString());
            assertEquals(size + " " + DeterministicBytes.of(21).sha256Hex(size), r.bodyString());
            assertEquals(2, up.connectionsAccepted());
            List<RecordedRequest> seen = up.requests();
            assertEquals(3, seen.size());
            assertEquals(seen.get(1).body().sha256(), seen.get(2).body().sha256(), "both attempts carried the body");
        }
    }

    @Test
    void staleRetryHappensOnlyOnceThenTheClientGets502() throws Exception {
        // Only the very first request is answered; every later one is dropped unanswered.
        try (ScriptedUpstream up = ScriptedUpstream.start("a",
                r -> r.sequence() == 0 ? Action.ok("first") : Action.close());
             TestProxy proxy = ProxyConfig.to(up).start();
             RawClient c = proxy.client()) {
            assertEquals(200, c.get("/warm").status());
            RawResponse r = c.get("/doomed");
            assertEquals(502, r.status(), r.toString());
            // Pooled attempt plus exactly one retry on a fresh connection.
            assertEquals(3, up.requestsReceived(), up.requests().toString());
            assertEquals(2, up.connectionsAccepted());
            assertTrue(up.errors().isEmpty(), up.errors().toString());
        }
    }

    @Test
    void aNonIdempotentRequestWrittenWholeIsNotResentWhenItsPooledConnectionCloses() throws Exception {
        // The upstream reads the request and closes without a byte: a stale keep-alive connection
        // looks exactly like a worker that ran the POST and died. Repeating it could run it twice.
        for (String method : List.of("POST", "PATCH")) {
            try (ScriptedUpstream up = ScriptedUpstream.start("a",
                    r -> r.indexOnConnection() > 0 ? Action.close() : Action.ok("fresh"));
                 TestProxy proxy = ProxyConfig.to(up).start();
                 RawClient c = proxy.client()) {
                assertEquals(200, c.get("/warm").status());
                RawResponse r = c.exchange(method + " /pay HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc");
                assertEquals(502, r.status(), method + ": " + r);
                List<RecordedRequest> seen = up.requests();
                assertEquals(2, seen.size(), method + ": " + seen);
                assertEquals(1, seen.stream().filter(q -> q.target().equals("/pay")).count(), method);
            }
        }
    }

    @Test
    void aPoolThatOptsInResendsANonIdempotentRequest() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("a",
                r -> r.indexOnConnection() > 0 ? Action.close() : Action.ok("fresh " + r.connectionId()));
             TestProxy proxy = ProxyConfig.to(up)
                     .retries(new io.kodiak.config.RetryConfig(0, false, false, java.util.Set.of(), 0, 0, true)).start();
             RawClient c = proxy.client()) {
            assertEquals(200, c.get("/warm").status());
            RawResponse r = c.exchange("POST /pay HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc");
            assertEquals(200, r.status(), r.toString());
            assertEquals("fresh 2", r.bodyString());
            assertEquals(2, up.requests().stream().filter(q -> q.target().equals("/pay")).count());
        }
    }
}
