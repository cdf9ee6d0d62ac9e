package io.kodiak.http;

/**
 * Hop-by-hop fields (RFC 9110 §7.6.1, RFC 9112 §6.1): they describe one connection, never the
 * message, so a proxy removes them and writes its own. Framing fields are here too, because
 * Kodiak always re-frames bodies.
 */
final class Hop {
    private Hop() {
    }

    static boolean isHopByHop(HeaderFields f, int i) {
        int n = f.nameEnd(i) - f.nameStart(i);
        return switch (n) {
            case 2 -> f.nameIs(i, "te");
            case 7 -> f.nameIs(i, "trailer") || f.nameIs(i, "upgrade");
            case 10 -> f.nameIs(i, "connection") || f.nameIs(i, "keep-alive");
            // HTTP2-Settings belongs to an h2c upgrade (RFC 7540 §3.2.1), which Kodiak never forwards.
            case 14 -> f.nameIs(i, "content-length") || f.nameIs(i, "http2-settings");
            case 16 -> f.nameIs(i, "proxy-connection");
            case 17 -> f.nameIs(i, "transfer-encoding");
            default -> false;
        };
    }

    /**
     * Whether a {@code Connection} field names field {@code i}. Fields that carry the message's
     * identity or the forwarding chain are never removed this way: {@code Connection: host} must
     * not make a request lose its Host, and {@code Connection: X-Forwarded-For} must not let a
     * client erase the entries a trusted proxy in front of Kodiak appended, leaving the upstream
     * to see that proxy's (internal) address as the client's.
     */
    static boolean droppedByConnection(HeaderFields f, int i) {
        return !isProtected(f, i) && f.namedByConnection(i);
    }

    private static boolean isProtected(HeaderFields f, int i) {
        return f.nameIs(i, "host") || f.nameIs(i, "x-forwarded-for") || f.nameIs(i, "forwarded")
                || f.nameIs(i, "x-forwarded-proto") || f.nameIs(i, "x-forwarded-host");
    }
}
