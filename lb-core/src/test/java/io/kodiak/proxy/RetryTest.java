package io.kodiak.proxy;

import io.kodiak.config.RetryConfig;
import io.kodiak.testing.Action;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.RawResponse;
import io.kodiak.testing.ScriptedUpstream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Retries over real sockets: a request whose upstream failed before any response byte reached
 * the client goes to another upstream when that is safe, and never when it is not.
 */
@Timeout(30)
class RetryTest {
    private static final RetryConfig ON = new RetryConfig(2, true, true, Set.of(), 20, 3);

    private final List<ScriptedUpstream> ups = new ArrayList<>();

    @AfterEach
    void stopUpstreams() {
        ups.forEach(ScriptedUpstream::close);
    }

    /** Upstream {@code a} fails every request as {@code failure} does; {@code b} answers normally. */
    private TestProxy twoUpstreams(Action failure, RetryConfig retries) throws IOException {
        ups.add(ScriptedUpstream.start("a", r -> failure));
        ups.add(ScriptedUpstream.start("b"));
        // Round-robin: whatever its phase, a is picked first for every other request.
        return ProxyConfig.to(ups.get(0), ups.get(1)).retries(retries)
                .upstreamTimeouts(Duration.ofSeconds(2), Duration.ofMillis(300), Duration.ofSeconds(5), Duration.ofSeconds(5))
                .start();
    }

    private ScriptedUpstream a() {
        return ups.get(0);
    }

    private ScriptedUpstream b() {
        return ups.get(1);
    }

    @Test
    void aGetWhoseUpstreamResetsIsAnsweredByTheNextUpstream() throws Exception {
        try (TestProxy proxy = twoUpstreams(Action.reset(), ON); RawClient c = proxy.client()) {
            for (int i = 0; i < 6; i++) {
                RawResponse r = c.get("/r" + i);
                assertEquals(200, r.status(), r.toString());
                assertEquals("b", r.header("X-Upstream"));
            }
        }
        assertEquals(3, a().requestsReceived(), "round-robin sent a every other request first");
        assertEquals(6, b().requestsReceived(), "b answered them all, retries included");
    }

    @Test
    void aPostIsNeverRetriedAfterTheUpstreamMayHaveProcessedIt() throws Exception {
        try (TestProxy proxy = twoUpstreams(Action.reset(), ON)) {
            int failed = 0;
            for (int i = 0; i < 6; i++) {
                try (RawClient c = proxy.client()) {
                    c.send("POST /order HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nhi");
                    RawResponse r = c.readResponse();
                    if (r.status() == 502) {
                        failed++;
                    } else {
                        assertEquals("b", r.header("X-Upstream"));
                    }
                }
            }
            assertEquals(a().requestsReceived(), failed, "every POST that reached a got a 502, none was repeated");
            assertEquals(6 - failed, b().requestsReceived());
        }
    }

    @Test
    void aResponseTimeoutIsRetriedForAGet() throws Exception {
        try (TestProxy proxy = twoUpstreams(Action.stall(Duration.ofSeconds(10)), ON); RawClient c = proxy.client()) {
            for (int i = 0; i < 4; i++) {
                RawResponse r = c.get("/r" + i);
                assertEquals(200, r.status(), r.toString());
                assertEquals("b", r.header("X-Upstream"));
            }
        }
    }

    @Test
    void configuredStatusesAreRetriedOthersRelayed() throws Exception {
        RetryConfig on503 = new RetryConfig(2, true, true, Set.of(503), 20, 3);
        try (TestProxy proxy = twoUpstreams(Action.respond(503, "busy"), on503); RawClient c = proxy.client()) {
            for (int i = 0; i < 4; i++) {
                assertEquals("b", c.get("/r" + i).header("X-Upstream"));
            }
        }
        ups.forEach(ScriptedUpstream::close);
        ups.clear();
        try (TestProxy proxy = twoUpstreams(Action.respond(503, "busy"), ON); RawClient c = proxy.client()) {
            int relayed = 0;
            for (int i = 0; i < 4; i++) {
                RawResponse r = c.get("/r" + i);
                if (r.status() == 503) {
                    assertEquals("busy", r.bodyString(), "without 503 in retries.on, the upstream's 503 is relayed");
                    relayed++;
                }
            }
            assertEquals(2, relayed);
        }
    }

