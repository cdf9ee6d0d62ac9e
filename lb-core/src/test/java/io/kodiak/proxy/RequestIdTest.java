package io.kodiak.proxy;

import io.kodiak.config.RequestTracing;
import io.kodiak.config.RetryConfig;
import io.kodiak.testing.Action;
import io.kodiak.testing.HeaderFields;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.RawResponse;
import io.kodiak.testing.RecordedRequest;
import io.kodiak.testing.ScriptedUpstream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the app learns about each request: an X-Request-ID (generated, or the client's where the
 * listener trusts it; the same on every attempt; echoed when asked) and X-Request-Start, the time
 * Kodiak read the head, which APMs take as the start of the queue time.
 */
@Timeout(60)
class RequestIdTest {
    private static final Duration WAIT = Duration.ofSeconds(5);

    @Test
    void everyRequestGetsItsOwnIdAndTheTimeItsHeadWasRead() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("a");
             TestProxy proxy = ProxyConfig.to(up).start();
             RawClient c = proxy.client()) {
            Set<String> ids = new HashSet<>();
            for (int i = 0; i < 200; i++) {
                long before = micros(Instant.now());
                // A client's own ID and start time are replaced: it could reuse IDs or fake queue time.
                RawResponse r = c.exchange("GET /" + i + " HTTP/1.1\r\nHost: t\r\nX-Request-ID: mine\r\n"
                        + "X-Request-Start: t=1\r\n\r\n");
                long after = micros(Instant.now());
                assertEquals(200, r.status());
                assertNull(r.header("X-Request-ID"), "not echoed unless asked");
                RecordedRequest seen = up.takeRequest(WAIT);
                List<String> id = seen.headers().values("X-Request-ID");
                assertEquals(1, id.size(), seen.rawHeadString());
                assertTrue(id.get(0).matches("[0-9a-f]{32}"), id.get(0));
                ids.add(id.get(0));
                List<String> start = seen.headers().values("X-Request-Start");
                assertEquals(1, start.size(), seen.rawHeadString());
                long t = Long.parseLong(start.get(0).substring(2));
                assertTrue(start.get(0).startsWith("t=") && t >= before && t <= after,
                        start.get(0) + " not within " + before + ".." + after);
            }
            assertEquals(200, ids.size(), "every request has its own ID");
        }
    }

    @Test
    void aRetryCarriesTheSameId() throws Exception {
        try (ScriptedUpstream a = ScriptedUpstream.start("a", r -> Action.respond(503, "busy"));
             ScriptedUpstream b = ScriptedUpstream.start("b", r -> Action.respond(503, "busy"));
             TestProxy proxy = ProxyConfig.to(a, b).retries(new RetryConfig(1, true, true, Set.of(503), 100, 100)).start();
             RawClient c = proxy.client()) {
            assertEquals(503, c.get("/x").status());
            String first = a.takeRequest(WAIT).header("X-Request-ID");
            String second = b.takeRequest(WAIT).header("X-Request-ID");
            assertEquals(first, second, "both attempts of one request");
        }
    }

    @Test
    void aTrustedClientIdIsKeptWhenItIsSane() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("a");
             TestProxy proxy = ProxyConfig.to(up).tracing(new RequestTracing("X-Request-ID", true, false, true)).start();
             RawClient c = proxy.client()) {
            c.exchange("GET / HTTP/1.1\r\nHost: t\r\nX-Request-ID: 0af7651916cd43dd8448eb211c80319c\r\n\r\n");
            assertEquals("0af7651916cd43dd8448eb211c80319c", up.takeRequest(WAIT).header("X-Request-ID"));
            // A value that could break a log line is replaced, and so is a pair of them.
            c.exchange("GET / HTTP/1.1\r\nHost: t\r\nX-Request-ID: a b \"c\"\r\n\r\n");
            assertTrue(up.takeRequest(WAIT).header("X-Request-ID").matches("[0-9a-f]{32}"));
            c.exchange("GET / HTTP/1.1\r\nHost: t\r\nX-Request-ID: one\r\nX-Request-ID: two\r\n\r\n");
            RecordedRequest seen = up.takeRequest(WAIT);
            assertEquals(1, seen.headers().values("X-Request-ID").size());
            assertTrue(seen.header("X-Request-ID").matches("[0-9a-f]{32}"));
        }
    }

    @Test
    void theIdIsEchoedToTheClientInPlaceOfTheAppsAndOnKodiaksOwnAnswers() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("a", r -> r.target().equals("/gone")
                ? Action.reset() : Action.respond(200, HeaderFields.of("X-Request-ID", "from-the-app"), "ok".getBytes()));
             TestProxy proxy = ProxyConfig.to(up).tracing(new RequestTracing("X-Trace", false, true, true)).start();
             RawClient c = proxy.client()) {
            RawResponse r = c.get("/");
            String sent = up.takeRequest(WAIT).header("X-Trace");
            assertEquals(List.of(sent), r.headers().values("X-Trace"));
            assertEquals(List.of("from-the-app"), r.headers().values("X-Request-ID"), "other fields pass");
            RawResponse failed = c.get("/gone");
            assertEquals(502, failed.status());
            String sentGone = up.takeRequest(WAIT).header("X-Trace");
            assertEquals(sentGone, failed.header("X-Trace"), "Kodiak's own 502 names the request too");
            assertNotEquals(sent, sentGone);
        }
    }

    @Test
    void withRequestStartOffTheClientsFieldPassesUntouched() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("a");
             TestProxy proxy = ProxyConfig.to(up).tracing(new RequestTracing("X-Request-ID", false, false, false)).start();
             RawClient c = proxy.client()) {
            c.exchange("GET / HTTP/1.1\r\nHost: t\r\nX-Request-Start: t=1234\r\n\r\n");
            assertEquals(List.of("t=1234"), up.takeRequest(WAIT).headers().values("X-Request-Start"));
        }
    }

    private static long micros(Instant i) {
        return i.getEpochSecond() * 1_000_000L + i.getNano() / 1_000;
    }
}
