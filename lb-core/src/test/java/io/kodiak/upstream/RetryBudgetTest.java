package io.kodiak.upstream;

import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The budget on a fake clock: no sleeps, every boundary exact. */
class RetryBudgetTest {
    private final AtomicLong clock = new AtomicLong(TimeUnit.SECONDS.toNanos(1_000));

    private void advanceSeconds(long s) {
        clock.addAndGet(TimeUnit.SECONDS.toNanos(s));
    }

    private static int retriesGranted(RetryBudget b, int tries) {
        int granted = 0;
        for (int i = 0; i < tries; i++) {
            if (b.tryRetry()) {
                granted++;
            }
        }
        return granted;
    }

    @Test
    void aQuietPoolMayStillRetryMinPerSecondTimesTheWindow() {
        RetryBudget b = new RetryBudget(20, 3, clock::get);
        // No requests at all: the floor is 3 per second over the 10 s window.
        assertEquals(30, retriesGranted(b, 100));
        assertFalse(b.tryRetry());
    }

    @Test
    void retriesAreCappedAtTheShareOfRequests() {
        RetryBudget b = new RetryBudget(20, 0, clock::get);
        for (int i = 0; i < 1_000; i++) {
            b.onRequest();
        }
        assertEquals(200, retriesGranted(b, 1_000), "20 % of 1,000 requests");
        b.onRequest();
        b.onRequest();
        b.onRequest();
        b.onRequest();
        b.onRequest();
        assertTrue(b.tryRetry(), "five more requests earn one more retry");
        assertFalse(b.tryRetry());
    }

    @Test
    void theWindowSlidesSoOldRetriesStopCounting() {
        RetryBudget b = new RetryBudget(0, 1, clock::get);
        assertEquals(10, retriesGranted(b, 20), "1 per second x 10 s");
        advanceSeconds(9);
        assertFalse(b.tryRetry(), "the retries of 9 s ago are still in the window");
        advanceSeconds(1);
        assertEquals(10, retriesGranted(b, 20), "10 s later they have left it");
    }

    @Test
    void oldRequestsStopEarningRetries() {
        RetryBudget b = new RetryBudget(50, 0, clock::get);
        for (int i = 0; i < 100; i++) {
            b.onRequest();
        }
        advanceSeconds(10);
        assertFalse(b.tryRetry(), "the requests of more than 10 s ago no longer count");
    }

    @Test
    void aZeroBudgetNeverRetries() {
        RetryBudget b = new RetryBudget(0, 0, clock::get);
        for (int i = 0; i < 100; i++) {
            b.onRequest();
        }
        assertFalse(b.tryRetry());
    }
}
