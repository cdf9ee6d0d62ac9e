package io.kodiak.auth;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * A bounded map whose entries expire: at most {@code maxEntries}, the least recently used evicted
 * first, each entry used for {@code ttl} from when it was put, then dropped when next looked up
 * (or evicted). What the authentication caches share: basic-auth's recent verifications
 * ({@link PasswordCache}) and forward-auth's recent answers ({@link ForwardAuthCache}). Time comes
 * from an injected clock.
 *
 * <p>Thread-safe: one lock, held only for a map operation. Memory is bounded by
 * {@code maxEntries} whatever the traffic.
 */
final class ExpiringLru<K, V> {
    private record Entry<V>(V value, long expiresAt) {
    }

    private final long ttlNanos;
    private final int maxEntries;
    private final LongSupplier nanoTime;
    private final LinkedHashMap<K, Entry<V>> map;

    ExpiringLru(long ttlNanos, int maxEntries, LongSupplier nanoTime) {
        this.ttlNanos = ttlNanos;
        this.maxEntries = maxEntries;
        this.nanoTime = nanoTime;
        this.map = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<K, Entry<V>> eldest) {
                return size() > ExpiringLru.this.maxEntries;
            }
        };
    }

    /** The value put for {@code k} less than the TTL ago, or null (none, or it expired: then dropped). */
    V get(K k) {
        long now = nanoTime.getAsLong();
        synchronized (map) {
            Entry<V> e = map.get(k);
            if (e == null) {
                return null;
            }
            if (now - e.expiresAt >= 0) {
                map.remove(k);
                return null;
            }
            return e.value;
        }
    }

    void put(K k, V v) {
        long expires = nanoTime.getAsLong() + ttlNanos;
        synchronized (map) {
            map.put(k, new Entry<>(v, expires));
        }
    }

    int size() {
        synchronized (map) {
            return map.size();
        }
    }

    /** {@code name[size/max, ttl N ms]}, for a cache's toString. */
    String describe(String name) {
        return name + "[" + size() + "/" + maxEntries + ", ttl " + ttlNanos / 1_000_000 + " ms]";
    }
}
