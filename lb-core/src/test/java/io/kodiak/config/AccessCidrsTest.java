package io.kodiak.config;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The address parser against the JDK's, and the range lookup against {@link Cidr#contains} (a
 * linear scan, the obvious truth) on a seeded random list of 100,000 ranges.
 */
class AccessCidrsTest {
    private static AccessCidrs set(String... cidrs) {
        List<Cidr> list = new ArrayList<>();
        for (String c : cidrs) {
            list.add(Cidr.parse(c));
        }
        return AccessCidrs.of(list);
    }

    private static AccessAddress ip(String text) {
        AccessAddress a = AccessAddress.parse(text);
        if (a == null) {
            throw new AssertionError("not parsed: " + text);
        }
        return a;
    }

    @Test
    void addressesParseAsTheJdkReadsThem() throws Exception {
        for (String t : List.of("0.0.0.0", "127.0.0.1", "255.255.255.255", "10.1.2.3", "::", "::1", "1::",
                "2001:db8::8a2e:370:7334", "2001:0db8:0000:0000:0000:8a2e:0370:7334", "0:0:0:0:0:0:0:1",
                "fe80::1:2:3:4", "1:2:3:4:5:6:7:8", "1::8", "1:2:3:4:5:6::8", "::2:3:4:5:6:7:8", "::ffff:10.1.2.3",
                "64:ff9b::192.0.2.33", "FFFF:ffff:FFFF:ffff:ffff:ffff:ffff:ffff")) {
            assertEquals(AccessAddress.of(InetAddress.getByName(t).getAddress()), ip(t), t);
        }
        assertEquals(ip("10.1.2.3"), ip("::ffff:10.1.2.3"), "an IPv4-mapped client is its IPv4 address");
        assertTrue(ip("::ffff:a01:203").isV4());
        assertEquals(ip("fe80::1"), ip("fe80::1%eth0"), "the zone is dropped");
        assertEquals(ip("::1"), ip("[::1]"));
        assertEquals("2001:db8:0:0:0:0:0:1", ip("2001:db8::1").toString());
        assertEquals("10.1.2.3", ip("::ffff:10.1.2.3").toString());
    }

    @Test
    void whatIsNoAddressIsNull() {
        for (String t : List.of("", "localhost", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.4 ", " 1.2.3.4", "01234.1.1.1",
                "1.2.3.-1", ":", ":::", "1:::2", "1::2::3", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7::8",
                "12345::", "g::", "1::2:", ":1::2", "1.2.3.4::", "::1.2.3", "[1.2.3.4]", "1:2:3:4:5:6:7:1.2.3.4")) {
            assertNull(AccessAddress.parse(t), t);
        }
        assertNull(AccessAddress.parse(null));
    }

    /** A file's quick reading takes what {@link Cidr#parse} takes, the same way, and leaves it the rest. */
    @Test
    void aFileReadsAsTheSameLinesWrittenInARule(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        List<String> good = List.of("10.0.0.0/8", "192.168.1.7", "0.0.0.0/0", "255.255.255.255/32", "2001:db8::/32", "::1",
                "::/0", "fe80::/10", "2001:db8:0:0:0:0:0:1/128", "1:2:3:4:5:6:7:8", "64:ff9b::192.0.2.0/120", "10.1.2.0/23",
                "2001:db8::8000:0/97");
        java.nio.file.Path f = dir.resolve("list.txt");
        java.nio.file.Files.write(f, good);
        assertEquals(set(good.toArray(new String[0])), AccessSourceFile.read(f).cidrs());
        for (String bad : List.of("10.0.0.1/8", "10.0.0.0/33", "10.0.0.0/", "10.0.0.0/-1", "::ffff:10.0.0.1",
                "fe80::1%eth0", "[::1]", "2001:db8::1/64", "::/129", "1.2.3.4/0x8", "example.com", "10.0.0.0 /8")) {
            java.nio.file.Files.writeString(f, bad + "\n");
            String cidr;
            try {
                Cidr.parse(bad);
                cidr = "accepted";
            } catch (IllegalArgumentException e) {
                cidr = e.getMessage();
            }
            AccessSourceFile.BadLine e = org.junit.jupiter.api.Assertions.assertThrows(AccessSourceFile.BadLine.class,
                    () -> AccessSourceFile.read(f), bad);
            assertEquals(f + ":1: " + cidr, e.getMessage());
        }
        assertNull(AccessAddress.parse("010.0.0.1"), "a leading zero is octal to some: no address");
    }

