package io.kodiak.limit;

import io.kodiak.config.LimitZoneConfig;
import io.kodiak.filter.RequestVariables;
import io.kodiak.filter.Template;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * nginx's {@code limit_req} arithmetic on a fake clock: rate, burst, nodelay, and delay=N, as
 * {@code ngx_http_limit_req_lookup} and {@code ngx_http_limit_req_account} work them out.
 */
class LeakyBucketTest {
    private static final long MS = 1_000_000L;
    private final AtomicLong clock = new AtomicLong(1_000 * MS);

    private RateZone zone(String rate) {
        int count = Integer.parseInt(rate.substring(0, rate.indexOf('r')));
        return new RateZone(new LimitZoneConfig("z", Template.parse("$remote_addr", RequestVariables.NAMES, null),
                new LimitZoneConfig.Rate(count, rate.endsWith("/s") ? 1 : 60), 1000), clock::get);
    }

    /** Sends {@code n} requests at the same instant: each one's delay (ms), or -1 when refused. */
    private static List<Long> burst(RateZone z, int n, int burst, long delay, long now) {
        List<Long> out = new ArrayList<>();
        long burstNanos = LeakyBucket.requests(burst, z.interval());
        long delayNanos = LeakyBucket.requests(delay, z.interval());
        for (int i = 0; i < n; i++) {
            long excess = z.take("k", burstNanos, now);
            out.add(excess < 0 ? -1 : LeakyBucket.delay(excess, delayNanos) / MS);
        }
        return out;
    }

    @Test
    void nodelayServesOnePlusBurstAtOnceThenRefusesUntilASlotDrains() {
        RateZone z = zone("10r/s");
        long now = clock.get();
        assertEquals(List.of(0L, 0L, 0L, 0L, 0L, 0L, -1L, -1L), burst(z, 8, 5, Long.MAX_VALUE, now));
        long refused = z.take("k", LeakyBucket.requests(5, z.interval()), now);
        assertEquals(100 * MS, RateZone.REFUSED - refused, "a slot frees after one interval (100 ms at 10r/s)");
        assertEquals(1, LimitAnswers.seconds(RateZone.REFUSED - refused), "Retry-After rounds up to whole seconds");
        // 99 ms later there is still no room; at 100 ms one request passes, and only one.
        assertEquals(List.of(-1L), burst(z, 1, 5, Long.MAX_VALUE, now + 99 * MS));
        assertEquals(List.of(0L, -1L), burst(z, 2, 5, Long.MAX_VALUE, now + 100 * MS));
        // After the whole burst has drained (600 ms from the last charge), six pass again.
        assertEquals(List.of(0L, 0L, 0L, 0L, 0L, 0L, -1L), burst(z, 7, 5, Long.MAX_VALUE, now + 700 * MS));
    }

    @Test
    void withoutNodelayTheBurstWaitsOneIntervalMoreEach() {
        RateZone z = zone("10r/s");
        assertEquals(List.of(0L, 100L, 200L, 300L, 400L, 500L, -1L), burst(z, 7, 5, 0, clock.get()));
    }

    @Test
    void delayNServesTheFirstNOverTheRateAtOnceAndDelaysTheRest() {
        // nginx: excess <= delay goes at once; the first request has excess 0, so 1 + N go at once.
        RateZone z = zone("5r/s");
        assertEquals(List.of(0L, 0L, 0L, 0L, 200L, 400L, -1L), burst(z, 7, 5, 3, clock.get()));
    }

    @Test
    void aRatePerMinuteIsTheSameBucketAsItsRatePerSecond() {
        RateZone perMinute = zone("600r/m");
        RateZone perSecond = zone("10r/s");
        assertEquals(perSecond.interval(), perMinute.interval());
        assertEquals(burst(perSecond, 8, 3, 1, clock.get()), burst(perMinute, 8, 3, 1, clock.get()));
    }

    @Test
    void aSlowRateDrainsBetweenCloseRequestsWhereNginxMillisecondsWouldNot() {
        RateZone z = zone("1r/m");
        long now = clock.get();
        long burst = LeakyBucket.requests(10, z.interval());
        assertEquals(0, z.take("k", burst, now));
        // 50 ms later: nginx's 16 * 50 / 1000 drains 0; here 50 ms of a 60 s interval is drained.
        assertEquals(z.interval() - 50 * MS, z.take("k", burst, now + 50 * MS));
    }

    @Test
    void aRefusedRequestChargesNothingAndPeekStoresNothing() {
        RateZone z = zone("10r/s");
        long now = clock.get();
        assertEquals(0, z.peek("k", 0, now));
        assertEquals(0, z.peek("k", 0, now), "peek stored nothing: still a fresh key");
        assertEquals(0, z.keys());
        assertEquals(0, z.take("k", 0, now));
        assertTrue(z.take("k", 0, now) < 0, "burst 0: a second request in the same instant is refused");
        assertEquals(0, z.take("k", 0, now + 100 * MS), "the refused one left no excess behind");
    }

    @Test
    void aKeyIsIdleOnlyOnceItsNextRequestWouldFindAFreshBucket() {
        long t = 100 * MS;
        assertTrue(LeakyBucket.drained(0, 0, t, t));
        assertTrue(!LeakyBucket.drained(0, 0, t - 1, t));
        assertTrue(!LeakyBucket.drained(5 * t, 0, 5 * t, t));
        assertTrue(LeakyBucket.drained(5 * t, 0, 6 * t, t));
        assertEquals(0, LeakyBucket.excessAfter(5 * t, 0, 6 * t, t));
        assertEquals(0, LeakyBucket.excessAfter(5 * t, 0, Long.MAX_VALUE, t), "no overflow after a long idle");
        assertEquals(t, LeakyBucket.excessAfter(0, 10, 5, t), "a clock that seems to run back drains nothing");
    }
}
