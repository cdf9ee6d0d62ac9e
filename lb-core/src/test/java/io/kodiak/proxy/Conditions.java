package io.kodiak.proxy;

import java.time.Duration;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** Polling waits for states that no latch announces (things outside the test's own objects). */
final class Conditions {
    private static final long POLL_MILLIS = 10;

    private Conditions() {
    }

    /** Waits until {@code condition} holds; fails naming {@code what} after {@code timeout}. */
    static void await(String what, BooleanSupplier condition, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline >= 0) {
                fail("not " + what + " within " + timeout);
            }
            Thread.sleep(POLL_MILLIS);
        }
    }

    /**
     * Asserts that {@code condition} stays false for {@code window}: the only way to observe that
     * something does not happen. The window is many times longer than the event takes when it does
     * happen (a loopback connect), so a missing behaviour fails this reliably.
     */
    static void staysFalse(String what, BooleanSupplier condition, Duration window) throws InterruptedException {
        long deadline = System.nanoTime() + window.toNanos();
        while (System.nanoTime() - deadline < 0) {
            assertTrue(!condition.getAsBoolean(), what);
            Thread.sleep(POLL_MILLIS);
        }
        assertTrue(!condition.getAsBoolean(), what);
    }
}
