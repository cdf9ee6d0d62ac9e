package io.kodiak.tls;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads the server name (SNI) and the offered application protocols (ALPN) from a TLS ClientHello
 * before the engine sees it, which the JDK's key manager cannot: its certificate is chosen before
 * ALPN is settled. Kodiak needs both to tell an ACME TLS-ALPN-01 validation ({@code acme-tls/1}
 * for a domain being validated, RFC 8737) from a client. Reads only what is in the buffer (the
 * first record of a connection; a ClientHello split over two reads is not seen, and such a
 * connection is simply a client), never moves its position, and bounds every length by the bytes
 * present, so hostile input yields {@code null}, never an exception.
 *
 * @param serverName the host name asked for, lower case, or {@code null}
 * @param protocols  the ALPN protocols offered, in the client's order (empty when none)
 */
public record ClientHelloPeek(String serverName, List<String> protocols) {
    /** The ClientHello at {@code b}'s position, or {@code null} if there is not a whole one there. */
    public static ClientHelloPeek parse(ByteBuffer b) {
        try {
            ByteBuffer r = b.slice().order(java.nio.ByteOrder.BIG_ENDIAN);
            if (r.remaining() < 9 || (r.get() & 0xFF) != 22) { // handshake record
                return null;
            }
            r.getShort(); // record version
            int recordLength = r.getShort() & 0xFFFF;
            if (recordLength > r.remaining()) {
                return null;
            }
            ByteBuffer h = r.slice().limit(recordLength);
            if ((h.get() & 0xFF) != 1) { // client_hello
                return null;
            }
            int length = (h.get() & 0xFF) << 16 | (h.getShort() & 0xFFFF);
            if (length > h.remaining()) {
                return null;
            }
            h.limit(h.position() + length);
            skip(h, 2 + 32); // version, random
            skip(h, h.get() & 0xFF); // session id
            skip(h, h.getShort() & 0xFFFF); // cipher suites
            skip(h, h.get() & 0xFF); // compression methods
            if (!h.hasRemaining()) {
                return new ClientHelloPeek(null, List.of());
            }
            int extEnd = (h.getShort() & 0xFFFF) + h.position();
            if (extEnd > h.limit()) {
                return null;
            }
            String sni = null;
            List<String> alpn = new ArrayList<>();
            while (h.position() + 4 <= extEnd) {
                int type = h.getShort() & 0xFFFF;
                int len = h.getShort() & 0xFFFF;
                if (h.position() + len > extEnd) {
                    return null;
                }
                ByteBuffer e = h.slice().limit(len);
                skip(h, len);
                if (type == 0) { // server_name: list of (type, name)
                    e.getShort();
                    if ((e.get() & 0xFF) == 0) {
                        byte[] name = new byte[e.getShort() & 0xFFFF];
                        e.get(name);
                        sni = new String(name, StandardCharsets.US_ASCII).toLowerCase(Locale.ROOT);
                    }
                } else if (type == 16) { // application_layer_protocol_negotiation
                    int end = (e.getShort() & 0xFFFF) + e.position();
                    while (e.position() < end && alpn.size() < 32) {
                        byte[] p = new byte[e.get() & 0xFF];
                        e.get(p);
                        alpn.add(new String(p, StandardCharsets.US_ASCII));
                    }
                }
            }
            return new ClientHelloPeek(sni, List.copyOf(alpn));
        } catch (RuntimeException e) { // BufferUnderflow, IllegalArgument: not a whole, well-formed ClientHello
            return null;
        }
    }

    private static void skip(ByteBuffer b, int n) {
        b.position(b.position() + n);
    }
}
