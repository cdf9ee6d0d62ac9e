package io.kodiak.proxy;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The PROXY protocol header as haproxy's doc/proxy-protocol.txt defines it, byte by byte: both
 * versions, every family, TLVs, a header cut anywhere (more bytes are waited for), and what must
 * be refused (garbage, a bare CR or LF, leading zeros, too long, unknown version, command or family).
 */
class ProxyProtocolHeaderTest {
    static final byte[] SIG = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static ProxyProtocolHeader.Parsed parse(byte[] b) throws ProxyProtocolHeader.Invalid {
        return ProxyProtocolHeader.parse(b, b.length);
    }

    private static String invalid(byte[] b) {
        return assertThrows(ProxyProtocolHeader.Invalid.class, () -> parse(b)).getMessage();
    }

    /** A v2 header: version/command byte, family byte, then the block. */
    static byte[] v2(int verCmd, int family, byte[] block) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(SIG);
        out.write(verCmd);
        out.write(family);
        out.write(block.length >> 8);
        out.write(block.length & 0xFF);
        out.writeBytes(block);
        return out.toByteArray();
    }

    /** The address block of TCP over IPv4 or IPv6, then {@code tlvs}. */
    static byte[] block(String src, String dst, int srcPort, int dstPort, byte[] tlvs) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(InetAddress.getByName(src).getAddress());
        out.writeBytes(InetAddress.getByName(dst).getAddress());
        out.write(srcPort >> 8);
        out.write(srcPort & 0xFF);
        out.write(dstPort >> 8);
        out.write(dstPort & 0xFF);
        out.writeBytes(tlvs);
        return out.toByteArray();
    }

    static byte[] tlv(int type, byte[] value) {
        byte[] t = new byte[3 + value.length];
        t[0] = (byte) type;
        t[1] = (byte) (value.length >> 8);
        t[2] = (byte) value.length;
        System.arraycopy(value, 0, t, 3, value.length);
        return t;
    }

    @Test
    void v1Tcp4GivesTheSourceAddressAndPortAndItsLength() throws Exception {
        byte[] line = ascii("PROXY TCP4 192.0.2.7 198.51.100.1 56324 443\r\nGET / HTTP/1.1\r\n");
        ProxyProtocolHeader.Parsed h = parse(line);
        assertEquals(1, h.version());
        assertArrayEquals(new byte[] {(byte) 192, 0, 2, 7}, h.source());
        assertEquals(56324, h.port());
        assertEquals("PROXY TCP4 192.0.2.7 198.51.100.1 56324 443\r\n".length(), h.length());
    }

    @Test
    void v1Tcp6AndTheLongestLinesAreRead() throws Exception {
        ProxyProtocolHeader.Parsed h = parse(ascii("PROXY TCP6 2001:db8::1 ::1 0 65535\r\n"));
        assertArrayEquals(InetAddress.getByName("2001:db8::1").getAddress(), h.source());
        assertEquals(0, h.port());
        String full = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff";
        String longest = "PROXY UNKNOWN " + full + " " + full + " 65535 65535\r\n";
        assertEquals(ProxyProtocolHeader.MAX_V1, longest.length());
        assertNull(parse(ascii(longest)).source());
        assertEquals(104, parse(ascii("PROXY TCP6 " + full + " " + full + " 65535 65535\r\n")).length());
    }

    @Test
    void v1UnknownKeepsThePeerWhateverFollowsIt() throws Exception {
        ProxyProtocolHeader.Parsed h = parse(ascii("PROXY UNKNOWN\r\nGET"));
        assertNull(h.source());
        assertEquals(15, h.length());
        assertNull(parse(ascii("PROXY UNKNOWN anything at all\r\n")).source());
    }

    @Test
    void aHeaderCutAnywhereWaitsForMore() throws Exception {
        byte[] v1 = ascii("PROXY TCP4 192.0.2.7 198.51.100.1 56324 443\r\n");
        byte[] v2 = v2(0x21, 0x11, block("192.0.2.7", "198.51.100.1", 56324, 443, tlv(0x04, new byte[8])));
        for (byte[] whole : new byte[][] {v1, v2}) {
            for (int n = 0; n < whole.length; n++) {
                assertNull(ProxyProtocolHeader.parse(Arrays.copyOf(whole, n), n), "cut at " + n);
            }
            assertEquals(whole.length, parse(whole).length());
        }
    }

    @Test
    void v1RefusesWhatTheSpecRefuses() {
        assertTrue(invalid(ascii("GET / HTTP/1.1\r\n")).contains("no PROXY protocol header"));
        assertTrue(invalid(ascii("PROXX")).contains("no PROXY"));
        assertTrue(invalid(ascii("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n")).contains("bare LF"));
        assertTrue(invalid(ascii("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rx")).contains("bare CR"));
        assertTrue(invalid(ascii("PROXY " + "x".repeat(120))).contains("longer than 107"));
        // 108 bytes with its CRLF: one over the spec's 107. Refused, and as soon as the 106th
        // byte is not a CR, since no CRLF can then end the line within 107 bytes.
        String over = "PROXY UNKNOWN " + "x".repeat(92) + "\r\n";
        assertEquals(ProxyProtocolHeader.MAX_V1 + 1, over.length());
        assertTrue(invalid(ascii(over)).contains("longer than 107"));
        assertTrue(invalid(Arrays.copyOf(ascii(over), 106)).contains("longer than 107"));
        invalid(ascii("PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n"));
        invalid(ascii("PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n"));
        invalid(ascii("PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n")); // two spaces
        invalid(ascii("PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n")); // a leading zero
        invalid(ascii("PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n"));
        invalid(ascii("PROXY TCP4 1.2.3.4 5.6.7.8 1 65536\r\n"));
        invalid(ascii("PROXY TCP4 1.2.3.256 5.6.7.8 1 2\r\n"));
        invalid(ascii("PROXY TCP4 ::1 ::1 1 2\r\n")); // the family says IPv4
        invalid(ascii("PROXY TCP6 1.2.3.4 5.6.7.8 1 2\r\n"));
        invalid(ascii("PROXY TCP4 localhost 5.6.7.8 1 2\r\n")); // never a name, never DNS
    }

    @Test
    void v2ProxyOverIpv4AndIpv6GivesTheSource() throws Exception {
        ProxyProtocolHeader.Parsed h = parse(v2(0x21, 0x11, block("192.0.2.7", "198.51.100.1", 40000, 80, new byte[0])));
        assertEquals(2, h.version());
        assertArrayEquals(new byte[] {(byte) 192, 0, 2, 7}, h.source());
        assertEquals(40000, h.port());
        assertEquals(28, h.length());
        h = parse(v2(0x21, 0x21, block("2001:db8::7", "2001:db8::1", 1, 443, new byte[0])));
        assertArrayEquals(InetAddress.getByName("2001:db8::7").getAddress(), h.source());
        assertEquals(52, h.length());
        h = parse(v2(0x21, 0x12, block("192.0.2.9", "198.51.100.1", 53, 53, new byte[0]))); // UDP: an address all the same
        assertArrayEquals(new byte[] {(byte) 192, 0, 2, 9}, h.source());
    }

    @Test
    void v2LocalUnspecAndUnixKeepThePeerAndSkipTheirBlock() throws Exception {
        byte[] withAddresses = block("192.0.2.7", "198.51.100.1", 1, 2, new byte[0]);
        ProxyProtocolHeader.Parsed local = parse(v2(0x20, 0x11, withAddresses)); // a health check: the block is skipped
        assertNull(local.source());
        assertEquals(16 + withAddresses.length, local.length());
        assertNull(parse(v2(0x20, 0x00, new byte[0])).source());
        assertNull(parse(v2(0x21, 0x00, new byte[5])).source());
        ProxyProtocolHeader.Parsed unix = parse(v2(0x21, 0x31, new byte[216]));
        assertNull(unix.source());
        assertEquals(232, unix.length());
    }

    @Test
    void v2LocalIsAcceptedWhateverItsFamilySays() throws Exception {
        // Spec 2.2: with LOCAL the receiver "must accept this connection as valid and must use the
        // real connection endpoints and discard the protocol block including the family which is ignored".
        for (int family : new int[] {0x55, 0x41, 0x13, 0xFF}) {
            ProxyProtocolHeader.Parsed h = parse(v2(0x20, family, new byte[7]));
            assertNull(h.source(), "family 0x" + Integer.toHexString(family));
            assertEquals(23, h.length());
            assertNull(ProxyProtocolHeader.parse(Arrays.copyOf(v2(0x20, family, new byte[7]), 20), 20)); // waits for the block
        }
        // A LOCAL header's block is still bounded.
        byte[] big = v2(0x20, 0x55, new byte[ProxyProtocolHeader.MAX_V2_BLOCK + 1]);
        assertTrue(invalid(Arrays.copyOf(big, 16)).contains("over " + ProxyProtocolHeader.MAX_V2_BLOCK));
    }

    @Test
    void v2TlvsAreSkippedWhenTheyFillTheBlockAndRefusedWhenTheyOverrun() throws Exception {
        byte[] tlvs = concat(tlv(0x01, ascii("h2")), tlv(0x02, ascii("example.com")), tlv(0xEA, new byte[40]));
        ProxyProtocolHeader.Parsed h = parse(v2(0x21, 0x11, block("192.0.2.7", "198.51.100.1", 1, 2, tlvs)));
        assertArrayEquals(new byte[] {(byte) 192, 0, 2, 7}, h.source());
        assertEquals(16 + 12 + tlvs.length, h.length());
        byte[] overrun = tlv(0x02, ascii("example.com"));
        overrun[2] = 20; // says 20 bytes, has 11
        assertTrue(invalid(v2(0x21, 0x11, block("192.0.2.7", "198.51.100.1", 1, 2, overrun))).contains("TLV"));
        assertTrue(invalid(v2(0x21, 0x11, block("192.0.2.7", "198.51.100.1", 1, 2, new byte[] {1, 0}))).contains("TLV"));
    }

    @Test
    void v2RefusesWhatTheSpecRefusesAndWhatIsTooLong() throws Exception {
        byte[] addresses = block("192.0.2.7", "198.51.100.1", 1, 2, new byte[0]);
        assertTrue(invalid(v2(0x11, 0x11, addresses)).contains("version 1"));
        assertTrue(invalid(Arrays.copyOf(v2(0x31, 0x11, addresses), 13)).contains("version 3")); // seen at the 13th byte
        assertTrue(invalid(v2(0x22, 0x11, addresses)).contains("command 2"));
        assertTrue(invalid(v2(0x21, 0x41, addresses)).contains("0x41"));
        assertTrue(invalid(v2(0x21, 0x13, addresses)).contains("0x13"));
        assertTrue(invalid(v2(0x21, 0x21, addresses)).contains("short of the 36"));
        byte[] big = v2(0x21, 0x11, new byte[ProxyProtocolHeader.MAX_V2_BLOCK + 1]);
        assertTrue(invalid(Arrays.copyOf(big, 16)).contains("over " + ProxyProtocolHeader.MAX_V2_BLOCK)); // refused before it arrives
        assertEquals(16 + ProxyProtocolHeader.MAX_V2_BLOCK,
                parse(v2(0x21, 0x11, block("192.0.2.7", "198.51.100.1", 1, 2,
                        tlv(0x04, new byte[ProxyProtocolHeader.MAX_V2_BLOCK - 12 - 3])))).length());
        byte[] badSig = v2(0x21, 0x11, addresses);
        badSig[6] = 0x0B;
        invalid(badSig);
        assertTrue(invalid(new byte[] {0x16, 0x03, 0x01}).contains("no PROXY")); // a TLS ClientHello
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}
