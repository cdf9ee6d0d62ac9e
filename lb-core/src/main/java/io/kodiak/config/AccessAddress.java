package io.kodiak.config;

/**
 * A client address as the numbers {@link AccessCidrs} looks up: an IPv4 address as an unsigned
 * 32-bit value, an IPv6 address as two unsigned 64-bit halves. An IPv4-mapped IPv6 address
 * ({@code ::ffff:10.1.2.3}, what a dual-stack socket reports for an IPv4 client) is read as the
 * IPv4 address, as {@link Cidr#contains} reads it.
 *
 * <p>Parsed by hand from the text {@link io.kodiak.filter.RequestContext#clientAddress()} gives:
 * {@link java.net.InetAddress#getByName} would look up a name that is not a literal (a blocking
 * DNS query on a selector thread), and the text may come from a trusted {@code X-Forwarded-For}.
 * Accepts dotted quads, the full and {@code ::}-compressed IPv6 forms, a trailing dotted quad, a
 * {@code %zone} (dropped) and brackets; anything else is not an address ({@link #parse} is null).
 *
 * <p>Immutable; one per request that a rule with a source condition looks at.
 */
public final class AccessAddress {
    private final boolean v4;
    private final long hi;
    private final long lo;

    private AccessAddress(boolean v4, long hi, long lo) {
        this.v4 = v4;
        this.hi = hi;
        this.lo = lo;
    }

    /** An IPv4 address, {@code 0..2^32-1}. */
    public static AccessAddress ipv4(long value) {
        return new AccessAddress(true, 0, value & 0xffff_ffffL);
    }

    /** An IPv6 address from its two halves (an IPv4-mapped one becomes its IPv4 address). */
    public static AccessAddress ipv6(long hi, long lo) {
        if (hi == 0 && (lo >>> 32) == 0xffffL) {
            return ipv4(lo);
        }
        return new AccessAddress(false, hi, lo);
    }

    /** From 4 or 16 bytes, in network order. */
    static AccessAddress of(byte[] b) {
        if (b.length == 4) {
            return ipv4(toLong(b, 0, 4));
        }
        return ipv6(toLong(b, 0, 8), toLong(b, 8, 8));
    }

    private static long toLong(byte[] b, int from, int n) {
        long v = 0;
        for (int i = from; i < from + n; i++) {
            v = v << 8 | (b[i] & 0xff);
        }
        return v;
    }

    /** The address in {@code text}, or null when it is not an IPv4 or IPv6 literal. */
    public static AccessAddress parse(String text) {
        if (text == null) {
            return null;
        }
        int s = 0;
        int e = text.length();
        if (e > 1 && text.charAt(0) == '[' && text.charAt(e - 1) == ']') {
            s = 1;
            e--;
        }
        int zone = text.indexOf('%', s);
        if (zone >= 0 && zone < e) {
            e = zone;
        }
        if (text.indexOf(':', s) < 0 || text.indexOf(':', s) >= e) {
            long v = dottedQuad(text, s, e);
            return v < 0 || s != 0 ? null : ipv4(v);
        }
        return v6(text, s, e);
    }

    /** {@code a.b.c.d} in {@code [s, e)} as its value, or -1. */
    private static long dottedQuad(String t, int s, int e) {
        long v = 0;
        int parts = 0;
        int p = s;
        while (parts < 4) {
            int n = 0;
            int digits = 0;
            while (p < e && t.charAt(p) >= '0' && t.charAt(p) <= '9' && digits < 4) {
                n = n * 10 + (t.charAt(p) - '0');
                p++;
                digits++;
            }
            if (digits == 0 || digits > 3 || n > 255 || digits > 1 && t.charAt(p - digits) == '0') {
                return -1; // a leading zero is octal to some parsers: ambiguous, so no address
            }
            v = v << 8 | n;
            parts++;
            if (parts < 4) {
                if (p >= e || t.charAt(p) != '.') {
                    return -1;
                }
                p++;
            }
        }
        return p == e ? v : -1;
    }

