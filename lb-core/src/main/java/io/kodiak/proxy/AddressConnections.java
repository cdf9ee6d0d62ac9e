package io.kodiak.proxy;

import java.security.SecureRandom;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * Open connections per client address, for {@code limits.max-connections-per-address} (nginx
 * {@code limit_conn perip N}, HAProxy {@code src_conn_cur} with {@code tcp-request connection
 * reject}), in a table whose size never changes: an attacker rotating through addresses cannot
 * grow it, and a connection allocates nothing in it.
 *
 * <p>It is a count-min sketch of two rows of {@link #SLOTS} counters: an address counts in one
 * slot of each row, picked by two hashes with seeds drawn at random when the table is made (so
 * that nobody can choose addresses that collide). Each counter is at least the true count of every
 * address that hashes to it, so the smaller of an address's two is never below its own count: an
 * address over its cap is always refused. Another address is refused with it only if it shares
 * <em>both</em> slots with addresses that fill them. A row holds at most as many connections as
 * the listener ({@code max-connections}), so at most {@code max-connections / (cap + 1)} of its
 * slots can be over the cap; with the defaults (10,000 connections) and a cap of 10, that is under
 * 12% of a row, and under 1.5% of addresses share both slots with full ones, and that only while
 * an attacker holds every connection the listener takes, when new connections are refused anyway.
 *
 * <p>Two connections from one address that arrive together at the cap may both be refused (each
 * sees the other's count); the cap is never exceeded.
 *
 * <p>Threading: any thread; lock-free (one atomic add per row per accept and per close).
 */
final class AddressConnections {
    /** Counters per row: 2 rows of 8,192 ints are 64 KiB per listener that has a cap. */
    static final int SLOTS = 8192;
    /** What {@link #acquire} returns for a connection over the cap. */
    static final long REFUSED = -1;

    private final AtomicIntegerArray counts = new AtomicIntegerArray(2 * SLOTS);
    private final long seed1;
    private final long seed2;

    AddressConnections() {
        this(new SecureRandom().nextLong(), new SecureRandom().nextLong());
    }

    /** With chosen seeds: for tests that need two addresses to collide, or not. */
    AddressConnections(long seed1, long seed2) {
        this.seed1 = seed1;
        this.seed2 = seed2;
    }

    /**
     * Counts a connection from {@code address} (4 or 16 bytes), unless that would put it over
     * {@code cap}.
     *
     * @return the slots it took, to hand to {@link #release}, or {@link #REFUSED} (nothing taken)
     */
    long acquire(byte[] address, int cap) {
        int i = slot(address, seed1);
        int j = SLOTS + slot(address, seed2);
        int a = counts.incrementAndGet(i);
        int b = counts.incrementAndGet(j);
        if (Math.min(a, b) > cap) {
            counts.decrementAndGet(i);
            counts.decrementAndGet(j);
            return REFUSED;
        }
        return ((long) i << 32) | j;
    }

    /** Gives back what {@link #acquire} took (once per successful acquire). */
    void release(long slots) {
        counts.decrementAndGet((int) (slots >>> 32));
        counts.decrementAndGet((int) slots);
    }

    /** The count this table holds for {@code address}: at least its open connections. */
    int estimate(byte[] address) {
        return Math.min(counts.get(slot(address, seed1)), counts.get(SLOTS + slot(address, seed2)));
    }

    /** FNV-1a over the bytes from a secret seed, then MurmurHash3's finaliser to spread them over the slots. */
    private static int slot(byte[] address, long seed) {
        long h = seed ^ 0xcbf29ce484222325L;
        for (byte x : address) {
            h = (h ^ (x & 0xff)) * 0x100000001b3L;
        }
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return (int) (h & (SLOTS - 1));
    }

    @Override
    public String toString() {
        return "AddressConnections[2x" + SLOTS + "]";
    }
}
