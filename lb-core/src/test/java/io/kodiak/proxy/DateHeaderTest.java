package io.kodiak.proxy;

import io.kodiak.testing.Action;
import io.kodiak.testing.HeaderFields;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.RawResponse;
import io.kodiak.testing.ScriptedUpstream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every final response carries a {@code Date} (RFC 9110 §6.6.1): Kodiak's own answers, and relayed
 * responses whose upstream sent none; an upstream's own Date passes unchanged.
 */
@Timeout(30)
class DateHeaderTest {
    private static final String IMF_FIXDATE = "[A-Z][a-z]{2}, \\d{2} [A-Z][a-z]{2} \\d{4} \\d{2}:\\d{2}:\\d{2} GMT";

    /** One Date field, an IMF-fixdate of today's calendar (the clock is not timed, only read). */
    static void assertDated(RawResponse r) {
        List<String> dates = r.headers().values("Date");
        assertEquals(1, dates.size(), r.rawHeadString());
        String date = dates.get(0);
        assertTrue(date.matches(IMF_FIXDATE), date);
        Instant at = ZonedDateTime.parse(date, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
        Duration off = Duration.between(at, Instant.now()).abs();
        assertTrue(off.compareTo(Duration.ofHours(1)) < 0, "Date " + date + " is the current time");
    }

    @Test
    void aMalformedRequestGets400WithDate() throws Exception {
        try (ScriptedUpstream up = ScriptedUpstream.start("a");
             TestProxy proxy = ProxyConfig.to(up).start();
             RawClient c = proxy.client()) {
            RawResponse r = c.exchange("GET / HTTP/1.1\r\nHost: t\r\nBad Name: x\r\n\r\n");
            assertEquals(400, r.status());
            assertDated(r);
        }
    }

    @Test
    void anUnreachableUpstreamGives502WithDate() throws Exception {
        try (TestProxy proxy = new ProxyConfig().upstream("gone", ScriptedUpstream.unusedPort(), 1).start();
             RawClient c = proxy.client()) {
            RawResponse r = c.get("/");
            assertEquals(502, r.status());
            assertDated(r);
        }
    }

    @Test
    void aFullQueueGives503WithDateAndRetryAfter() throws Exception {
        // "/hold" keeps the only slot until the upstream closes at the end; there is no queue.
        try (ScriptedUpstream up = ScriptedUpstream.start("u",
                r -> r.path().equals("/hold") ? Action.stall(Duration.ofSeconds(20)) : Action.ok("u"));
             TestProxy proxy = ProxyConfig.to(up).maxConnections(1).queue(0, Duration.ofSeconds(30)).start();
             RawClient hold = proxy.client();
             RawClient overflow = proxy.client()) {
            hold.send("GET /hold HTTP/1.1\r\nHost: t\r\n\r\n");
            up.await("the held request is in progress", () -> up.requestsInProgress() == 1, Duration.ofSeconds(10));
            RawResponse r = overflow.get("/overflow");
            assertEquals(503, r.status());
            assertEquals("1", r.header("Retry-After"));
            assertDated(r);
        }
    }

    @Test
    void aRelayedResponseKeepsItsDateOrGetsOne() throws Exception {
        String upstreamDate = "Sun, 06 Nov 1994 08:49:37 GMT";
        try (ScriptedUpstream up = ScriptedUpstream.start("a", r -> r.path().equals("/dated")
                ? Action.respond(200, HeaderFields.of("Date", upstreamDate), "d".getBytes())
                : Action.ok("u"));
             TestProxy proxy = ProxyConfig.to(up).start();
             RawClient c = proxy.client()) {
            RawResponse dated = c.get("/dated");
            assertEquals(List.of(upstreamDate), dated.headers().values("Date"), dated.rawHeadString());
            RawResponse undated = c.get("/undated");
            assertEquals(200, undated.status());
            assertDated(undated);
        }
    }
}
