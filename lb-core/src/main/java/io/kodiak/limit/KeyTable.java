package io.kodiak.limit;

import java.util.concurrent.atomic.LongAdder;

/**
 * The per-key state of one limit zone in a table of fixed capacity: however many distinct keys
 * clients send (an attacker rotating addresses or API keys), it never holds more than
 * {@code maxKeys} of them, and never allocates beyond the key strings it keeps. nginx sizes its
 * zones in bytes and evicts the least recently used state when one is full; this table counts
 * keys and evicts by CLOCK, LRU's constant-time approximation.
 *
 * <p><b>Layout.</b> The capacity is split over up to 64 stripes, each a lock and parallel arrays
 * (key, hash, chain link, two longs of state, a reference bit) with a chained hash index: about
 * 45 bytes a key besides the key's own {@code String} ({@link #BYTES_PER_KEY}). Everything is
 * allocated up front; a new key takes a free slot or the victim's. Keys are placed by a keyed hash
 * ({@link KeyHash}), so a client cannot choose keys that share a stripe or a bucket, and no
 * bucket ever holds more than {@link #MAX_CHAIN} keys: a lookup's walk under the lock is bounded
 * whatever keys arrive.
 *
 * <p><b>Eviction.</b> When a stripe is full, its clock hand sweeps: a slot whose state is
 * {@linkplain Kind#idle idle} (a drained bucket, no request in progress) goes at once, since a
 * fresh state says the same; otherwise a slot used since the hand last passed has its bit cleared
 * and is spared once; one that was not goes. A slot {@linkplain Kind#pinned pinned} by requests
 * in progress never goes: if all are, the new key gets no slot ({@link #NONE}). So a key that is
 * still limited keeps its state as long as it is used at least once per sweep of its stripe,
 * that is once per (capacity / stripes) new keys landing in it; one that is not starts afresh.
 *
 * <p><b>Threading.</b> Any thread. Each stripe has its own lock, held only for a lookup and the
 * few arithmetic steps its caller does on the slot: selector threads contend only when their keys
 * share a stripe. Callers take {@link #lock(int)}, call {@link Stripe#find} or {@link Stripe#add},
 * read and write {@link Stripe#a} and {@link Stripe#b}, and unlock; nothing there blocks.
 */
final class KeyTable {
    /** Slot index for "no such key" and "no room". */
    static final int NONE = -1;
    /**
     * What a key costs besides its {@code String}: the key reference (4 with compressed oops), its
     * hash (4), chain link (4), two longs (16), a reference bit (1), and about two bucket heads
     * (8), rounded up with array headers and padding.
     */
    static final int BYTES_PER_KEY = 45;
    private static final int MAX_STRIPES = 64;
    /** The most keys one bucket holds: the bound on a lookup's walk under a stripe's lock. */
    static final int MAX_CHAIN = 16;
    /** Stripes are made no smaller than this, so eviction picks among enough keys to be fair. */
    private static final int MIN_STRIPE_CAPACITY = 256;

    /** How the state kept in {@link Stripe#a} and {@link Stripe#b} may be evicted. */
    interface Kind {
        /** Whether the slot's state is no different from a fresh one at {@code now}: free to go. */
        boolean idle(Stripe s, int slot, long now);

        /** Whether the slot must stay (a request in progress will give its count back). */
        boolean pinned(Stripe s, int slot);
    }

    private final Stripe[] stripes;
    private final int stripeShift;
    private final int capacity;
    private final int seed;
    final LongAdder evictions = new LongAdder();

