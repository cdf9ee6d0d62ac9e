package io.kodiak.proxy;

import java.nio.charset.StandardCharsets;

/**
 * A PROXY protocol header (haproxy/haproxy {@code doc/proxy-protocol.txt}), version 1 (a text
 * line) or 2 (binary), told apart by their first bytes as the spec says, read from the first bytes
 * of a connection. Only what Kodiak uses is kept: the header's length, and the client's address
 * and port when the header carries one; {@code UNKNOWN} (v1), {@code LOCAL} (v2, a proxy's own
 * health check, whatever family it names) and families without an IP address (v2 {@code UNSPEC},
 * {@code AF_UNIX}) keep the TCP peer, as the spec asks.
 *
 * <p>Bounds: a v1 line is at most 107 bytes with its CRLF (the spec's worst case); a v2 header at
 * most 16 + {@link #MAX_V2_BLOCK} bytes, which holds the largest address block (216 bytes,
 * {@code AF_UNIX}) and the TLVs senders add (AWS's VPC endpoint ID, HAProxy's ALPN, authority and
 * SSL details); a longer one is refused rather than waited for. Anything that does not match the
 * spec exactly is refused, as the spec asks: a wrong byte is seen as soon as it arrives, so a
 * client speaking HTTP or TLS to the port is refused at its first byte.
 *
 * <p>Stateless; any thread.
 */
final class ProxyProtocolHeader {
    /** The longest v1 line, CRLF included. */
    static final int MAX_V1 = 107;
    /** The most bytes of address block and TLVs a v2 header may announce. */
    static final int MAX_V2_BLOCK = 2048;
    /** The most bytes a header can take: what is worth holding while one arrives. */
    static final int MAX_LENGTH = 16 + MAX_V2_BLOCK;

    private static final byte[] V1_PREFIX = "PROXY ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] V2_SIGNATURE = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

    /** The header could not be read: the connection is refused. */
    static final class Invalid extends Exception {
        Invalid(String message) {
            super(message, null, false, false); // an expected event on a hostile port: no stack
        }
    }

    /**
     * A complete header.
     *
     * @param length  its bytes, to skip: what follows is the client's
     * @param version 1 or 2
     * @param source  the client's address (4 or 16 bytes), or null to keep the TCP peer
     * @param port    the client's port (when {@code source} is given)
     */
    record Parsed(int length, int version, byte[] source, int port) {
    }

    private ProxyProtocolHeader() {
    }

    /**
     * Reads a header from {@code b[0, n)}, the first bytes of a connection.
     *
     * @return the header, or null if {@code b} is a correct beginning of one that needs more bytes
     * @throws Invalid if it is not (and will never become) a header
     */
    static Parsed parse(byte[] b, int n) throws Invalid {
        if (n == 0) {
            return null;
        }
        if (b[0] == 'P') {
            return v1(b, n);
        }
        if (b[0] == 0x0D) {
            return v2(b, n);
        }
        throw new Invalid("no PROXY protocol header");
    }

    private static void prefix(byte[] b, int n, byte[] expected, String what) throws Invalid {
        for (int i = 0; i < Math.min(n, expected.length); i++) {
            if (b[i] != expected[i]) {
                throw new Invalid(what);
            }
        }
    }

    // ------------------------------------------------------------------ version 1

    private static Parsed v1(byte[] b, int n) throws Invalid {
        prefix(b, n, V1_PREFIX, "no PROXY protocol header");
        int end = -1;
        // The CR can be at most at MAX_V1 - 2: its LF is then the line's 107th and last byte.
        for (int i = 0; i < Math.min(n, MAX_V1 - 1); i++) {
            if (b[i] == '\n') {
                throw new Invalid("v1 line ends with a bare LF");
            }
            if (b[i] == '\r') {
                if (i + 1 == n) {
                    return null;
                }
                if (b[i + 1] != '\n') {
                    throw new Invalid("v1 line ends with a bare CR");
                }
                end = i;
                break;
            }
        }
        if (end < 0) {
            if (n >= MAX_V1 - 1) {
                throw new Invalid("v1 line longer than " + MAX_V1 + " bytes");
            }
            return null;
        }
        String line = new String(b, V1_PREFIX.length, end - V1_PREFIX.length, StandardCharsets.ISO_8859_1);
        int length = end + 2;
        if (line.equals("UNKNOWN") || line.startsWith("UNKNOWN ")) {
            return new Parsed(length, 1, null, 0); // the rest of an UNKNOWN line is to be ignored
        }
        String[] f = line.split(" ", -1);
        if (f.length != 5 || !f[0].equals("TCP4") && !f[0].equals("TCP6")) {
            throw new Invalid("v1 line is not TCP4, TCP6 or UNKNOWN with four fields: " + printable(line));
        }
        int size = f[0].equals("TCP4") ? 4 : 16;
        byte[] source = IpLiteral.parse(f[1]);
        byte[] destination = IpLiteral.parse(f[2]);
        if (source == null || destination == null || source.length != size || destination.length != size
                || size == 4 && (f[1].indexOf(':') >= 0 || f[2].indexOf(':') >= 0)) {
            throw new Invalid("v1 addresses are not " + f[0] + ": " + printable(line));
        }
        int port = port(f[3]);
        port(f[4]);
        return new Parsed(length, 1, source, port);
    }

