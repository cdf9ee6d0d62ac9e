package io.kodiak.balancer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.function.Predicate;

/**
 * Consistent hashing on a ring with bounded loads (HAProxy {@code hash-type consistent} with
 * {@code hash-balance-factor}; Mirrokni, Thorup and Zadimoghaddam's "Consistent Hashing with
 * Bounded Loads"). Each upstream owns {@value #POINTS_PER_WEIGHT} points per unit of weight on a
 * 64-bit ring; a key goes to the owner of the first point at or after its hash. Adding or removing
 * one upstream of n moves only about 1/n of the keys.
 *
 * <p>With a balance factor c (in percent), an upstream takes a key only while its requests in
 * flight stay below {@code ceil(c/100 × (total in flight + 1) × weight / total weight)}; otherwise
 * the walk goes on clockwise. A hot key thus spills to the next upstreams instead of overloading
 * one. If every eligible upstream is at its bound, the first eligible one on the walk is used.
 */
public final class ConsistentHash<B extends Backend> implements Strategy<B> {
    static final int POINTS_PER_WEIGHT = 100;

    private final List<B> upstreams;
    private final long[] points;
    private final int[] owners;
    private final int balanceFactor;
    private final int totalWeight;

    /** @param balanceFactor percent, 0 for no bound */
    public ConsistentHash(List<? extends B> upstreams, int balanceFactor) {
        this.upstreams = List.copyOf(upstreams);
        this.balanceFactor = balanceFactor;
        this.totalWeight = upstreams.stream().mapToInt(Backend::weight).sum();
        int n = upstreams.stream().mapToInt(u -> u.weight() * POINTS_PER_WEIGHT).sum();
        long[][] pairs = new long[n][];
        int k = 0;
        for (int i = 0; i < this.upstreams.size(); i++) {
            B u = this.upstreams.get(i);
            for (int p = 0; p < u.weight() * POINTS_PER_WEIGHT; p++) {
                // Points depend on the upstream's name only, so they survive other upstreams coming and going.
                pairs[k++] = new long[] {hash(u.name() + "#" + p), i};
            }
        }
        Arrays.sort(pairs, (a, b) -> Long.compareUnsigned(a[0], b[0]));
        this.points = new long[n];
        this.owners = new int[n];
        for (int i = 0; i < n; i++) {
            points[i] = pairs[i][0];
            owners[i] = (int) pairs[i][1];
        }
    }

    @Override
    public boolean usesKey() {
        return true;
    }

    @Override
    public B pick(Predicate<? super B> eligible) {
        return pick(0, eligible);
    }

    @Override
    public B pick(long key, Predicate<? super B> eligible) {
        if (points.length == 0) {
            return null;
        }
        long total = 0;
        if (balanceFactor > 0) {
            for (B u : upstreams) {
                total += u.inFlight();
            }
        }
        int start = firstPointAtOrAfter(key);
        B fallback = null;
        boolean[] seen = new boolean[upstreams.size()];
        int distinct = 0;
        for (int step = 0; step < points.length && distinct < upstreams.size(); step++) {
            int owner = owners[(start + step) % points.length];
            if (seen[owner]) {
                continue;
            }
            seen[owner] = true;
            distinct++;
            B u = upstreams.get(owner);
            if (!eligible.test(u)) {
                continue;
            }
            if (balanceFactor == 0 || u.inFlight() < capacity(u, total)) {
                return u;
            }
            if (fallback == null) {
                fallback = u;
            }
        }
        return fallback;
    }

    private long capacity(Backend u, long totalInFlight) {
        // ceil(c/100 × (total + 1) × w / W), in integers
        long numerator = (long) balanceFactor * (totalInFlight + 1) * u.weight();
        long denominator = 100L * totalWeight;
        return (numerator + denominator - 1) / denominator;
    }

    private int firstPointAtOrAfter(long key) {
        int lo = 0;
        int hi = points.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (Long.compareUnsigned(points[mid], key) < 0) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo == points.length ? 0 : lo;
    }

    /** A well-mixed 64-bit hash of a string: FNV-1a over UTF-8, then the SplitMix64 finaliser. */
    public static long hash(String s) {
        long h = 0xcbf29ce484222325L;
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            h = (h ^ (b & 0xff)) * 0x100000001b3L;
        }
        h = (h ^ (h >>> 30)) * 0xbf58476d1ce4e5b9L;
        h = (h ^ (h >>> 27)) * 0x94d049bb133111ebL;
        return h ^ (h >>> 31);
    }

    @Override
    public String toString() {
        return "ConsistentHash" + upstreams + (balanceFactor == 0 ? "" : ", bound " + balanceFactor + "%");
    }
}
