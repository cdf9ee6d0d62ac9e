package io.kodiak.testing;

import java.lang.management.LockInfo;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.time.Duration;

/**
 * Lets a test see that a thread waits to enter an object's {@code synchronized} block, through the
 * JVM's thread information rather than a sleep: the deterministic way to show that an operation
 * serialises with another holding that lock (and, without the lock, that it does not wait at all).
 */
public final class Monitors {
    private Monitors() {
    }

    /**
     * Waits, polling within {@code max}, until {@code t} is blocked entering {@code monitor}'s lock,
     * or has ended.
     *
     * @return whether it was seen blocked on {@code monitor} ({@code false}: it ended, or the time ran out)
     */
    public static boolean awaitBlockedOn(Thread t, Object monitor, Duration max) throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        int id = System.identityHashCode(monitor);
        while (t.isAlive() && System.nanoTime() - deadline < 0) {
            ThreadInfo info = ManagementFactory.getThreadMXBean().getThreadInfo(t.getId());
            LockInfo lock = info == null ? null : info.getLockInfo();
            if (info != null && info.getThreadState() == Thread.State.BLOCKED && lock != null
                    && lock.getIdentityHashCode() == id && lock.getClassName().equals(monitor.getClass().getName())) {
                return true;
            }
            Thread.sleep(2);
        }
        return false;
    }
}
