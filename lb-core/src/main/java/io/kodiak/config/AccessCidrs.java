package io.kodiak.config;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A set of address ranges ({@link Cidr}s) that an access rule's {@code source} looks clients up
 * in: a few lines of config or a country's list of 100,000 networks from a file. Each range is
 * turned into its first and last address, the ranges are sorted and overlapping or adjacent ones
 * merged, so a lookup is one binary search for the last range starting at or below the address
 * (O(log n), no allocation), not a scan of the list. IPv4 ranges and IPv6 ranges are kept apart;
 * an IPv4-mapped client is looked up as IPv4 ({@link AccessAddress}).
 *
 * <p>Immutable and thread-safe. Equal when they hold the same addresses (however written), so a
 * reload that re-reads an unchanged file keeps the route as it was.
 */
public final class AccessCidrs {
    /** No addresses. */
    public static final AccessCidrs EMPTY = of(List.of());

    /** Merged IPv4 ranges: first and last address (unsigned 32-bit values), sorted. */
    private final long[] v4First;
    private final long[] v4Last;
    /** Merged IPv6 ranges: first and last address as high and low halves, sorted (unsigned). */
    private final long[] v6FirstHi;
    private final long[] v6FirstLo;
    private final long[] v6LastHi;
    private final long[] v6LastLo;
    /** How many ranges were given (before merging), for messages. */
    private final int given;

    private AccessCidrs(long[] v4First, long[] v4Last, long[] v6FirstHi, long[] v6FirstLo, long[] v6LastHi,
                        long[] v6LastLo, int given) {
        this.v4First = v4First;
        this.v4Last = v4Last;
        this.v6FirstHi = v6FirstHi;
        this.v6FirstLo = v6FirstLo;
        this.v6LastHi = v6LastHi;
        this.v6LastLo = v6LastLo;
        this.given = given;
    }

    /** The set of {@code cidrs}, in any order, overlapping or not. */
    public static AccessCidrs of(List<Cidr> cidrs) {
        Builder b = new Builder();
        for (Cidr c : cidrs) {
            b.add(AccessAddress.of(c.networkBytes()), c.bits());
        }
        return b.build();
    }

    /** Collects ranges (a file's lines) and builds the set once. Not thread-safe. */
    static final class Builder {
        /** IPv4 ranges packed as {@code first << 6 | bits}: sorting the longs sorts by first address, widest first. */
        private long[] v4 = new long[16];
        private int v4Count;
        private final List<long[]> v6 = new ArrayList<>();

        /** Adds the range of {@code bits} at {@code network} (its host bits zero, as {@link Cidr#parse} checks). */
        Builder add(AccessAddress network, int bits) {
            if (network.isV4()) {
                if (v4Count == v4.length) {
                    v4 = Arrays.copyOf(v4, v4.length * 2);
                }
                v4[v4Count++] = network.lo() << 6 | bits;
            } else {
                long hi = network.hi();
                long lo = network.lo();
                v6.add(new long[] {hi, lo, hi | hostHi(bits), lo | hostLo(bits)});
            }
            return this;
        }

        int size() {
            return v4Count + v6.size();
        }

        AccessCidrs build() {
            long[] packed = Arrays.copyOf(v4, v4Count);
            Arrays.sort(packed);
            long[] first = new long[packed.length];
            long[] last = new long[packed.length];
            int n = 0;
            for (long p : packed) {
                long f = p >>> 6;
                long l = f + (1L << (32 - (int) (p & 63))) - 1;
                if (n > 0 && f <= last[n - 1] + 1) {
                    last[n - 1] = Math.max(last[n - 1], l);
                } else {
                    first[n] = f;
                    last[n] = l;
                    n++;
                }
            }
            v6.sort((a, b) -> compare(a[0], a[1], b[0], b[1]));
            List<long[]> m6 = new ArrayList<>();
            for (long[] r : v6) {
                long[] prev = m6.isEmpty() ? null : m6.get(m6.size() - 1);
                if (prev != null && touches(prev[2], prev[3], r[0], r[1])) {
                    if (compare(r[2], r[3], prev[2], prev[3]) > 0) {
                        prev[2] = r[2];
                        prev[3] = r[3];
                    }
                } else {
                    m6.add(r.clone());
                }
            }
            return new AccessCidrs(Arrays.copyOf(first, n), Arrays.copyOf(last, n), column(m6, 0), column(m6, 1),
                    column(m6, 2), column(m6, 3), size());
        }
    }