    private static int port(String s) throws Invalid {
        if (s.isEmpty() || s.length() > 5 || s.length() > 1 && s.charAt(0) == '0') {
            throw new Invalid("v1 port " + printable(s) + " is not 0-65535 without leading zeros");
        }
        int v = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                throw new Invalid("v1 port " + printable(s) + " is not a number");
            }
            v = v * 10 + c - '0';
        }
        if (v > 65535) {
            throw new Invalid("v1 port " + v + " is over 65535");
        }
        return v;
    }

    /** The peer's text for a log line: printable ASCII only, and not too much of it. */
    private static String printable(String s) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < Math.min(s.length(), 60); i++) {
            char c = s.charAt(i);
            out.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        return out.toString();
    }

    // ------------------------------------------------------------------ version 2

    private static Parsed v2(byte[] b, int n) throws Invalid {
        prefix(b, n, V2_SIGNATURE, "no PROXY protocol header");
        if (n < 16) {
            if (n > 12 && (b[12] & 0xF0) != 0x20) {
                throw new Invalid("v2 header of version " + ((b[12] & 0xF0) >> 4));
            }
            return null;
        }
        int version = (b[12] & 0xF0) >> 4;
        int command = b[12] & 0x0F;
        int family = b[13] & 0xFF;
        int block = (b[14] & 0xFF) << 8 | b[15] & 0xFF;
        if (version != 2) {
            throw new Invalid("v2 header of version " + version);
        }
        if (command > 1) {
            throw new Invalid("v2 command " + command + " is neither LOCAL nor PROXY");
        }
        if (block > MAX_V2_BLOCK) {
            throw new Invalid("v2 header announces " + block + " bytes, over " + MAX_V2_BLOCK);
        }
        if (command == 0) {
            // LOCAL (a balancer's own health check): the spec says accept it and skip the block
            // whatever the family says, which is ignored; the connection keeps its TCP peer.
            return n < 16 + block ? null : new Parsed(16 + block, 2, null, 0);
        }
        int addresses = switch (family) {
            case 0x00 -> 0;
            case 0x11, 0x12 -> 12;
            case 0x21, 0x22 -> 36;
            case 0x31, 0x32 -> 216;
            default -> throw new Invalid("v2 family and protocol 0x" + Integer.toHexString(family) + " are not in the spec");
        };
        if (block < addresses) {
            throw new Invalid("v2 address block of " + block + " bytes, short of the " + addresses + " its family needs");
        }
        if (n < 16 + block) {
            return null;
        }
        int length = 16 + block;
        if (family == 0x00) {
            return new Parsed(length, 2, null, 0); // UNSPEC: the spec says keep the connection's own
        }
        checkTlvs(b, 16 + addresses, length);
        if (addresses == 216) {
            return new Parsed(length, 2, null, 0); // AF_UNIX: no IP address to use
        }
        int size = addresses == 12 ? 4 : 16;
        byte[] source = java.util.Arrays.copyOfRange(b, 16, 16 + size);
        int portAt = 16 + 2 * size;
        int port = (b[portAt] & 0xFF) << 8 | b[portAt + 1] & 0xFF;
        return new Parsed(length, 2, source, port);
    }

    /** The TLVs after the address block must fill the rest of it exactly (HAProxy checks the same). */
    private static void checkTlvs(byte[] b, int from, int to) throws Invalid {
        int p = from;
        while (p < to) {
            if (to - p < 3) {
                throw new Invalid("v2 TLV cut short");
            }
            int len = (b[p + 1] & 0xFF) << 8 | b[p + 2] & 0xFF;
            p += 3 + len;
        }
        if (p > to) {
            throw new Invalid("v2 TLV runs past the header");
        }
    }
}
