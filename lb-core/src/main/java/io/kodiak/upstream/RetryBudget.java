package io.kodiak.upstream;

import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Caps a pool's retries at a share of its requests, so that retries cannot multiply the load on a
 * fleet that is already failing (a retry storm): Envoy's retry budget and Finagle's
 * {@code RetryBudget}. Over the last {@value #WINDOW_SECONDS} seconds, retries may number at most
 * {@code percent} % of the requests, or {@code minPerSecond} per second of the window, whichever
 * is more, so that a quiet pool can still retry.
 *
 * <p>Counts live in one bucket per second; the clock is injected, so tests drive it. Thread-safe:
 * a short lock around a few additions, taken once per request and once per retry.
 */
public final class RetryBudget {
    static final int WINDOW_SECONDS = 10;

    private int percent; // guarded by this
    private int minPerSecond; // guarded by this
    private final LongSupplier nanoClock;
    private final long[] requests = new long[WINDOW_SECONDS];
    private final long[] retries = new long[WINDOW_SECONDS];
    /** The second the newest bucket counts, on the clock's scale. */
    private long second;

    public RetryBudget(int percent, int minPerSecond, LongSupplier nanoClock) {
        this.percent = percent;
        this.minPerSecond = minPerSecond;
        this.nanoClock = nanoClock;
        this.second = secondNow();
    }

    /** A reload changed the budget; the counts of the window carry over. */
    public synchronized void reconfigure(int percent, int minPerSecond) {
        this.percent = percent;
        this.minPerSecond = minPerSecond;
    }

    /** A request started (its first attempt). */
    public synchronized void onRequest() {
        requests[advance()]++;
    }

    /**
     * Takes one retry from the budget.
     *
     * @return false if the budget is spent: the failure is the client's answer
     */
    public synchronized boolean tryRetry() {
        int now = advance();
        long allowed = Math.max((long) minPerSecond * WINDOW_SECONDS, sum(requests) * percent / 100);
        if (sum(retries) >= allowed) {
            return false;
        }
        retries[now]++;
        return true;
    }

    private long secondNow() {
        return TimeUnit.NANOSECONDS.toSeconds(nanoClock.getAsLong());
    }

    /** Clears the buckets of the seconds that passed; @return the index of the current one */
    private int advance() {
        long now = secondNow();
        if (now > second) {
            for (long s = second + 1; s <= now && s <= second + WINDOW_SECONDS; s++) {
                int i = (int) Math.floorMod(s, (long) WINDOW_SECONDS);
                requests[i] = 0;
                retries[i] = 0;
            }
            second = now;
        }
        return (int) Math.floorMod(second, (long) WINDOW_SECONDS);
    }

    private static long sum(long[] a) {
        long n = 0;
        for (long v : a) {
            n += v;
        }
        return n;
    }

    @Override
    public synchronized String toString() {
        return "RetryBudget[" + percent + "% + " + minPerSecond + "/s, window: " + sum(retries) + " retries of "
                + sum(requests) + " requests]";
    }
}