    /** The host bits of an IPv6 /{@code bits} in the high half: what a range's last address sets. */
    static long hostHi(int bits) {
        return bits >= 64 ? 0 : -1L >>> bits;
    }

    /** The host bits of an IPv6 /{@code bits} in the low half. */
    static long hostLo(int bits) {
        return bits >= 128 ? 0 : bits <= 64 ? -1L : -1L >>> (bits - 64);
    }

    /** Whether a range starting at {@code first} overlaps or adjoins one ending at {@code last} (first >= the other's first). */
    private static boolean touches(long lastHi, long lastLo, long firstHi, long firstLo) {
        if (lastHi == -1L && lastLo == -1L) {
            return true; // the range ends at the last address: nothing starts after it
        }
        long nextLo = lastLo + 1;
        long nextHi = nextLo == 0 ? lastHi + 1 : lastHi;
        return compare(firstHi, firstLo, nextHi, nextLo) <= 0;
    }

    private static int compare(long aHi, long aLo, long bHi, long bLo) {
        int c = Long.compareUnsigned(aHi, bHi);
        return c != 0 ? c : Long.compareUnsigned(aLo, bLo);
    }

    private static long[] column(List<long[]> rows, int i) {
        long[] c = new long[rows.size()];
        for (int r = 0; r < c.length; r++) {
            c[r] = rows.get(r)[i];
        }
        return c;
    }

    /** Whether {@code a} is in one of the ranges; null (an unknown client) is in none. */
    public boolean contains(AccessAddress a) {
        if (a == null) {
            return false;
        }
        if (a.isV4()) {
            // The last range whose first address is at or below a: a is in it, or in none.
            int lo = 0;
            int hi = v4First.length - 1;
            int found = -1;
            while (lo <= hi) {
                int mid = (lo + hi) >>> 1;
                if (v4First[mid] <= a.lo()) {
                    found = mid;
                    lo = mid + 1;
                } else {
                    hi = mid - 1;
                }
            }
            return found >= 0 && a.lo() <= v4Last[found];
        }
        int lo = 0;
        int hi = v6FirstHi.length - 1;
        int found = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (compare(v6FirstHi[mid], v6FirstLo[mid], a.hi(), a.lo()) <= 0) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return found >= 0 && compare(a.hi(), a.lo(), v6LastHi[found], v6LastLo[found]) <= 0;
    }

    public boolean isEmpty() {
        return v4First.length == 0 && v6FirstHi.length == 0;
    }

    /** How many ranges were given (a file's lines with an address). */
    public int size() {
        return given;
    }

    /** How many ranges are left once overlapping and adjacent ones are merged. */
    public int mergedSize() {
        return v4First.length + v6FirstHi.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AccessCidrs c && Arrays.equals(c.v4First, v4First) && Arrays.equals(c.v4Last, v4Last)
                && Arrays.equals(c.v6FirstHi, v6FirstHi) && Arrays.equals(c.v6FirstLo, v6FirstLo)
                && Arrays.equals(c.v6LastHi, v6LastHi) && Arrays.equals(c.v6LastLo, v6LastLo);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(v4First) * 31 + Arrays.hashCode(v6FirstLo);
    }

    @Override
    public String toString() {
        return "AccessCidrs[" + given + " ranges, " + mergedSize() + " merged]";
    }
}