    @Test
    void withoutRetriesTheResetIsA502() throws Exception {
        RetryConfig off = new RetryConfig(0, true, true, Set.of(), 20, 3);
        try (TestProxy proxy = twoUpstreams(Action.reset(), off)) {
            assertEquals(2, badGateways(proxy, 4));
        }
    }

    @Test
    void aSpentBudgetStopsRetrying() throws Exception {
        RetryConfig noBudget = new RetryConfig(2, true, true, Set.of(), 0, 0);
        try (TestProxy proxy = twoUpstreams(Action.reset(), noBudget)) {
            assertEquals(2, badGateways(proxy, 4), "a budget of 0 % and 0 per second allows no retry");
        }
    }

    /** Sends {@code n} GETs, each on a new connection (a 502 closes it); @return how many got 502 */
    private static int badGateways(TestProxy proxy, int n) throws IOException {
        int failed = 0;
        for (int i = 0; i < n; i++) {
            try (RawClient c = proxy.client()) {
                if (c.get("/r" + i).status() == 502) {
                    failed++;
                }
            }
        }
        return failed;
    }

    @Test
    void whenEveryUpstreamFailsTheClientGetsTheLastFailureAfterEachWasTriedOnce() throws Exception {
        ups.add(ScriptedUpstream.start("a", r -> Action.reset()));
        ups.add(ScriptedUpstream.start("b", r -> Action.reset()));
        ups.add(ScriptedUpstream.start("c", r -> Action.reset()));
        try (TestProxy proxy = ProxyConfig.to(ups.get(0), ups.get(1), ups.get(2)).retries(new RetryConfig(5, true, true, Set.of(), 100, 100)).start();
             RawClient c = proxy.client()) {
            assertEquals(502, c.get("/x").status());
        }
        for (ScriptedUpstream u : ups) {
            assertEquals(1, u.requestsReceived(), u + ": never the same upstream twice");
        }
    }

    /**
     * A retry that has to wait in the queue for a slot must not take a slot of the upstream it
     * just failed on: a answers 503, b is busy, so the retry waits for b.
     */
    @Test
    void aQueuedRetryWaitsForAnotherUpstreamRatherThanTheOneThatFailed() throws Exception {
        ups.add(ScriptedUpstream.start("a", r -> Action.respond(503, "busy")));
        ups.add(ScriptedUpstream.start("b", r -> r.path().equals("/slow")
                ? Action.sequence(Action.stall(Duration.ofMillis(500)), Action.ok("slow done"))
                : ScriptedUpstream.defaultResponse("b", r)));
        RetryConfig on503 = new RetryConfig(2, true, true, Set.of(503), 100, 100);
        try (TestProxy proxy = ProxyConfig.to(ups.get(0), ups.get(1)).maxConnections(1).queue(10, Duration.ofSeconds(10))
                .retries(on503).start();
             RawClient slow = proxy.client(); RawClient c = proxy.client()) {
            // Round-robin may send /slow to a first; a's 503 is then retried on b, which holds it.
            slow.send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n");
            b().await("b busy with /slow", () -> b().requestsInProgress() == 1, Duration.ofSeconds(10));
            int aBefore = a().requestsReceived();
            RawResponse r = c.get("/x");
            assertEquals(200, r.status(), r.toString());
            assertEquals("b", r.header("X-Upstream"));
            assertEquals(aBefore + 1, a().requestsReceived(), "a saw /x once: never the same upstream twice");
            assertEquals(200, slow.readResponse().status());
        }
    }
}
