package io.kodiak.config;

import io.kodiak.filter.Template;

/**
 * A zone defined once at the top of the file and named by listeners' and routes' limits: under
 * {@code rate-limits} (nginx {@code limit_req_zone}) or {@code concurrency-limits} (nginx
 * {@code limit_conn_zone}). A zone holds the state of at most {@code maxKeys} keys, whatever the
 * number of distinct keys its clients send ({@code io.kodiak.limit.KeyTable}).
 *
 * <p>Compared by value: a reload that leaves a zone's definition as it was keeps its counts
 * ({@code io.kodiak.limit.LimitZones}), as nginx keeps a shared memory zone whose key and size are
 * unchanged; any change starts the zone afresh.
 *
 * @param name     the zone's name, unique among zones of its kind
 * @param key      what the state is kept per ({@code $remote_addr}, {@code $http_x_api_key},
 *                 {@code $remote_addr:$cookie_session}); an empty expansion is not limited
 * @param rate     for a rate zone, {@code count} requests per {@code perSeconds}; null for a
 *                 concurrency zone
 * @param maxKeys  how many keys the zone holds at most; beyond, the least recently used go
 */
public record LimitZoneConfig(String name, Template key, Rate rate, int maxKeys) {
    /** {@code max-keys} when the zone does not say: about 12 MB of IPv4 addresses. */
    public static final int DEFAULT_MAX_KEYS = 100_000;
    /** The largest {@code max-keys}: ten million keys is about a gigabyte of heap. */
    public static final int MAX_MAX_KEYS = 10_000_000;
    /**
     * What one key costs a full zone: its slot in the table (about 45 bytes, allocated when the
     * zone is first named) and its {@code String} (about 55 for an IPv4 address, more for longer
     * keys, up to ~200 for the 71-character digest of a long one).
     */
    public static final int BYTES_PER_KEY = 100;

    /** About what this zone's table and keys take when it holds {@code maxKeys} keys. */
    public long bytesWhenFull() {
        return (long) maxKeys * BYTES_PER_KEY;
    }

    /**
     * nginx's {@code rate=10r/s} or {@code 600r/m}.
     *
     * @param count      requests, at least 1
     * @param perSeconds 1 or 60
     */
    public record Rate(int count, int perSeconds) {
        /** The emission interval: the time one request's share of the bucket takes to drain. */
        public long intervalNanos() {
            return perSeconds * 1_000_000_000L / count;
        }

        @Override
        public String toString() {
            return count + (perSeconds == 1 ? "r/s" : "r/m");
        }
    }

    /** Whether this is a {@code rate-limits} zone (else {@code concurrency-limits}). */
    public boolean isRate() {
        return rate != null;
    }
}
