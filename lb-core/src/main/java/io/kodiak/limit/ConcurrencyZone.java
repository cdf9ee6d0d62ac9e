package io.kodiak.limit;

import io.kodiak.config.LimitZoneConfig;

import java.util.concurrent.atomic.LongAdder;

/**
 * The state of one {@code concurrency-limits} zone (nginx {@code limit_conn_zone}): the requests
 * in progress per key, in a table of at most {@code max-keys} keys ({@link KeyTable}). A key with
 * requests in progress is never evicted (its count would be lost, and the requests' ends would
 * give back what was never taken); one with none is, first. When every slot of a key's stripe is
 * held by requests in progress, a new key is refused as over its limit, as nginx's
 * {@code limit_conn} refuses when its zone is full.
 *
 * <p>Threading: any thread; each call holds one stripe's lock for a lookup and an increment.
 */
public final class ConcurrencyZone implements KeyTable.Kind {
    /** {@link #acquire}: let through. */
    static final int ACQUIRED = 0;
    /** {@link #acquire}: the key is at its max. */
    static final int AT_MAX = 1;
    /** {@link #acquire}: no room for a new key (every slot of its stripe has requests in progress). */
    static final int FULL = 2;

    private final LimitZoneConfig config;
    private final KeyTable table;
    final LongAdder passed = new LongAdder();
    final LongAdder rejected = new LongAdder();
    final LongAdder full = new LongAdder();

    public ConcurrencyZone(LimitZoneConfig config) {
        if (config.isRate()) {
            throw new IllegalArgumentException(config.name() + " is a rate zone");
        }
        this.config = config;
        this.table = new KeyTable(config.maxKeys(), this, config.name().hashCode() ^ (int) System.nanoTime());
    }

    public LimitZoneConfig config() {
        return config;
    }

    /**
     * Counts a request of {@code key} in, if it has fewer than {@code max} in progress.
     *
     * @param key a {@link KeyTable#bounded} key
     * @return {@link #ACQUIRED} (then {@link #release} it exactly once), {@link #AT_MAX} or {@link #FULL}
     */
    int acquire(String key, int max) {
        int hash = table.hash(key);
        KeyTable.Stripe s = table.lock(hash);
        try {
            int slot = s.find(key, hash);
            if (slot == KeyTable.NONE) {
                slot = s.add(key, hash, 0);
                if (slot == KeyTable.NONE) {
                    return FULL;
                }
            }
            if (s.a[slot] >= max) {
                return AT_MAX;
            }
            s.a[slot]++;
            return ACQUIRED;
        } finally {
            s.lock.unlock();
        }
    }

    /** Gives back a request {@link #acquire} counted in. */
    void release(String key) {
        int hash = table.hash(key);
        KeyTable.Stripe s = table.lock(hash);
        try {
            int slot = s.find(key, hash);
            if (slot != KeyTable.NONE && s.a[slot] > 0) { // always found: a counted key is pinned
                s.a[slot]--;
            }
        } finally {
            s.lock.unlock();
        }
    }

    @Override
    public boolean idle(KeyTable.Stripe s, int slot, long now) {
        return s.a[slot] == 0;
    }

    @Override
    public boolean pinned(KeyTable.Stripe s, int slot) {
        return s.a[slot] > 0;
    }

    /** Keys held now. */
    public int keys() {
        return table.size();
    }

    /** Requests counted in and not yet given back, over all keys. */
    public long inFlight() {
        return table.sumA();
    }

    public long evictions() {
        return table.evictions.sum();
    }

    public long passed() {
        return passed.sum();
    }

    /** Refused over a key's max. */
    public long rejected() {
        return rejected.sum();
    }

    /** Refused for want of room for a new key: every slot of its stripe had requests in progress. */
    public long full() {
        return full.sum();
    }

    KeyTable table() {
        return table;
    }

    @Override
    public String toString() {
        return "ConcurrencyZone[" + config.name() + " " + config.key() + ", " + table + "]";
    }
}
