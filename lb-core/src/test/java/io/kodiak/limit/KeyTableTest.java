package io.kodiak.limit;

import io.kodiak.config.LimitZoneConfig;
import io.kodiak.filter.RequestVariables;
import io.kodiak.filter.Template;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The memory bound of a zone whatever the number of keys, and what eviction costs a client that
 * is being limited while an attacker rotates keys.
 */
class KeyTableTest {
    private static final long MS = 1_000_000L;
    private static final Template KEY = Template.parse("$remote_addr", RequestVariables.NAMES, null);
    private final AtomicLong clock = new AtomicLong(0);

    private RateZone rateZone(int maxKeys) {
        return new RateZone(new LimitZoneConfig("z", KEY, new LimitZoneConfig.Rate(10, 1), maxKeys), clock::get);
    }

    @Test
    void aMillionDistinctKeysNeverGrowTheTableBeyondMaxKeys() {
        int maxKeys = 10_000;
        RateZone z = rateZone(maxKeys);
        long burst = LeakyBucket.requests(5, z.interval());
        System.gc();
        long before = usedHeap();
        int max = 0;
        for (int i = 0; i < 1_000_000; i++) {
            clock.addAndGet(1000); // 1 µs apart: no key drains, so eviction is forced every time
            assertTrue(z.take("198.51." + (i >>> 8 & 0xffff) + "." + (i & 0xff) + "#" + i, burst, clock.get()) >= 0);
            max = Math.max(max, z.keys());
        }
        max = Math.max(max, z.keys());
        assertEquals(maxKeys, max, "full, never over");
        assertEquals(1_000_000 - maxKeys, z.evictions());
        // What the table holds: its arrays (fixed) and at most maxKeys strings of ~25 characters.
        // 1,000,000 keys kept would be ~100 MB; the bound is ~1.5 MB. Measured with slack for the GC.
        System.gc();
        long grown = usedHeap() - before;
        assertTrue(grown < 32L << 20, "heap grew " + (grown >> 20) + " MiB");
        assertTrue(z.take("198.51.0.0#0", burst, clock.get()) == 0, "an evicted key starts afresh");
    }

    private static long usedHeap() {
        Runtime r = Runtime.getRuntime();
        return r.totalMemory() - r.freeMemory();
    }

    @Test
    void aLongKeyIsKeptAsItsDigest() {
        String jwt = "e".repeat(4000);
        String kept = KeyTable.bounded(jwt);
        assertEquals(7 + 64, kept.length());
        assertEquals(kept, KeyTable.bounded("e".repeat(4000)));
        assertEquals("short", KeyTable.bounded("short"));
        RateZone z = rateZone(10);
        assertEquals(0, z.take(kept, 0, 0));
        assertTrue(z.take(KeyTable.bounded(jwt), 0, 0) < 0, "the same long key is the same bucket");
    }

    @Test
    void anAttackerRotatingKeysDoesNotResetALimitedClientThatKeepsSending() {
        int maxKeys = 1000;
        RateZone z = rateZone(maxKeys);
        long burst = LeakyBucket.requests(5, z.interval());
        // The clock stands still: the steady client's bucket never drains, so each of its requests
        // must be refused unless its state is lost.
        for (int i = 0; i < 6; i++) {
            assertTrue(z.take("victim", burst, 0) >= 0);
        }
        int victimPassed = 0;
        for (int i = 0; i < 200_000; i++) {
            z.take("attacker-" + i, burst, 0);
            if (i % 200 == 0 && z.take("victim", burst, 0) >= 0) {
                victimPassed++;
            }
        }
        assertEquals(0, victimPassed, "one request per 200 new keys (a fifth of max-keys) keeps the state");
        assertTrue(z.evictions() > 190_000);
    }

    @Test
    void aLimitedClientSilentForMoreThanMaxKeysNewKeysStartsAfreshAsDocumented() {
        RateZone z = rateZone(1000);
        long burst = LeakyBucket.requests(5, z.interval());
        for (int i = 0; i < 6; i++) {
            z.take("victim", burst, 0);
        }
        for (int i = 0; i < 3000; i++) {
            z.take("attacker-" + i, burst, 0);
        }
        assertEquals(0, z.take("victim", burst, 0), "evicted: a new burst");
    }

    @Test
    void drainedStateGoesFirstSoAnIdleZoneEvictsNothingThatMatters() {
        RateZone z = rateZone(300);
        long burst = LeakyBucket.requests(5, z.interval());
        for (int i = 0; i < 6; i++) {
            z.take("victim", burst, 0);
        }
        // Old keys whose buckets have drained make way first, though used since the hand passed
        // (plain CLOCK would clear every bit, then take the victim, first in line).
        for (int i = 0; i < 299; i++) {
            z.take("old-" + i, burst, 0);
            z.take("old-" + i, burst, 0);
        }
        clock.set(200 * MS);
        for (int i = 0; i < 299; i++) {
            z.take("new-" + i, burst, 200 * MS);
        }
        assertEquals(4 * z.interval(), z.take("victim", burst, 200 * MS), "victim kept (5 - 2 drained + 1): drained keys went instead");
        assertEquals(299, z.evictions());
    }

