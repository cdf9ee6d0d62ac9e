package io.kodiak.proxy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link ControlLoop#runAndWait}: a change the loop did not run within its bound never runs later. */
@Timeout(30)
class ControlLoopTest {
    @Test
    void aChangeThatTimedOutBeforeItStartedIsCancelled() throws Exception {
        try (ControlLoop loop = new ControlLoop(List.of(), Map.of(), Map.of(), System::nanoTime, System::currentTimeMillis,
                new SplittableRandom(1))) {
            loop.waitLimit(Duration.ofMillis(100));
            CountDownLatch busy = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            Thread blocker = new Thread(() -> {
                try {
                    loop.runAndWait(() -> {
                        busy.countDown();
                        try {
                            release.await(20, TimeUnit.SECONDS);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    });
                } catch (IllegalStateException expected) {
                    // it is running, and finishes once released
                }
            }, "blocker");
            blocker.start();
            assertTrue(busy.await(10, TimeUnit.SECONDS), "the loop is busy");
            AtomicBoolean ran = new AtomicBoolean();
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> loop.runAndWait(() -> ran.set(true)));
            assertEquals("the control loop did not run the change within 100 ms", e.getMessage());
            release.countDown();
            blocker.join(10_000);
            loop.waitLimit(Duration.ofSeconds(10));
            loop.runAndWait(() -> { }); // submitted after the timed-out one: it would have run by now
            assertFalse(ran.get(), "a change whose caller was told it failed ran later, over whatever came next");
        }
    }
}
