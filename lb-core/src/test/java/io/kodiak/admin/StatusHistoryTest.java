package io.kodiak.admin;

import io.kodiak.config.UpstreamConfig;
import io.kodiak.metrics.ErrorCause;
import io.kodiak.upstream.Upstream;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The samples behind the status page's rates and sparklines, driven by a fake clock: one
 * {@link #tick()} is one second of the timer.
 */
class StatusHistoryTest {
    private final AtomicLong clock = new AtomicLong(1_000_000_000L);
    private final List<Upstream> upstreams = new ArrayList<>();
    private final List<Control.ListenerStatus> listeners = new ArrayList<>();
    private final AtomicBoolean metrics = new AtomicBoolean(true);
    private final StatusHistory history = new StatusHistory(() -> upstreams, () -> listeners, metrics::get, clock::get);

    private static Upstream upstream(String name) {
        return new Upstream("app", new UpstreamConfig(name, "127.0.0.1", 9000, 1));
    }

    /** One second passes, then the timer samples. */
    private void tick() {
        clock.addAndGet(TimeUnit.SECONDS.toNanos(1));
        history.sample();
    }

    private static void requests(Upstream u, int n) {
        for (int i = 0; i < n; i++) {
            u.begin();
            u.end();
        }
    }

    /** The bound listeners by name: what a reload keeps is the same object, what it binds anew is another. */
    private final Map<String, Object> bound = new HashMap<>();

    private Control.ListenerStatus listener(String name, long requests) {
        return listener(bound.computeIfAbsent(name, k -> new Object()), name, requests);
    }

    private static Control.ListenerStatus listener(Object identity, String name, long requests) {
        return new Control.ListenerStatus(name, "127.0.0.1:8080", false, 0, requests, requests, 0, 0, identity);
    }

    @Test
    void ratesAreOverTheLastTenSecondsAndZeroBeforeTheSecondSample() {
        Upstream a = upstream("a");
        upstreams.add(a);
        assertEquals(0.0, history.rates(a).requests(), "not sampled yet");
        history.sample();
        requests(a, 7);
        assertEquals(0.0, history.rates(a).requests(), "one sample: no rate yet");
        tick();
        assertEquals(7.0, history.rates(a).requests(), 1e-9, "7 in the first second");
        for (int i = 0; i < 9; i++) {
            requests(a, 20);
            tick();
        }
        // 10 s in the ring: 7 + 9 * 20 = 187 over 10 s.
        assertEquals(18.7, history.rates(a).requests(), 1e-9);
        requests(a, 20);
        tick();
        // The first second (7) has left the ring: 10 * 20 over 10 s.
        assertEquals(20.0, history.rates(a).requests(), 1e-9);
        for (int i = 0; i < 10; i++) {
            tick();
        }
        assertEquals(0.0, history.rates(a).requests(), 1e-9, "idle for 10 s");
    }

    @Test
    void errorRateCountsFailuresAnd5xxAndTheCausesApart() {
        Upstream a = upstream("a");
        upstreams.add(a);
        history.sample();
        for (int i = 0; i < 10; i++) {
            a.begin();
            a.failed();
            a.stats().recordError(ErrorCause.CONNECT_REFUSED);
            a.end();
        }
        for (int i = 0; i < 5; i++) {
            a.stats().recordResponse(503);
        }
        a.stats().recordResponse(200);
        a.stats().recordResponse(404);
        for (int i = 0; i < 10; i++) {
            tick();
        }
        StatusHistory.Rates r = history.rates(a);
        assertEquals(1.0, r.requests(), 1e-9);
        assertEquals(1.5, r.errors(), 1e-9, "10 failures and 5 5xx in 10 s; the 200 and the 404 are none");
        assertEquals(1.0, r.byCause().get("connect_refused"), 1e-9);
        assertEquals(0.5, r.byCause().get("status_5xx"), 1e-9);
        assertEquals(0.0, r.byCause().get("timeout"), 1e-9);
        assertEquals(ErrorCause.values().length + 1, r.byCause().size(), "every cause and status_5xx: " + r.byCause());
    }

    @Test
    void withMetricsTheErrorRateIsTheSumOfTheCausesEvenWhereFailuresDiffer() {
        Upstream a = upstream("a");
        upstreams.add(a);
        history.sample();
        for (int i = 0; i < 3; i++) {
            // A connect that timed out on a full backlog: a cause, but no failure against passive health.
            a.stats().recordError(ErrorCause.CONNECT_TIMEOUT);
        }
        a.stats().recordResponse(502);
        for (int i = 0; i < 10; i++) {
            tick();
        }
        StatusHistory.Rates r = history.rates(a);
        double causes = r.byCause().values().stream().mapToDouble(Double::doubleValue).sum();
        assertEquals(0.4, causes, 1e-9);
        assertEquals(causes, r.errors(), 1e-9, "the error rate is what the causes add up to: " + r);
    }

    @Test
    void withoutMetricsTheCausesAreNullAndFailuresStillCount() {
        metrics.set(false);
        Upstream a = upstream("a");
        upstreams.add(a);
        history.sample();
        a.begin();
        a.failed();
        a.end();
        a.stats().recordResponse(503); // not recorded with metrics off in Kodiak; here it must not count either
        tick();
        StatusHistory.Rates r = history.rates(a);
        assertNull(r.byCause());
        assertEquals(1.0, r.errors(), 1e-9);
        for (int i = 0; i < 4; i++) {
            tick();
        }
        StatusHistory.Series s = history.history().upstreams().get(0);
        assertEquals(Collections.nCopies(60, null), s.p99(), "no latencies without metrics");
    }

    @Test
    void everyFifthSampleAddsAPointAndSeriesArePaddedToSixtyWithNullInFront() {
        Upstream a = upstream("a");
        upstreams.add(a);
        listeners.add(listener("web", 0));
        history.sample(); // sample 1
        StatusHistory.History h = history.history();
        assertEquals(1, h.upstreams().size());
        assertEquals(Collections.nCopies(60, null), h.upstreams().get(0).requestRate(), "no point yet");
        assertEquals(Collections.nCopies(60, null), h.listeners().get(0).requestRate());
        requests(a, 10);
        listeners.set(0, listener("web", 25));
        for (int i = 0; i < 4; i++) {
            tick(); // samples 2-5: the 5th adds the first point, over the 4 s since the first sample
        }
        h = history.history();
        List<Double> rate = h.upstreams().get(0).requestRate();
        assertEquals(60, rate.size());
        assertEquals(2.5, rate.get(59), 1e-9, "10 attempts in 4 s");
        assertTrue(rate.subList(0, 59).stream().allMatch(v -> v == null), rate.toString());
        assertEquals(6.25, h.listeners().get(0).requestRate().get(59), 1e-9, "25 requests in 4 s");
        assertEquals("app", h.upstreams().get(0).pool());
        assertEquals("a", h.upstreams().get(0).name());
        assertNull(h.upstreams().get(0).p99().get(59), "nothing recorded: no p99");

        requests(a, 50);
        for (int i = 0; i < 5; i++) {
            tick();
        }
        rate = history.history().upstreams().get(0).requestRate();
        assertEquals(10.0, rate.get(59), 1e-9, "50 in the 5 s since the last point");
        assertEquals(2.5, rate.get(58), 1e-9, "the older point moved one to the front");

        for (int i = 0; i < 5 * 70; i++) {
            tick();
        }
        rate = history.history().upstreams().get(0).requestRate();
        assertEquals(60, rate.size(), "never longer than 60");
        assertTrue(rate.stream().allMatch(v -> v != null && v == 0.0), "the last 60 points, all idle: " + rate);
    }

    @Test
    void p99PointsComeFromTheLatencyWindowTheMetricsPublished() {
        Upstream a = upstream("a");
        upstreams.add(a);
        for (int i = 0; i < 100; i++) {
            a.stats().latency().record(TimeUnit.MILLISECONDS.toNanos(i < 98 ? 2 : 80));
        }
        a.stats().latency().snapshot(); // the metrics publisher's 5 s tick (the history itself never closes an interval)
        for (int i = 0; i < 5; i++) {
            tick();
        }
        Double p99 = history.history().upstreams().get(0).p99().get(59);
        assertNotNull(p99);
        assertEquals(80.0, p99, 1.0, "2 of 100 took 80 ms");
    }

    @Test
    void anUpstreamThatLeftIsForgottenAndOneAddedAgainStartsAfresh() {
        Upstream a = upstream("a");
        Upstream b = upstream("b");
        upstreams.add(a);
        upstreams.add(b);
        history.sample();
        requests(a, 30);
        for (int i = 0; i < 5; i++) {
            tick();
        }
        assertEquals(2, history.history().upstreams().size());
        assertEquals(6.0, history.rates(a).requests(), 1e-9);

        upstreams.remove(a);
        tick();
        assertEquals(List.of("b"), history.history().upstreams().stream().map(StatusHistory.Series::name).toList());
        assertEquals(0.0, history.rates(a).requests(), "forgotten");

        Upstream again = upstream("a"); // re-added under the same name: a new object, counters at 0
        upstreams.add(again);
        tick();
        StatusHistory.Series s = history.history().upstreams().get(1);
        assertEquals("a", s.name());
        assertEquals(Collections.nCopies(60, null), s.requestRate(), "none of the old one's points");
        assertEquals(0.0, history.rates(again).requests());
    }

    @Test
    void aListenerBoundAgainIsANewSeriesAndOneRenamedKeepsItsOwn() {
        Object first = new Object();
        listeners.add(listener(first, "web", 1000));
        history.sample();
        listeners.set(0, listener(first, "web", 1010));
        tick();
        assertEquals(10.0, history.listenerRate(first), 1e-9);
        Object again = new Object(); // a reload bound it again: another listener, counters from 0
        listeners.set(0, listener(again, "web", 3));
        tick();
        assertEquals(0.0, history.listenerRate(again), 1e-9, "one sample: no rate, and not a negative one");
        listeners.set(0, listener(again, "web", 5));
        tick();
        assertEquals(2.0, history.listenerRate(again), 1e-9);
        listeners.set(0, listener(again, "www", 9)); // renamed by a reload that kept it bound
        tick();
        assertEquals(3.0, history.listenerRate(again), 1e-9, "(9 - 3) over 2 s");
        assertEquals(List.of("www"), history.history().listeners().stream().map(StatusHistory.Series::name).toList());
    }

    @Test
    void aListenerMissingFromASampleKeepsItsSeriesForAFewSamples() {
        listeners.add(listener("web", 0));
        history.sample();
        for (int i = 1; i <= 8; i++) {
            listeners.set(0, listener("web", 10L * i));
            tick(); // the 5th sample adds a point at 10/s
        }
        Object web = bound.get("web");
        assertEquals(10.0, history.listenerRate(web), 1e-9);
        listeners.clear(); // a reload swapping the bound listeners while the timer takes the 10th sample
        tick();
        assertEquals(10.0, history.listenerRate(web), 1e-9, "kept through one missing sample");
        assertEquals(1, history.history().listeners().size());
        listeners.add(listener("web", 100));
        for (int i = 0; i < 5; i++) {
            tick(); // the 15th sample: the next point
        }
        List<Double> rate = history.history().listeners().get(0).requestRate();
        assertEquals(10.0, rate.get(57), 1e-9, rate.subList(55, 60).toString());
        assertNull(rate.get(58), "no value for the point it was missing from");
        assertEquals(6.0, rate.get(59), 1e-9, "(100 - 40) over the 10 s since the point before the gap");

        listeners.clear();
        for (int i = 0; i < StatusHistory.LISTENER_MISSES_KEPT; i++) {
            tick();
            assertEquals(1, history.history().listeners().size(), "still kept after " + (i + 1) + " missing samples");
        }
        tick();
        assertTrue(history.history().listeners().isEmpty(), "gone for good");
        assertEquals(0.0, history.listenerRate(web));
    }

    @Test
    void atMost2048UpstreamsAreTrackedAndTheHistorySaysTruncated() {
        for (int i = 0; i < StatusHistory.MAX_UPSTREAMS + 5; i++) {
            upstreams.add(upstream("u" + i));
        }
        history.sample();
        StatusHistory.History h = history.history();
        assertEquals(StatusHistory.MAX_UPSTREAMS, h.upstreams().size());
        assertTrue(h.truncated());
        Upstream last = upstreams.get(upstreams.size() - 1);
        requests(last, 10);
        tick();
        assertNull(history.rates(last), "beyond the bound: no rates rather than a made-up 0");
        assertNotNull(history.rates(upstreams.get(0)));

        upstreams.subList(10, upstreams.size()).clear();
        tick();
        h = history.history();
        assertEquals(10, h.upstreams().size());
        assertFalse(h.truncated());
        assertNotNull(history.rates(upstream("new")), "not sampled yet, nothing cut off: 0s until its samples");
    }

    @Test
    void atMost256ListenersAreTracked() {
        for (int i = 0; i < StatusHistory.MAX_LISTENERS + 1; i++) {
            listeners.add(listener("l" + i, 0));
        }
        history.sample();
        StatusHistory.History h = history.history();
        assertEquals(StatusHistory.MAX_LISTENERS, h.listeners().size());
        assertTrue(h.truncated());
    }

    @Test
    void aFailingSupplierIsLoggedAndTheNextSampleWorks() {
        Upstream a = upstream("a");
        List<Upstream> broken = new ArrayList<>() {
            @Override
            public java.util.Iterator<Upstream> iterator() {
                throw new IllegalStateException("boom");
            }
        };
        AtomicBoolean fail = new AtomicBoolean(true);
        StatusHistory h = new StatusHistory(() -> fail.get() ? broken : List.of(a), List::of, () -> true, clock::get);
        h.sampleLogged(); // must not throw: the timer would stop sampling for good
        fail.set(false);
        h.sampleLogged();
        requests(a, 3);
        clock.addAndGet(TimeUnit.SECONDS.toNanos(1));
        h.sampleLogged();
        assertEquals(3.0, h.rates(a).requests(), 1e-9);
    }
}