    @Test
    void concurrencyKeysWithRequestsInProgressAreNeverEvicted() {
        ConcurrencyZone z = new ConcurrencyZone(new LimitZoneConfig("c", KEY, null, 256));
        for (int i = 0; i < 256; i++) {
            assertEquals(ConcurrencyZone.ACQUIRED, z.acquire("k" + i, 1));
        }
        assertEquals(ConcurrencyZone.AT_MAX, z.acquire("k7", 1));
        assertEquals(ConcurrencyZone.FULL, z.acquire("new", 1), "every slot is held by a request in progress");
        assertEquals(256, z.inFlight());
        z.release("k7");
        assertEquals(ConcurrencyZone.ACQUIRED, z.acquire("new", 1), "the idle key made way");
        assertEquals(ConcurrencyZone.ACQUIRED, z.acquire("k8", 2));
        assertEquals(ConcurrencyZone.AT_MAX, z.acquire("k8", 2));
        assertEquals(1, z.evictions());
        assertEquals(257, z.inFlight());
    }

    @Test
    void manyThreadsOnOverlappingKeysKeepEveryCountAndTheBound() throws Exception {
        ConcurrencyZone z = new ConcurrencyZone(new LimitZoneConfig("c", KEY, null, 2048));
        int threads = 4;
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
        try {
            java.util.List<java.util.concurrent.Future<Integer>> done = new java.util.ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int seed = t;
                done.add(pool.submit(() -> {
                    java.util.SplittableRandom rnd = new java.util.SplittableRandom(seed);
                    int acquired = 0;
                    for (int i = 0; i < 200_000; i++) {
                        String key = "k" + rnd.nextInt(10_000); // more keys than slots: eviction under contention
                        if (z.acquire(key, 1_000_000) == ConcurrencyZone.ACQUIRED) {
                            acquired++;
                            z.release(key);
                        }
                    }
                    return acquired;
                }));
            }
            int acquired = 0;
            for (java.util.concurrent.Future<Integer> f : done) {
                acquired += f.get(60, java.util.concurrent.TimeUnit.SECONDS);
            }
            assertEquals(threads * 200_000, acquired, "nothing in progress at the end of each step: never full");
            assertEquals(0, z.inFlight(), "every count given back");
            assertTrue(z.keys() <= 2048);
            assertTrue(z.evictions() > 0);
        } finally {
            pool.shutdownNow();
        }
    }

    /** 2^n strings of 2n characters with one String.hashCode: "Aa" and "BB" collide, and so does any string of them. */
    private static String colliding(int i, int n) {
        StringBuilder b = new StringBuilder();
        for (int k = 0; k < n; k++) {
            b.append((i >>> k & 1) == 0 ? "Aa" : "BB");
        }
        return b.toString();
    }

    /**
     * Keys chosen to collide in String.hashCode (in every process) spread over every stripe and
     * bucket like any others: no lookup walks a long chain under a stripe's lock.
     */
    @Test
    void keysThatCollideInStringHashCodeSpreadOverStripesAndBuckets() {
        RateZone z = rateZone(1_000_000);
        long burst = LeakyBucket.requests(5, z.interval());
        int n = 40_000;
        assertEquals(colliding(0, 16).hashCode(), colliding(n - 1, 16).hashCode());
        for (int i = 0; i < n; i++) {
            z.take(colliding(i, 16), burst, clock.get());
        }
        assertEquals(n, z.keys(), "all kept: none evicted to make room");
        int[] spread = z.table().spread();
        assertEquals(0, spread[1], "every stripe holds some");
        // 40,000 keys in 64 stripes of 15,625 slots and 16,384 buckets: about 0.04 a bucket.
        assertTrue(spread[0] <= 6, "longest chain " + spread[0]);
    }

    /** However keys land, no bucket holds more than MAX_CHAIN: the chain's own victim makes room. */
    @Test
    void noChainGrowsBeyondItsBound() {
        KeyTable t = new KeyTable(500, new KeyTable.Kind() {
            @Override
            public boolean idle(KeyTable.Stripe s, int slot, long now) {
                return false;
            }

            @Override
            public boolean pinned(KeyTable.Stripe s, int slot) {
                return false;
            }
        }, 0);
        for (int i = 0; i < 100; i++) {
            // One stripe of 500 slots and 512 buckets; every key in bucket 7, as a keyed hash never
            // allows by chance, but the bound must hold anyway.
            int hash = i << 9 | 7;
            KeyTable.Stripe s = t.lock(hash);
            try {
                String key = "k" + i;
                assertEquals(KeyTable.NONE, s.find(key, hash));
                assertTrue(s.add(key, hash, 0) != KeyTable.NONE);
                assertTrue(s.find(key, hash) != KeyTable.NONE, "the new key is found");
            } finally {
                s.lock.unlock();
            }
        }
        assertEquals(KeyTable.MAX_CHAIN, t.spread()[0]);
        assertEquals(KeyTable.MAX_CHAIN, t.size());
        assertEquals(100 - KeyTable.MAX_CHAIN, t.evictions.sum());
    }
}