    /**
     * @param maxKeys at least 1
     * @param kind    how this table's state may be evicted
     * @param seed    mixed into the hash (with the process's random key), so that tables differ
     */
    KeyTable(int maxKeys, Kind kind, int seed) {
        if (maxKeys < 1) {
            throw new IllegalArgumentException("maxKeys " + maxKeys);
        }
        int n = Integer.highestOneBit(Math.max(1, Math.min(MAX_STRIPES, maxKeys / MIN_STRIPE_CAPACITY)));
        stripes = new Stripe[n];
        for (int i = 0; i < n; i++) {
            stripes[i] = new Stripe(maxKeys / n + (i < maxKeys % n ? 1 : 0), kind, evictions);
        }
        stripeShift = 32 - Integer.numberOfTrailingZeros(n);
        capacity = maxKeys;
        this.seed = seed;
    }

    /** Longest key kept as written; a longer one (a JWT as key) is kept as its SHA-256, 71 characters. */
    static final int MAX_KEY_CHARS = 256;

    /**
     * {@code key}, or, if it is longer than {@link #MAX_KEY_CHARS}, {@code "sha256:"} and its
     * digest in hex: one key never costs more than a few hundred bytes, whatever a client puts in
     * the field a zone is keyed on (nginx refuses to limit keys over 64 KB instead).
     */
    static String bounded(String key) {
        if (key.length() <= MAX_KEY_CHARS) {
            return key;
        }
        try {
            byte[] d = java.security.MessageDigest.getInstance("SHA-256")
                    .digest(key.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return "sha256:" + java.util.HexFormat.of().formatHex(d);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e); // every JDK has SHA-256
        }
    }

    /**
     * The keyed hash of {@code key} ({@link KeyHash}: not {@link String#hashCode}, whose collisions
     * a client can choose): its top bits pick the stripe, its low bits the bucket.
     */
    int hash(String key) {
        long h = KeyHash.of(key, seed);
        return (int) (h ^ (h >>> 32));
    }

    /** The stripe of {@code hash}, locked: the caller unlocks it in a {@code finally}. */
    Stripe lock(int hash) {
        Stripe s = stripes[stripeShift == 32 ? 0 : hash >>> stripeShift];
        s.lock.lock();
        return s;
    }

    int capacity() {
        return capacity;
    }

    /** Keys held now (a moment's count: stripes are read one by one without their locks). */
    int size() {
        int n = 0;
        for (Stripe s : stripes) {
            n += s.size;
        }
        return n;
    }

    /** The longest chain of any bucket and the number of stripes holding no key: how keys spread (tests). */
    int[] spread() {
        int longest = 0;
        int empty = 0;
        for (Stripe s : stripes) {
            s.lock.lock();
            try {
                longest = Math.max(longest, s.longestChain());
                empty += s.size == 0 ? 1 : 0;
            } finally {
                s.lock.unlock();
            }
        }
        return new int[] {longest, empty};
    }

    /** The sum of a state column over the keys held (a concurrency zone's requests in progress). */
    long sumA() {
        long n = 0;
        for (Stripe s : stripes) {
            s.lock.lock();
            try {
                for (int i = 0; i < s.size; i++) {
                    n += s.a[i];
                }
            } finally {
                s.lock.unlock();
            }
        }
        return n;
    }

    @Override
    public String toString() {
        return "KeyTable[" + size() + "/" + capacity + " keys, " + stripes.length + " stripes, "
                + evictions.sum() + " evicted]";
    }

    /** One lock's share of the table. Fields are read and written only with {@link #lock} held. */
    static final class Stripe {
        final java.util.concurrent.locks.ReentrantLock lock = new java.util.concurrent.locks.ReentrantLock();
        private final Kind kind;
        private final LongAdder evictions;
        private final String[] keys;
        private final int[] hashes;
        /** The next slot in the same bucket, or NONE. */
        private final int[] next;
        /** The first slot of each bucket, or NONE; a power of two at least the capacity. */
        private final int[] buckets;
        private final boolean[] referenced;
        /** The state: a rate zone's excess (ns) and last request time; a concurrency zone's count. */
        final long[] a;
        final long[] b;
        /** Slots in use: slots below it hold a key (a full stripe stays full: keys only replace keys). */
        int size;
        private int hand;