    private static AccessAddress v6(String t, int s, int e) {
        int gap = t.indexOf("::", s);
        if (gap >= e - 1) {
            gap = -1;
        }
        if (gap >= 0 && t.indexOf("::", gap + 1) >= 0 && t.indexOf("::", gap + 1) < e - 1) {
            return null; // two "::"
        }
        long[] value = {0, 0};
        if (gap < 0) {
            return groups(t, s, e, 0, 8, true, value) == 8 ? ipv6(value[0], value[1]) : null;
        }
        int head = gap == s ? 0 : groups(t, s, gap, 0, 7, false, value);
        if (head < 0) {
            return null;
        }
        int tailCount = gap + 2 == e ? 0 : count(t, gap + 2, e);
        if (tailCount < 0 || head + tailCount > 7) {
            return null;
        }
        if (tailCount > 0 && groups(t, gap + 2, e, 8 - tailCount, 8, true, value) != 8) {
            return null;
        }
        return ipv6(value[0], value[1]);
    }

    /** How many 16-bit groups {@code [s, e)} holds (a final dotted quad is two), or -1. */
    private static int count(String t, int s, int e) {
        int n = 1;
        for (int i = s; i < e; i++) {
            if (t.charAt(i) == ':') {
                n++;
            }
        }
        return t.lastIndexOf('.', e - 1) >= s ? n + 1 : n;
    }

    /**
     * Reads the groups in {@code [s, e)} into {@code value} from group {@code first} on, at most up
     * to group {@code limit}; a final dotted quad only where {@code quad} allows it (at the address's end).
     *
     * @return the index after the last group read, or -1 if the text is not groups
     */
    private static int groups(String t, int s, int e, int first, int limit, boolean quad, long[] value) {
        int g = first;
        int p = s;
        while (true) {
            int end = p;
            while (end < e && t.charAt(end) != ':') {
                end++;
            }
            if (end == e && t.lastIndexOf('.', e - 1) >= p) {
                long v4 = dottedQuad(t, p, e); // the last 32 bits as a dotted quad
                if (!quad || v4 < 0 || g + 2 > limit) {
                    return -1;
                }
                put(value, g++, v4 >>> 16);
                put(value, g++, v4 & 0xffff);
                return g;
            }
            if (end == p || end - p > 4 || g >= limit) {
                return -1;
            }
            long group = 0;
            for (int i = p; i < end; i++) {
                int d = Character.digit(t.charAt(i), 16);
                if (d < 0) {
                    return -1;
                }
                group = group << 4 | d;
            }
            put(value, g++, group);
            if (end == e) {
                return g;
            }
            p = end + 1;
        }
    }

    private static void put(long[] value, int group, long bits) {
        if (group < 4) {
            value[0] |= bits << (16 * (3 - group));
        } else {
            value[1] |= bits << (16 * (7 - group));
        }
    }

    /** Whether it is an IPv4 address (or an IPv4-mapped IPv6 one). */
    public boolean isV4() {
        return v4;
    }

    /** The high 64 bits of an IPv6 address; 0 for IPv4. */
    public long hi() {
        return hi;
    }

    /** The low 64 bits of an IPv6 address, or the IPv4 address. */
    public long lo() {
        return lo;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AccessAddress a && a.v4 == v4 && a.hi == hi && a.lo == lo;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(hi * 31 + lo) ^ (v4 ? 1 : 0);
    }

    @Override
    public String toString() {
        if (v4) {
            return (lo >>> 24) + "." + (lo >>> 16 & 0xff) + "." + (lo >>> 8 & 0xff) + "." + (lo & 0xff);
        }
        StringBuilder b = new StringBuilder();
        for (int g = 0; g < 8; g++) {
            long half = g < 4 ? hi : lo;
            b.append(g == 0 ? "" : ":").append(Long.toHexString(half >>> (16 * (3 - g % 4)) & 0xffff));
        }
        return b.toString();
    }
}
