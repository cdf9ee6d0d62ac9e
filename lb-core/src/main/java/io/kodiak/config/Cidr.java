package io.kodiak.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/**
 * A client address range for a route's {@code source} (HAProxy's {@code src}, nginx's
 * {@code allow}): {@code 10.0.0.0/8}, {@code ::1/128}, or a bare address ({@code /32},
 * {@code /128}). Parsed once into the network's bytes and a prefix length, so matching a client
 * compares bytes without allocating. An IPv4 range also matches an IPv4-mapped IPv6 client
 * ({@code ::ffff:10.1.2.3}).
 *
 * <p>Immutable and thread-safe.
 */
public final class Cidr {
    private final byte[] network;
    private final int bits;

    private Cidr(byte[] network, int bits) {
        this.network = network;
        this.bits = bits;
    }

    /** @throws IllegalArgumentException naming what is wrong, without DNS */
    public static Cidr parse(String text) {
        int slash = text.indexOf('/');
        String address = slash < 0 ? text : text.substring(0, slash);
        byte[] bytes;
        if (address.indexOf(':') >= 0) {
            if (address.indexOf('%') >= 0 || !address.matches("[0-9A-Fa-f:.]+")) {
                throw new IllegalArgumentException(Values.quote(text) + " is not an IPv6 address or range");
            }
            bytes = literal(text, address);
        } else if (Values.isIpv4Literal(address)) {
            bytes = literal(text, address);
        } else {
            throw new IllegalArgumentException(Values.quote(text)
                    + " is not an address or range (such as 10.0.0.0/8, 192.168.1.7, ::1/128)");
        }
        int max = bytes.length * 8;
        int bits = max;
        if (slash >= 0) {
            String n = text.substring(slash + 1);
            if (!n.matches("[0-9]{1,3}") || Integer.parseInt(n) > max) {
                throw new IllegalArgumentException(Values.quote(text) + " has a bad prefix length (0-" + max + ")");
            }
            bits = Integer.parseInt(n);
        }
        for (int i = bits; i < max; i++) {
            if ((bytes[i / 8] & (0x80 >>> (i % 8))) != 0) {
                throw new IllegalArgumentException(Values.quote(text) + " has bits set after its /" + bits
                        + " prefix: write " + new Cidr(mask(bytes, bits), bits));
            }
        }
        return new Cidr(bytes, bits);
    }

    private static byte[] literal(String text, String address) {
        try {
            byte[] b = InetAddress.getByName(address).getAddress(); // a literal: no DNS
            if (b.length == 4 && address.indexOf(':') >= 0) {
                // Java reads ::ffff:a.b.c.d as IPv4; say it in IPv4 so the range means what it reads.
                throw new IllegalArgumentException(Values.quote(text) + " is an IPv4-mapped address: write it as IPv4");
            }
            return b;
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(Values.quote(text) + " is not a valid address", e);
        }
    }

    private static byte[] mask(byte[] bytes, int bits) {
        byte[] m = bytes.clone();
        for (int i = bits; i < m.length * 8; i++) {
            m[i / 8] &= (byte) ~(0x80 >>> (i % 8));
        }
        return m;
    }

    /** Whether the client address {@code addr} (4 or 16 bytes) is in this range. */
    public boolean contains(byte[] addr) {
        int offset = 0;
        if (addr.length != network.length) {
            if (network.length == 4 && addr.length == 16 && isMappedV4(addr)) {
                offset = 12;
            } else {
                return false;
            }
        }
        int full = bits / 8;
        for (int i = 0; i < full; i++) {
            if (addr[offset + i] != network[i]) {
                return false;
            }
        }
        int rest = bits % 8;
        if (rest == 0) {
            return true;
        }
        int m = (0xff << (8 - rest)) & 0xff;
        return (addr[offset + full] & m) == (network[full] & m);
    }

    private static boolean isMappedV4(byte[] a) {
        for (int i = 0; i < 10; i++) {
            if (a[i] != 0) {
                return false;
            }
        }
        return a[10] == (byte) 0xff && a[11] == (byte) 0xff;
    }

    /** The network's bytes (4 or 16), a copy: what {@link AccessCidrs} turns into a range. */
    byte[] networkBytes() {
        return network.clone();
    }

    /** The prefix length. */
    int bits() {
        return bits;
    }

    /** Whether every address in {@code other} is in this range. */
    boolean covers(Cidr other) {
        return other.network.length == network.length && other.bits >= bits && contains(other.network);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Cidr c && c.bits == bits && Arrays.equals(c.network, network);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(network) * 31 + bits;
    }

    @Override
    public String toString() {
        try {
            return InetAddress.getByAddress(network).getHostAddress() + "/" + bits;
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
