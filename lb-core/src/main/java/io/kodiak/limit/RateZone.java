package io.kodiak.limit;

import io.kodiak.config.LimitZoneConfig;

import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * The state of one {@code rate-limits} zone (nginx {@code limit_req_zone}): a leaky bucket per key
 * ({@link LeakyBucket}) in a table of at most {@code max-keys} keys ({@link KeyTable}), and the
 * zone's counters. Shared by every listener and route that names the zone, and kept across reloads
 * that leave its definition unchanged ({@link LimitZones}).
 *
 * <p>Threading: any thread; each call holds one stripe's lock for a lookup and a few arithmetic
 * steps. Never blocks otherwise, never allocates beyond a new key's string.
 */
public final class RateZone implements KeyTable.Kind {
    /** {@link #take} and {@link #peek}'s answer for a refused request is {@code REFUSED - nanos}. */
    static final long REFUSED = -1;

    private final LimitZoneConfig config;
    private final long interval;
    private final KeyTable table;
    private final LongSupplier nanoClock;
    final LongAdder passed = new LongAdder();
    final LongAdder delayed = new LongAdder();
    final LongAdder rejected = new LongAdder();

    /**
     * @param nanoClock {@link System#nanoTime} in service; a fake clock in tests
     */
    public RateZone(LimitZoneConfig config, LongSupplier nanoClock) {
        if (!config.isRate()) {
            throw new IllegalArgumentException(config.name() + " is not a rate zone");
        }
        this.config = config;
        this.interval = config.rate().intervalNanos();
        this.nanoClock = nanoClock;
        this.table = new KeyTable(config.maxKeys(), this, config.name().hashCode() ^ (int) System.nanoTime());
    }

    public LimitZoneConfig config() {
        return config;
    }

    /** The emission interval {@code 1 / rate} (ns): one request's worth of the bucket. */
    long interval() {
        return interval;
    }

    long now() {
        return nanoClock.getAsLong();
    }

    /**
     * Lets a request of {@code key} through if its bucket has room within {@code burstNanos}, and
     * accounts it (nginx's lookup of the last or only limit).
     *
     * @param key a {@link KeyTable#bounded} key
     * @return the excess it leaves (ns, at least 0), or, if refused, {@code REFUSED - t} where
     *         {@code t} is how long until it would pass (ns); nothing is stored then
     */
    long take(String key, long burstNanos, long now) {
        return lookup(key, burstNanos, now, true);
    }

    /** As {@link #take}, without storing anything: the first of several limits, checked before any is accounted. */
    long peek(String key, long burstNanos, long now) {
        return lookup(key, burstNanos, now, false);
    }

    /** Accounts a request {@link #peek} let through, once every limit has (nginx's account step). */
    long account(String key, long now) {
        return lookup(key, Long.MAX_VALUE, now, true);
    }

    private long lookup(String key, long burstNanos, long now, boolean store) {
        int hash = table.hash(key);
        KeyTable.Stripe s = table.lock(hash);
        try {
            int slot = s.find(key, hash);
            long excess = slot == KeyTable.NONE ? 0 : LeakyBucket.excessAfter(s.a[slot], s.b[slot], now, interval);
            if (excess > burstNanos) {
                return REFUSED - LeakyBucket.retryAfter(excess, burstNanos);
            }
            if (store) {
                if (slot == KeyTable.NONE) {
                    slot = s.add(key, hash, now); // never NONE: nothing pins a rate zone's slots
                }
                s.a[slot] = excess;
                s.b[slot] = now;
            }
            return excess;
        } finally {
            s.lock.unlock();
        }
    }

    @Override
    public boolean idle(KeyTable.Stripe s, int slot, long now) {
        return LeakyBucket.drained(s.a[slot], s.b[slot], now, interval);
    }

    @Override
    public boolean pinned(KeyTable.Stripe s, int slot) {
        return false;
    }

    /** Keys held now. */
    public int keys() {
        return table.size();
    }

    public long evictions() {
        return table.evictions.sum();
    }

    public long passed() {
        return passed.sum();
    }

    public long delayed() {
        return delayed.sum();
    }

    public long rejected() {
        return rejected.sum();
    }

    KeyTable table() {
        return table;
    }

    @Override
    public String toString() {
        return "RateZone[" + config.name() + " " + config.key() + " " + config.rate() + ", " + table + "]";
    }
}
