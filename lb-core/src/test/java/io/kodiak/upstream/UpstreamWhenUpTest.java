package io.kodiak.upstream;

import io.kodiak.config.UpstreamConfig;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link Upstream#whenUp()}: the admin API's wait-up, completed by the control loop's signal. */
class UpstreamWhenUpTest {
    private static Upstream upstream() {
        return new Upstream("p", new UpstreamConfig("a", "127.0.0.1", 9001, 1), () -> 1L);
    }

    @Test
    void completesAtOnceWhenAvailable() {
        assertEquals(true, upstream().whenUp().getNow(null));
    }

    @Test
    void completesTrueOnTheSignalAfterTheUpstreamCameUp() {
        Upstream u = upstream();
        u.setHealthy(false);
        CompletableFuture<Boolean> up = u.whenUp();
        CompletableFuture<Boolean> second = u.whenUp();
        assertFalse(up.isDone());
        u.signalUp();
        assertFalse(up.isDone(), "still down: a signal alone completes nothing");
        u.setHealthy(true);
        assertFalse(up.isDone(), "the flag alone does not: the control loop signals once the selection is rebuilt");
        u.signalUp();
        assertEquals(true, up.getNow(null));
        assertEquals(true, second.getNow(null), "every waiter is told");
    }

    @Test
    void completesFalseWhenTheOperatorTakesItOut() {
        Upstream u = upstream();
        u.setHealthy(false);
        CompletableFuture<Boolean> up = u.whenUp();
        u.setAdminState(AdminState.DRAIN);
        u.signalUp();
        assertEquals(false, up.getNow(null), "out of rotation: only the operator brings it back");
    }

    @Test
    void aNewWaitWaitsForTheNextTransition() {
        Upstream u = upstream();
        u.setHealthy(false);
        CompletableFuture<Boolean> first = u.whenUp();
        u.setHealthy(true);
        u.signalUp();
        assertTrue(first.isDone());
        u.setHealthy(false);
        u.signalUp();
        assertFalse(u.whenUp().isDone(), "down again: a new wait waits");
    }
}
