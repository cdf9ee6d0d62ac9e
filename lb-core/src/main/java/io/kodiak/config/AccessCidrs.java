package io.kodiak.config;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
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
        List<long[]> v4 = new ArrayList<>();
        List<long[]> v6 = new ArrayList<>();
        for (Cidr c : cidrs) {
            byte[] n = c.networkBytes();
            if (n.length == 4) {
                long first = AccessAddress.of(n).lo();
                long size = 1L << (32 - c.bits());
                v4.add(new long[] {first, first + size - 1});
            } else {
                long hi = toLong(n, 0);
                long lo = toLong(n, 8);
                long hiHost = c.bits() >= 64 ? 0 : (c.bits() == 0 ? -1L : -1L >>> c.bits());
                long loHost = c.bits() >= 128 ? 0 : (c.bits() <= 64 ? -1L : -1L >>> (c.bits() - 64));
                v6.add(new long[] {hi, lo, hi | hiHost, lo | loHost});
            }
        }
        v4.sort(Comparator.comparingLong(r -> r[0]));
        List<long[]> m4 = new ArrayList<>();
        for (long[] r : v4) {
            long[] last = m4.isEmpty() ? null : m4.get(m4.size() - 1);
            if (last != null && r[0] <= last[1] + 1) {
                last[1] = Math.max(last[1], r[1]);
            } else {
                m4.add(r.clone());
            }
        }
        v6.sort((a, b) -> compare(a[0], a[1], b[0], b[1]));
        List<long[]> m6 = new ArrayList<>();
        for (long[] r : v6) {
            long[] last = m6.isEmpty() ? null : m6.get(m6.size() - 1);
            if (last != null && touches(last[2], last[3], r[0], r[1])) {
                if (compare(r[2], r[3], last[2], last[3]) > 0) {
                    last[2] = r[2];
                    last[3] = r[3];
                }
            } else {
                m6.add(r.clone());
            }
        }
        return new AccessCidrs(column(m4, 0), column(m4, 1), column(m6, 0), column(m6, 1), column(m6, 2),
                column(m6, 3), cidrs.size());
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

    private static long toLong(byte[] b, int from) {
        long v = 0;
        for (int i = from; i < from + 8; i++) {
            v = v << 8 | (b[i] & 0xff);
        }
        return v;
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
