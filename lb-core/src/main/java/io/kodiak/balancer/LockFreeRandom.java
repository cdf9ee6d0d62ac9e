package io.kodiak.balancer;

import java.util.concurrent.atomic.AtomicLong;
import java.util.random.RandomGenerator;

/**
 * A seeded random source that several selector threads can draw from without a lock: SplitMix64
 * (the generator behind {@link java.util.SplittableRandom}) whose state advances by compare-and-set.
 * Drawn from one thread, a seed gives the same sequence every time, which is what tests need;
 * drawn from several, each draw still gets a distinct state.
 */
public final class LockFreeRandom implements RandomGenerator {
    private static final long GAMMA = 0x9e3779b97f4a7c15L;

    private final AtomicLong state;

    public LockFreeRandom(long seed) {
        this.state = new AtomicLong(seed);
    }

    @Override
    public long nextLong() {
        long z = state.addAndGet(GAMMA);
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    @Override
    public String toString() {
        return "LockFreeRandom";
    }
}
