package io.kodiak.proxy;

import io.kodiak.accesslog.AccessLogEntry;
import io.kodiak.accesslog.Termination;
import io.kodiak.config.ConfigLoader;
import io.kodiak.filter.Filters;
import io.kodiak.filter.LogFilter;
import io.kodiak.filter.RequestFilter;
import io.kodiak.filter.ResponseFilter;
import io.kodiak.filter.Suspension;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.RawResponse;
import io.kodiak.testing.RecordedRequest;
import io.kodiak.testing.ScriptedUpstream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Suspended request filters over real sockets: a filter that cannot decide at once (a rate
 * limit's delay, a tarpit, an authentication waiting for another thread) pauses its request and
 * resumes it later, from another thread or on the timer; the request then goes on where it
 * stopped, with its body, and the connection's later requests keep their order. A request whose
 * client leaves while suspended ends: its end hooks run once and a late resume does nothing.
 */
@Timeout(60)
class SuspensionTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private ScriptedUpstream web;
    private ProxyServer server;
    private final BlockingQueue<AccessLogEntry> log = new LinkedBlockingQueue<>();

    @BeforeEach
    void start(@TempDir Path dir) throws Exception {
        web = ScriptedUpstream.start("web");
        Path file = dir.resolve("kodiak.yaml");
        Files.writeString(file, "admin: {listen: off, state-file: off}\nmetrics: off\n"
                + "listeners:\n  - name: front\n    address: 127.0.0.1:0\n"
                + "    routes: [{pool: web}]\n"
                + "pools:\n"
                + "  web: {health-check: {type: none}, upstreams: [{name: web, address: \"" + web.hostPort() + "\"}]}\n");
        server = ProxyServer.start(ConfigLoader.load(file));
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        web.close();
    }

    private void filters(RequestFilter... f) {
        server.filters("front", new Filters(f, new ResponseFilter[0], new LogFilter[] {log::add}));
    }

    private RawClient client() throws Exception {
        return RawClient.connect(server.boundAddress("front").getPort());
    }

    @Test
    void aRequestWaitsUntilAnotherThreadResumesItThenGoesUpstreamWithTheStepsEdits() throws Exception {
        BlockingQueue<Suspension> held = new ArrayBlockingQueue<>(4);
        filters(r -> {
            held.add(r.suspend());
            return RequestFilter.Verdict.SUSPENDED;
        });
        RawClient c = client();
        c.send("POST /form HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\n");
        Suspension s = held.poll(10, TimeUnit.SECONDS);
        assertNotNull(s, "the filter ran");
        c.send("hello"); // the body comes while the request is held: it waits, and goes on after
        Thread.sleep(300);
        assertEquals(0, web.requestsReceived(), "nothing reaches the upstream while suspended");
        assertFalse(s.cancelled());
        Thread other = new Thread(() -> s.resume(r -> {
            r.upstreamFields().set("X-User", "alice");
            return RequestFilter.Verdict.CONTINUE;
        }));
        other.start();
        other.join();
        RawResponse resp = c.readResponse();
        assertEquals(200, resp.status());
        RecordedRequest seen = web.takeRequest(WAIT);
        assertEquals("alice", seen.header("X-User"));
        assertEquals("hello", seen.body().utf8());
        s.proceed(); // only the first resume counts
        c.send("GET /again HTTP/1.1\r\nHost: t\r\n\r\n");
        Suspension second = held.poll(10, TimeUnit.SECONDS);
        second.proceed();
        assertEquals(200, c.readResponse().status(), "the connection goes on with the next request");
        assertEquals("/again", web.takeRequest(WAIT).target());
    }

    @Test
    void aTimedResumeAnswersWithTheTerminationTheFilterNamed() throws Exception {
        filters(r -> {
            r.suspend().resumeAfter(TimeUnit.MILLISECONDS.toNanos(200), again -> {
                again.termination(Termination.TARPIT);
                again.respond(403, "text/plain", "no\n".getBytes(StandardCharsets.US_ASCII), null);
                return RequestFilter.Verdict.RESPONDED;
            });
            return RequestFilter.Verdict.SUSPENDED;
        });
        RawClient c = client();
        long began = System.nanoTime();
        RawResponse resp = c.exchange("GET /wp-login.php HTTP/1.1\r\nHost: t\r\n\r\n");
        assertEquals(403, resp.status());
        assertTrue(System.nanoTime() - began >= TimeUnit.MILLISECONDS.toNanos(200), "not answered before its time");
        AccessLogEntry e = log.poll(10, TimeUnit.SECONDS);
        assertEquals(Termination.TARPIT, e.termination());
        assertEquals(403, e.status());
        assertEquals(0, web.requestsReceived());
    }

    @Test
    void aResumeBeforeTheFilterReturnsGoesOnAtOnceAndLaterFiltersRun() throws Exception {
        AtomicInteger second = new AtomicInteger();
        filters(r -> {
            r.suspend().proceed(); // a cache hit may know at once
            return RequestFilter.Verdict.SUSPENDED;
        }, r -> {
            second.incrementAndGet();
            return RequestFilter.Verdict.CONTINUE;
        });
        RawClient c = client();
        for (int i = 0; i < 3; i++) {
            assertEquals(200, c.exchange("GET /x HTTP/1.1\r\nHost: t\r\n\r\n").status());
        }
        assertEquals(3, second.get());
    }

    @Test
    void aClientThatLeavesWhileSuspendedEndsItsExchangeAndALateResumeDoesNothing() throws Exception {
        BlockingQueue<Suspension> held = new ArrayBlockingQueue<>(4);
        AtomicInteger ends = new AtomicInteger();
        filters(r -> {
            r.onEnd(ends::incrementAndGet);
            held.add(r.suspend());
            return RequestFilter.Verdict.SUSPENDED;
        });
        RawClient c = client();
        c.send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n");
        Suspension s = held.poll(10, TimeUnit.SECONDS);
        c.close();
        AccessLogEntry e = log.poll(10, TimeUnit.SECONDS);
        assertNotNull(e, "the exchange ended and was logged");
        assertEquals(1, ends.get(), "the end hook ran once");
        assertTrue(s.cancelled());
        s.proceed();
        Thread.sleep(300);
        assertEquals(0, web.requestsReceived(), "a late resume sends nothing upstream");
        assertEquals(1, ends.get());
    }

    @Test
    void aTimedResumeForAGoneRequestLeavesTheTimer() throws Exception {
        AtomicLong scheduled = new AtomicLong();
        BlockingQueue<Suspension> held = new ArrayBlockingQueue<>(4);
        filters(r -> {
            Suspension s = r.suspend();
            s.resumeAfter(TimeUnit.HOURS.toNanos(1), again -> RequestFilter.Verdict.CONTINUE);
            held.add(s);
            scheduled.incrementAndGet();
            return RequestFilter.Verdict.SUSPENDED;
        });
        RawClient c = client();
        c.send("GET /held HTTP/1.1\r\nHost: t\r\n\r\n");
        assertNotNull(held.poll(10, TimeUnit.SECONDS));
        var timer = (java.util.concurrent.ScheduledThreadPoolExecutor) server.featureRuntime().timer();
        assertEquals(1, timer.getQueue().size(), "the hour's hold waits on the timer");
        c.close();
        assertNotNull(log.poll(10, TimeUnit.SECONDS));
        assertEquals(0, timer.getQueue().size(), "a held request that is gone leaves the timer's queue");
    }

    @Test
    void onEndRunsOnceForAProxiedAndForAnAnsweredRequest() throws Exception {
        AtomicInteger ends = new AtomicInteger();
        filters(r -> {
            r.onEnd(ends::incrementAndGet);
            r.onEnd(ends::incrementAndGet);
            if (r.head().path().equals("/deny")) {
                r.respond(403, "text/plain", new byte[0], null);
                return RequestFilter.Verdict.RESPONDED;
            }
            return RequestFilter.Verdict.CONTINUE;
        });
        RawClient c = client();
        assertEquals(200, c.exchange("GET /ok HTTP/1.1\r\nHost: t\r\n\r\n").status());
        assertNotNull(log.poll(10, TimeUnit.SECONDS));
        assertEquals(2, ends.get());
        assertEquals(403, c.exchange("GET /deny HTTP/1.1\r\nHost: t\r\n\r\n").status());
        assertNotNull(log.poll(10, TimeUnit.SECONDS));
        assertEquals(4, ends.get());
    }

    @Test
    void aFilterThatSaysSuspendedWithoutSuspendingCostsItsRequestA500() throws Exception {
        filters(r -> RequestFilter.Verdict.SUSPENDED);
        RawClient c = client();
        assertEquals(500, c.exchange("GET /bug HTTP/1.1\r\nHost: t\r\n\r\n").status());
        assertEquals(0, web.requestsReceived());
    }

    @Test
    void pipelinedRequestsBehindASuspendedOneKeepTheirOrder() throws Exception {
        filters(r -> {
            if (r.head().path().equals("/first")) {
                r.suspend().resumeAfter(TimeUnit.MILLISECONDS.toNanos(100), again -> RequestFilter.Verdict.CONTINUE);
                return RequestFilter.Verdict.SUSPENDED;
            }
            return RequestFilter.Verdict.CONTINUE;
        });
        RawClient c = client();
        c.send("GET /first HTTP/1.1\r\nHost: t\r\n\r\nGET /second HTTP/1.1\r\nHost: t\r\n\r\n");
        var responses = c.readResponses(2);
        assertEquals(200, responses.get(0).status());
        assertEquals(200, responses.get(1).status());
        assertEquals("/first", web.takeRequest(WAIT).target());
        assertEquals("/second", web.takeRequest(WAIT).target());
    }

    @Test
    void aFilterThatSuspendsThenFailsLeavesNoLiveSuspension() throws Exception {
        BlockingQueue<Suspension> held = new ArrayBlockingQueue<>(4);
        filters(r -> {
            Suspension s = r.suspend();
            s.resumeAfter(TimeUnit.HOURS.toNanos(1), again -> RequestFilter.Verdict.CONTINUE);
            held.add(s);
            throw new IllegalStateException("boom (test)");
        });
        RawClient c = client();
        assertEquals(500, c.exchange("GET /bug HTTP/1.1\r\nHost: t\r\n\r\n").status());
        assertNotNull(log.poll(10, TimeUnit.SECONDS));
        assertTrue(held.poll(1, TimeUnit.SECONDS).cancelled(), "the ended exchange's suspension says it is gone");
        var timer = (java.util.concurrent.ScheduledThreadPoolExecutor) server.featureRuntime().timer();
        assertEquals(0, timer.getQueue().size(), "and its timed resume left the timer");
    }

    @Test
    void aClientLeavingAHeldRequestIsNoClientAbortOfAPoolThatNeverSawIt() throws Exception {
        BlockingQueue<Suspension> held = new ArrayBlockingQueue<>(4);
        filters(r -> {
            if (r.head().path().equals("/deny")) {
                r.respond(403, "text/plain", new byte[0], null);
                return RequestFilter.Verdict.RESPONDED;
            }
            held.add(r.suspend());
            return RequestFilter.Verdict.SUSPENDED;
        });
        RawClient c = client();
        c.send("GET /wp-login.php HTTP/1.1\r\nHost: t\r\n\r\n");
        assertNotNull(held.poll(10, TimeUnit.SECONDS));
        c.close();
        assertNotNull(log.poll(10, TimeUnit.SECONDS));
        var pool = server.pools().get("web");
        assertEquals(0, pool.clientAborts().sum(), "the pool never saw this request");
        try (RawClient d = client()) {
            assertEquals(403, d.exchange("GET /deny HTTP/1.1\r\nHost: t\r\n\r\n").status());
        }
        assertNotNull(log.poll(10, TimeUnit.SECONDS));
        assertEquals(0, pool.clientStats().requestCount(), "a filter's answer is Kodiak's, not the pool's");
    }

    @Test
    void aLargeBodyPipelinedBehindAHeldRequestGoesUpWholeInOrder() throws Exception {
        AtomicInteger ends = new AtomicInteger();
        filters(r -> {
            r.onEnd(ends::incrementAndGet);
            if (r.head().path().equals("/first")) {
                r.suspend().resumeAfter(TimeUnit.MILLISECONDS.toNanos(300), again -> RequestFilter.Verdict.CONTINUE);
                return RequestFilter.Verdict.SUSPENDED;
            }
            return RequestFilter.Verdict.CONTINUE;
        });
        RawClient c = client();
        long n = 3L << 20;
        c.send("GET /first HTTP/1.1\r\nHost: t\r\n\r\nPOST /second HTTP/1.1\r\nHost: t\r\nContent-Length: " + n + "\r\n\r\n");
        c.sendBody(3, n);
        c.send("GET /third HTTP/1.1\r\nHost: t\r\n\r\n");
        for (RawResponse r : c.readResponses(3)) {
            assertEquals(200, r.status());
        }
        assertEquals("/first", web.takeRequest(WAIT).target());
        assertEquals(n, web.takeRequest(WAIT).body().length());
        assertEquals("/third", web.takeRequest(WAIT).target());
        for (int i = 0; i < 3; i++) {
            assertNotNull(log.poll(10, TimeUnit.SECONDS));
        }
        assertEquals(3, ends.get());
    }

    @Test
    void aDenialAfterAHoldWhileTheClientStillSendsItsBodyReachesTheClient() throws Exception {
        filters(r -> {
            r.suspend().resumeAfter(TimeUnit.MILLISECONDS.toNanos(300), again -> {
                again.respond(401, "text/plain", "no\n".getBytes(StandardCharsets.US_ASCII), null);
                return RequestFilter.Verdict.RESPONDED;
            });
            return RequestFilter.Verdict.SUSPENDED;
        });
        RawClient c = client();
        long n = 4L << 20;
        c.send("POST /up HTTP/1.1\r\nHost: t\r\nContent-Length: " + n + "\r\n\r\n");
        Thread writer = new Thread(() -> {
            try {
                c.sendBody(5, n);
            } catch (java.io.IOException e) {
                // Kodiak stops reading once it lingered long enough: the rest is not wanted
            }
        });
        writer.setDaemon(true);
        writer.start();
        RawResponse r = c.readResponse();
        assertEquals(401, r.status(), "the answer arrives, not a reset");
        assertEquals("close", r.header("Connection"));
        writer.join(15_000);
        assertEquals(0, web.requestsReceived());
    }

    @Test
    void aStopWhileRequestsAreHeldLogsThemAndRunsTheirEndHooks() throws Exception {
        AtomicInteger ends = new AtomicInteger();
        BlockingQueue<Suspension> held = new ArrayBlockingQueue<>(4);
        filters(r -> {
            r.onEnd(ends::incrementAndGet);
            held.add(r.suspend());
            return RequestFilter.Verdict.SUSPENDED;
        });
        RawClient c = client();
        c.send("GET /held HTTP/1.1\r\nHost: t\r\n\r\n");
        assertNotNull(held.poll(10, TimeUnit.SECONDS));
        assertFalse(server.shutdown(Duration.ofMillis(300)), "a held request is not done within the grace");
        server = null;
        assertNotNull(log.poll(10, TimeUnit.SECONDS), "logged");
        assertEquals(1, ends.get());
    }
}
