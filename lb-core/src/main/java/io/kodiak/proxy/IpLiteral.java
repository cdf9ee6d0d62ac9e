package io.kodiak.proxy;

/**
 * Reads an IP address literal from text a peer sent (a PROXY protocol v1 line, an
 * {@code X-Forwarded-For} entry) into its 4 or 16 bytes, strictly and without DNS:
 * {@link java.net.InetAddress#getByName} would look up anything that is not a literal, which a
 * client must never be able to make Kodiak do. IPv4 is four decimal numbers 0-255 without leading
 * zeros (the PROXY protocol's rule: {@code 010} could be read as octal); IPv6 is hex groups with at
 * most one {@code ::} and an optional dotted IPv4 tail, without a zone.
 *
 * <p>Stateless; any thread. Allocates only the result.
 */
final class IpLiteral {
    private IpLiteral() {
    }

    /** The address in {@code s[from, to)}, or {@code null} if it is not a literal as above. */
    static byte[] parse(CharSequence s, int from, int to) {
        for (int i = from; i < to; i++) {
            if (s.charAt(i) == ':') {
                return ipv6(s, from, to);
            }
        }
        byte[] b = new byte[4];
        return ipv4(s, from, to, b, 0) ? b : null;
    }

    static byte[] parse(CharSequence s) {
        return parse(s, 0, s.length());
    }

    /** Writes the dotted quad in {@code s[from, to)} at {@code out[at..at+3]}; false if it is not one. */
    private static boolean ipv4(CharSequence s, int from, int to, byte[] out, int at) {
        int p = from;
        for (int part = 0; part < 4; part++) {
            if (part > 0) {
                if (p >= to || s.charAt(p) != '.') {
                    return false;
                }
                p++;
            }
            int start = p;
            int v = 0;
            while (p < to && p - start < 3 && s.charAt(p) >= '0' && s.charAt(p) <= '9') {
                v = v * 10 + (s.charAt(p) - '0');
                p++;
            }
            int digits = p - start;
            if (digits == 0 || v > 255 || digits > 1 && s.charAt(start) == '0') {
                return false;
            }
            out[at + part] = (byte) v;
        }
        return p == to;
    }

    private static byte[] ipv6(CharSequence s, int from, int to) {
        byte[] b = new byte[16];
        int groups = 0; // 16-bit groups written
        int gap = -1; // where "::" stands, in groups
        int p = from;
        if (to - from >= 2 && s.charAt(p) == ':' && s.charAt(p + 1) == ':') {
            gap = 0;
            p += 2;
        } else if (p < to && s.charAt(p) == ':') {
            return null; // a single leading ':'
        }
        while (p < to) {
            if (groups == 8) {
                return null;
            }
            int start = p;
            int v = 0;
            while (p < to && p - start < 4 && hex(s.charAt(p)) >= 0) {
                v = v << 4 | hex(s.charAt(p));
                p++;
            }
            if (p < to && s.charAt(p) == '.') {
                // A dotted IPv4 tail: the last 32 bits.
                if (groups > 6 || !ipv4(s, start, to, b, groups * 2)) {
                    return null;
                }
                groups += 2;
                p = to;
                break;
            }
            if (p == start) {
                return null;
            }
            b[groups * 2] = (byte) (v >>> 8);
            b[groups * 2 + 1] = (byte) v;
            groups++;
            if (p == to) {
                break;
            }
            if (s.charAt(p) != ':') {
                return null;
            }
            p++;
            if (p < to && s.charAt(p) == ':') {
                if (gap >= 0) {
                    return null; // a second "::"
                }
                gap = groups;
                p++;
            } else if (p == to) {
                return null; // a single trailing ':'
            }
        }
        if (gap < 0) {
            return groups == 8 ? b : null;
        }
        if (groups == 8) {
            return null; // "::" must stand for at least one group
        }
        // Move the groups after the gap to the end.
        int tail = (groups - gap) * 2;
        System.arraycopy(b, gap * 2, b, 16 - tail, tail);
        java.util.Arrays.fill(b, gap * 2, 16 - tail, (byte) 0);
        return b;
    }

    private static int hex(char c) {
        return c < 0x80 ? io.kodiak.http.Chars.hexValue((byte) c) : -1;
    }

    /**
     * The address as Kodiak writes client addresses everywhere (logs, {@code X-Forwarded-For}):
     * the same text as {@link java.net.InetAddress#getHostAddress}, which is how the TCP peer's
     * address is written, so one client reads the same whichever way its address came.
     */
    static String text(byte[] address) {
        try {
            return java.net.InetAddress.getByAddress(address).getHostAddress(); // bytes only: no DNS
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException("not 4 or 16 bytes: " + address.length, e);
        }
    }
}
