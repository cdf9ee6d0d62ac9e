package io.kodiak.balancer;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LockFreeRandomTest {
    @Test
    void theSameSeedGivesTheSameSequenceAndAnotherSeedAnother() {
        long[] s1 = LongStream.generate(new LockFreeRandom(42)::nextLong).limit(100).toArray();
        long[] s2 = LongStream.generate(new LockFreeRandom(42)::nextLong).limit(100).toArray();
        long[] s3 = LongStream.generate(new LockFreeRandom(43)::nextLong).limit(100).toArray();
        assertArrayEquals(s1, s2);
        assertFalse(Arrays.equals(s1, s3));
    }

    @Test
    void concurrentDrawsNeverRepeatAState() throws Exception {
        LockFreeRandom r = new LockFreeRandom(7);
        Set<Long> seen = ConcurrentHashMap.newKeySet();
        CountDownLatch start = new CountDownLatch(1);
        Thread[] threads = new Thread[4];
        for (int t = 0; t < threads.length; t++) {
            threads[t] = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                for (int i = 0; i < 50_000; i++) {
                    seen.add(r.nextLong());
                }
            });
            threads[t].start();
        }
        start.countDown();
        for (Thread t : threads) {
            t.join();
        }
        assertEquals(200_000, seen.size(), "every draw got its own state");
    }

    @Test
    void boundedDrawsCoverTheRange() {
        LockFreeRandom r = new LockFreeRandom(1);
        Set<Integer> values = new HashSet<>();
        for (int i = 0; i < 1000; i++) {
            int v = r.nextInt(5);
            assertTrue(v >= 0 && v < 5);
            values.add(v);
        }
        assertEquals(Set.of(0, 1, 2, 3, 4), values);
    }
}