    @Test
    void rangesMatchTheirAddressesOnly() {
        AccessCidrs s = set("10.0.0.0/8", "192.168.1.7", "2001:db8::/32", "::1/128", "172.16.0.0/12");
        assertTrue(s.contains(ip("10.0.0.0")));
        assertTrue(s.contains(ip("10.255.255.255")));
        assertFalse(s.contains(ip("11.0.0.0")));
        assertFalse(s.contains(ip("9.255.255.255")));
        assertTrue(s.contains(ip("192.168.1.7")));
        assertFalse(s.contains(ip("192.168.1.8")));
        assertTrue(s.contains(ip("172.31.255.255")));
        assertFalse(s.contains(ip("172.32.0.0")));
        assertTrue(s.contains(ip("2001:db8:ffff::1")));
        assertFalse(s.contains(ip("2001:db9::")));
        assertTrue(s.contains(ip("::1")));
        assertFalse(s.contains(ip("::2")));
        assertTrue(s.contains(ip("::ffff:10.9.9.9")), "a mapped client is looked up as IPv4");
        assertFalse(s.contains(null), "an unknown client is in no range");
        assertFalse(AccessCidrs.EMPTY.contains(ip("10.0.0.1")));
    }

    @Test
    void wholeSpacesAndTheirEdges() {
        AccessCidrs all = set("0.0.0.0/0", "::/0");
        assertTrue(all.contains(ip("0.0.0.0")));
        assertTrue(all.contains(ip("255.255.255.255")));
        assertTrue(all.contains(ip("::")));
        assertTrue(all.contains(ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")));
        AccessCidrs top = set("ffff:ffff:ffff:ffff::/64", "8000::/1", "255.255.255.255/32");
        assertEquals(2, top.mergedSize(), "the /64 lies inside the /1: merged (and one IPv4)");
        assertTrue(top.contains(ip("8000::")));
        assertFalse(top.contains(ip("7fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")));
        assertTrue(top.contains(ip("255.255.255.255")));
        AccessCidrs halves = set("::/65", "0:0:0:0:8000::/65");
        assertEquals(1, halves.mergedSize(), "adjacent ranges across the 64-bit boundary merge");
        assertTrue(halves.contains(ip("0:0:0:0:ffff:ffff:ffff:ffff")));
        assertTrue(halves.contains(ip("0:0:0:0:7fff:ffff:ffff:ffff")));
        assertFalse(halves.contains(ip("0:0:0:1::")));
    }

    @Test
    void equalWhenTheyHoldTheSameAddresses() {
        assertEquals(set("10.0.0.0/9", "10.128.0.0/9"), set("10.0.0.0/8"));
        assertEquals(set("10.0.0.0/8", "10.1.0.0/16"), set("10.0.0.0/8"));
        assertNotEquals(set("10.0.0.0/8"), set("11.0.0.0/8"));
        assertEquals(2, set("10.0.0.0/9", "10.128.0.0/9").size());
        assertEquals(1, set("10.0.0.0/9", "10.128.0.0/9").mergedSize());
    }

    /** A country-sized list: every lookup agrees with a scan of the list, and takes no scan. */
    @Test
    void aHundredThousandRangesAgreeWithALinearScan() {
        Random rnd = new Random(12345L);
        List<Cidr> cidrs = new ArrayList<>();
        for (int i = 0; i < 100_000; i++) {
            if (i % 10 == 0) {
                long hi = 0x2001_0db8_0000_0000L | (rnd.nextLong() & 0xffff_ffffL) << 0;
                int bits = 40 + rnd.nextInt(25);
                cidrs.add(Cidr.parse(v6(hi & (bits >= 64 ? -1L : -1L << (64 - bits))) + "/" + bits));
            } else {
                int bits = 16 + rnd.nextInt(17);
                long a = rnd.nextInt() & 0xffff_ffffL & (-1L << (32 - bits));
                cidrs.add(Cidr.parse(v4(a) + "/" + bits));
            }
        }
        AccessCidrs set = AccessCidrs.of(cidrs);
        assertEquals(100_000, set.size());
        int in = 0;
        for (int i = 0; i < 500; i++) {
            byte[] probe;
            if (i % 4 == 0) {
                probe = cidrs.get(rnd.nextInt(cidrs.size())).networkBytes(); // surely in
            } else if (i % 4 == 1) {
                probe = new byte[16];
                rnd.nextBytes(probe);
                probe[0] = 0x20;
                probe[1] = 0x01;
                probe[2] = 0x0d;
                probe[3] = (byte) 0xb8;
            } else {
                probe = new byte[4];
                rnd.nextBytes(probe);
            }
            boolean scan = false;
            for (Cidr c : cidrs) {
                if (c.contains(probe)) {
                    scan = true;
                    break;
                }
            }
            assertEquals(scan, set.contains(AccessAddress.of(probe)), () -> java.util.Arrays.toString(probe));
            in += scan ? 1 : 0;
        }
        assertTrue(in > 120 && in < 495, "probes both in and out: " + in);
    }

    private static String v4(long a) {
        return (a >>> 24) + "." + (a >>> 16 & 0xff) + "." + (a >>> 8 & 0xff) + "." + (a & 0xff);
    }

    private static String v6(long hi) {
        StringBuilder b = new StringBuilder();
        for (int g = 0; g < 4; g++) {
            b.append(Long.toHexString(hi >>> (16 * (3 - g)) & 0xffff)).append(':');
        }
        return b.append(':').toString();
    }
}