        Stripe(int capacity, Kind kind, LongAdder evictions) {
            this.kind = kind;
            this.evictions = evictions;
            keys = new String[capacity];
            hashes = new int[capacity];
            next = new int[capacity];
            a = new long[capacity];
            b = new long[capacity];
            referenced = new boolean[capacity];
            buckets = new int[Math.max(1, Integer.highestOneBit(Math.max(1, capacity - 1)) << 1)];
            java.util.Arrays.fill(buckets, NONE);
        }

        /** The slot of {@code key}, marked as used; or {@link #NONE}. */
        int find(String key, int hash) {
            for (int i = buckets[hash & (buckets.length - 1)]; i != NONE; i = next[i]) {
                if (hashes[i] == hash && keys[i].equals(key)) {
                    referenced[i] = true;
                    return i;
                }
            }
            return NONE;
        }

        /**
         * A slot for {@code key}, which is not in the table, with state 0 and 0: a free one, or
         * the clock's victim. {@link #NONE} when every slot is pinned.
         */
        int add(String key, int hash, long now) {
            int slot;
            int bucket = hash & (buckets.length - 1);
            if (chainLength(bucket) >= MAX_CHAIN) {
                // A keyed hash makes this all but impossible by chance (16 keys in one bucket at a
                // load of at most 1); should it happen, the chain's own victim makes room, so no
                // lookup ever walks more than MAX_CHAIN keys under the lock.
                slot = chainVictim(bucket, now);
                if (slot == NONE) {
                    return NONE;
                }
                unlink(slot);
                evictions.increment();
            } else if (size < keys.length) {
                slot = size++;
            } else {
                slot = victim(now);
                if (slot == NONE) {
                    return NONE;
                }
                unlink(slot);
                evictions.increment();
            }
            keys[slot] = key;
            hashes[slot] = hash;
            next[slot] = buckets[bucket];
            buckets[bucket] = slot;
            // A new key is not marked: a flood of one-off keys evicts its own kind first.
            referenced[slot] = false;
            a[slot] = 0;
            b[slot] = 0;
            return slot;
        }

        /** How many keys bucket {@code b} holds (at most {@link #MAX_CHAIN}). */
        private int chainLength(int b) {
            int n = 0;
            for (int i = buckets[b]; i != NONE; i = next[i]) {
                n++;
            }
            return n;
        }

        /** In a full chain: an idle or unmarked slot, else any unpinned one, else {@link #NONE}. */
        private int chainVictim(int b, long now) {
            int fallback = NONE;
            for (int i = buckets[b]; i != NONE; i = next[i]) {
                if (kind.pinned(this, i)) {
                    continue;
                }
                if (!referenced[i] || kind.idle(this, i, now)) {
                    return i;
                }
                fallback = i;
            }
            return fallback;
        }

        /** The longest chain of this stripe (tests). */
        int longestChain() {
            int longest = 0;
            for (int b = 0; b < buckets.length; b++) {
                longest = Math.max(longest, chainLength(b));
            }
            return longest;
        }

        /** Two sweeps at most: after one, every unpinned slot's bit is clear. */
        private int victim(long now) {
            int n = keys.length;
            for (int step = 0; step < 2 * n; step++) {
                int s = hand;
                hand = hand + 1 == n ? 0 : hand + 1;
                if (kind.pinned(this, s)) {
                    continue;
                }
                if (!referenced[s] || kind.idle(this, s, now)) {
                    return s;
                }
                referenced[s] = false;
            }
            return NONE;
        }

        private void unlink(int slot) {
            int bucket = hashes[slot] & (buckets.length - 1);
            int i = buckets[bucket];
            if (i == slot) {
                buckets[bucket] = next[slot];
                return;
            }
            while (next[i] != slot) {
                i = next[i];
            }
            next[i] = next[slot];
        }
    }
}
