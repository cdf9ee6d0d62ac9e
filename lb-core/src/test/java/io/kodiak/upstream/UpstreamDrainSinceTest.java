package io.kodiak.upstream;

import io.kodiak.config.UpstreamConfig;
import io.kodiak.discovery.Readiness;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * The status page's drain progress: {@link Upstream#drainingForNanos()} counts from the moment
 * {@link Upstream#state()} became DRAIN or MAINT, whichever setter made it so, and stops when it
 * is UP or DOWN again. A fake nano clock stands for time.
 */
class UpstreamDrainSinceTest {
    private final AtomicLong clock = new AtomicLong(5_000_000_000L);

    private Upstream upstream() {
        return new Upstream("p", new UpstreamConfig("a", "127.0.0.1", 9001, 1), clock::get);
    }

    private void pass(long seconds) {
        clock.addAndGet(TimeUnit.SECONDS.toNanos(seconds));
    }

    private static long seconds(Upstream u) {
        long n = u.drainingForNanos();
        return n < 0 ? -1 : TimeUnit.NANOSECONDS.toSeconds(n);
    }

    @Test
    void anAdminDrainCountsFromItsStartThroughMaintUntilReady() {
        Upstream u = upstream();
        assertEquals(-1, u.drainingForNanos(), "UP");
        assertNull(u.drainingSince());
        u.setAdminState(AdminState.DRAIN);
        assertEquals("DRAIN", u.state());
        assertNotNull(u.drainingSince());
        pass(4);
        assertEquals(4, seconds(u));
        u.setAdminState(AdminState.MAINT);
        pass(3);
        assertEquals(7, seconds(u), "DRAIN then MAINT is one time out of rotation");
        u.setAdminState(AdminState.READY);
        assertEquals(-1, u.drainingForNanos());
        assertNull(u.drainingSince());
        u.setAdminState(AdminState.DRAIN);
        pass(1);
        assertEquals(1, seconds(u), "a new drain starts a new count");
    }

    @Test
    void weightZeroIsADrainAndAReloadThatDropsItEndsIt() {
        Upstream u = upstream();
        u.setRuntimeWeight(0);
        pass(2);
        assertEquals(2, seconds(u));
        u.setRuntimeWeight(-1);
        assertEquals(-1, seconds(u));
        u.setRuntimeWeight(0);
        assertEquals(0, seconds(u));
        u.reconfigure(new UpstreamConfig("a", "127.0.0.1", 9001, 3)); // the file's weight changed: the runtime 0 goes
        assertEquals("UP", u.state());
        assertEquals(-1, seconds(u));
    }

    @Test
    void removalAndADiscoveryDrainCount() {
        Upstream u = upstream();
        u.setDiscovery(Readiness.DRAIN);
        pass(2);
        assertEquals(2, seconds(u));
        u.setDiscovery(Readiness.OUT);
        assertEquals("DOWN", u.state());
        assertEquals(-1, seconds(u), "not serving is DOWN, not a drain");
        u.setDiscovery(Readiness.READY);
        u.markRemoved();
        assertEquals("DRAIN", u.state());
        pass(1);
        assertEquals(1, seconds(u));
    }

    @Test
    void aNodeDrainCountsWhileItShowsAndDownShowsOverIt() {
        Upstream u = upstream();
        u.setNodeState(true, 100);
        assertEquals("DRAIN", u.state());
        pass(3);
        assertEquals(3, seconds(u));
        u.setHealthy(false);
        assertEquals("DOWN", u.state());
        assertEquals(-1, seconds(u), "its check failed: DOWN shows, not the drain");
        u.setHealthy(true);
        pass(1);
        assertEquals(1, seconds(u), "DRAIN again from when it came back");
        u.eject(1);
        assertEquals("DOWN", u.state());
        assertEquals(-1, seconds(u));
        u.restore(clock.get());
        assertEquals("DRAIN", u.state());
        assertEquals(0, seconds(u));
        u.setNodeState(false, 100);
        assertEquals("UP", u.state());
        assertEquals(-1, seconds(u));
    }

    @Test
    void anAdminDrainOverADownUpstreamShowsAndCounts() {
        Upstream u = upstream();
        u.setHealthy(false);
        assertEquals(-1, seconds(u));
        u.setAdminState(AdminState.MAINT);
        pass(5);
        assertEquals(5, seconds(u));
        u.setHealthy(true); // still MAINT: the count goes on
        assertEquals(5, seconds(u));
    }
}
