package io.kodiak.proxy;

import io.kodiak.testing.Action;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.RawResponse;
import io.kodiak.testing.RecordedRequest;
import io.kodiak.testing.ScriptedUpstream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * max-connections and the pool queue (HAProxy maxconn, maxqueue, timeout queue): the upstream
 * never sees more concurrent requests than its limit, waiting requests are served in arrival
 * order, and a full queue or an expired wait answers 503 with Retry-After.
 */
@Timeout(60)
class MaxConnectionsTest {
    private final CountDownLatch release = new CountDownLatch(1);

    /** "/hold" waits for the test to release it; everything else answers at once. */
    private Function<RecordedRequest, Action> holding(String name) {
        return r -> {
            if (r.path().equals("/hold")) {
                try {
                    release.await(20, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return ScriptedUpstream.defaultResponse(name, r);
        };
    }

    private static RawClient send(TestProxy proxy, String path) throws Exception {
        RawClient c = proxy.client();
        c.send("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n");
        return c;
    }

    @Test
    void theUpstreamNeverSeesMoreConcurrentRequestsThanItsLimit() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.builder("u")
                .handler(r -> Action.stall(Duration.ofMillis(100)).then(ScriptedUpstream.defaultResponse("u", r))).start();
             TestProxy proxy = ProxyConfig.to(up).maxConnections(2).start()) {
            ExecutorService clients = Executors.newFixedThreadPool(8);
            try {
                List<Future<Integer>> results = new ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    int n = i;
                    results.add(clients.submit(() -> {
                        try (RawClient c = proxy.client()) {
                            return c.get("/" + n).status();
                        }
                    }));
                }
                for (Future<Integer> f : results) {
                    assertEquals(200, f.get(30, TimeUnit.SECONDS));
                }
            } finally {
                clients.shutdownNow();
            }
            assertEquals(8, up.requestsReceived());
            assertTrue(up.maxRequestsInProgress() <= 2, "limit 2, upstream saw " + up.maxRequestsInProgress());
            assertEquals(2, up.maxRequestsInProgress(), "the limit is also used in full");
        }
    }

    @Test
    void waitingRequestsAreServedInArrivalOrder() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.builder("u").handler(holding("u")).start();
             TestProxy proxy = ProxyConfig.to(up).maxConnections(1).start();
             RawClient hold = send(proxy, "/hold")) {
            up.await("the held request is in progress", () -> up.requestsInProgress() == 1, Duration.ofSeconds(10));
            List<RawClient> waiting = new ArrayList<>();
            try {
                for (String p : List.of("/a", "/b", "/c")) {
                    waiting.add(send(proxy, p));
                    int expected = waiting.size();
                    Conditions.await(p + " queued", () -> proxy.kodiak().queued(ProxyConfig.POOL) == expected, Duration.ofSeconds(10));
                }
                release.countDown();
                assertEquals(200, hold.readResponse().status());
                for (RawClient c : waiting) {
                    assertEquals(200, c.readResponse().status());
                }
            } finally {
                for (RawClient c : waiting) {
                    c.close();
                }
            }
            List<String> order = up.requests().stream().map(RecordedRequest::path).toList();
            assertEquals(List.of("/hold", "/a", "/b", "/c"), order);
            assertEquals(1, up.maxRequestsInProgress());
        }
    }

    @Test
    void anExpiredWaitGets503WithRetryAfter() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.builder("u").handler(holding("u")).start();
             TestProxy proxy = ProxyConfig.to(up).maxConnections(1).queue(10, Duration.ofMillis(300)).start();
             RawClient hold = send(proxy, "/hold");
             RawClient late = proxy.client()) {
            up.await("the held request is in progress", () -> up.requestsInProgress() == 1, Duration.ofSeconds(10));
            RawResponse r = late.get("/late");
            assertEquals(503, r.status());
            assertEquals("1", r.header("Retry-After"));
            assertEquals(0, proxy.kodiak().queued(ProxyConfig.POOL));
            release.countDown();
            assertEquals(200, hold.readResponse().status());
            assertEquals(1, up.requestsReceived(), "the expired request never reached the upstream");
        }
    }

    @Test
    void aFullQueueAnswers503AtOnce() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.builder("u").handler(holding("u")).start();
             TestProxy proxy = ProxyConfig.to(up).maxConnections(1).queue(1, Duration.ofSeconds(30)).start();
             RawClient hold = send(proxy, "/hold")) {
            up.await("the held request is in progress", () -> up.requestsInProgress() == 1, Duration.ofSeconds(10));
            // Only now, or /queued could take the slot before /hold.
            try (RawClient queued = send(proxy, "/queued")) {
                Conditions.await("one request queued", () -> proxy.kodiak().queued(ProxyConfig.POOL) == 1, Duration.ofSeconds(10));
                try (RawClient overflow = proxy.client()) {
                    RawResponse r = overflow.get("/overflow");
                    assertEquals(503, r.status());
                    assertEquals("1", r.header("Retry-After"));
                }
                release.countDown();
                assertEquals(200, hold.readResponse().status());
                assertEquals(200, queued.readResponse().status(), "the queued request is still served");
            }
        }
    }
}
