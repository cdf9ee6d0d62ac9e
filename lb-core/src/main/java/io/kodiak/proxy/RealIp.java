package io.kodiak.proxy;

import io.kodiak.config.RealIpConfig;
import io.kodiak.http.FieldEdits;
import io.kodiak.http.HeaderFields;
import io.kodiak.http.RequestHead;

/**
 * A request's client address under {@code real-ip}, with nginx's realip semantics
 * ({@code ngx_http_get_forwarded_addr}): only when the connection's address (after the PROXY
 * protocol) is in {@code from} is the header read at all. Then, without {@code recursive}, the
 * client is the header's last address; with it, Kodiak walks the list from the right and stops at
 * the first address not in {@code from} (or, when every address is trusted, at the leftmost).
 * An entry that is not an address (a hostname, {@code unknown}, garbage) stops the walk: the last
 * address found stands, or the connection's if none was. Several lines of the header are one list
 * in order (RFC 9110 section 5.3), so the rightmost entry is the last line's last. Entries may
 * carry a port ({@code 192.0.2.1:5000}, {@code [2001:db8::1]:443}), which becomes
 * {@code $remote_port}; without one the port is unknown, as in nginx.
 *
 * <p>Stateless; runs on the client's selector thread. Allocates only when the listener has
 * {@code real-ip} (the session does not call it otherwise) and the peer is trusted.
 */
final class RealIp {
    private RealIp() {
    }

    /**
     * The client of {@code req}, which came over a connection from {@code connection}.
     *
     * @param distrusted {@code connection.distrust()}, made once per connection: what an untrusted
     *                   peer's requests get, so that they allocate nothing here
     */
    static ClientAddress resolve(RealIpConfig c, RequestHead req, ClientAddress connection, ClientAddress distrusted) {
        if (!c.trusts(connection.bytes())) {
            return distrusted;
        }
        HeaderFields f = req.fields();
        String name = c.headerLower();
        ClientAddress found = null;
        for (int i = f.size() - 1; i >= 0; i--) {
            if (!f.nameIs(i, name)) {
                continue;
            }
            String v = f.value(i);
            int end = v.length();
            while (true) {
                while (end > 0 && separator(v.charAt(end - 1))) {
                    end--;
                }
                if (end == 0) {
                    break; // this line is done: on to the one before
                }
                int start = end;
                while (start > 0 && !separator(v.charAt(start - 1))) {
                    start--;
                }
                ClientAddress a = entry(v, start, end);
                if (a == null) {
                    return found != null ? found : connection;
                }
                found = a;
                if (!c.recursive() || !c.trusts(a.bytes())) {
                    return found;
                }
                end = start;
            }
        }
        return found != null ? found : connection;
    }

    private static boolean separator(char ch) {
        return ch == ',' || ch == ' ' || ch == '\t';
    }

    /** One list entry: an address, optionally with a port; null if it is not one. */
    static ClientAddress entry(String v, int start, int end) {
        if (v.charAt(start) == '[') {
            int close = v.indexOf(']', start);
            if (close < 0 || close >= end) {
                return null;
            }
            byte[] b = IpLiteral.parse(v, start + 1, close);
            if (b == null || b.length != 16) {
                return null;
            }
            if (close + 1 == end) {
                return ClientAddress.of(b, -1);
            }
            int port = v.charAt(close + 1) == ':' ? port(v, close + 2, end) : -1;
            return port < 0 ? null : ClientAddress.of(b, port);
        }
        byte[] b = IpLiteral.parse(v, start, end);
        if (b != null) {
            return ClientAddress.of(b, -1);
        }
        int colon = v.lastIndexOf(':', end - 1);
        if (colon <= start) {
            return null;
        }
        b = IpLiteral.parse(v, start, colon); // IPv4 with a port; an IPv6 one needs its brackets
        int port = port(v, colon + 1, end);
        return b == null || b.length != 4 || port < 0 ? null : ClientAddress.of(b, port);
    }

    /** A decimal port 0-65535 in {@code v[from, to)}, or -1. */
    private static int port(String v, int from, int to) {
        if (from >= to || to - from > 5) {
            return -1;
        }
        int p = 0;
        for (int i = from; i < to; i++) {
            char ch = v.charAt(i);
            if (ch < '0' || ch > '9') {
                return -1;
            }
            p = p * 10 + ch - '0';
        }
        return p <= 65535 ? p : -1;
    }

    /**
     * What a client that is not a trusted proxy says in forwarding headers is dropped before the
     * request goes upstream: {@code X-Forwarded-For}, {@code Forwarded}, {@code X-Real-IP} and
     * {@code real-ip.header} (Traefik drops its {@code X-Forwarded-*} and {@code X-Real-Ip} from
     * peers outside {@code trustedIPs}): the app behind Kodiak then sees only addresses Kodiak
     * vouches for, whichever of them it reads. Only the client's own fields go: one a header rule
     * set ({@code request-headers: {set: {X-Real-IP: $remote_addr}}}) is Kodiak's and goes on.
     * Runs after the request filters, so that none of them can put the client's back.
     *
     * @param edits the request's edits so far, or null
     */
    static FieldEdits dropClaims(FieldEdits edits, RealIpConfig c) {
        FieldEdits e = edits == null ? new FieldEdits() : edits;
        e.removeReceived("X-Forwarded-For").removeReceived("Forwarded").removeReceived("X-Real-IP");
        if (c != null) {
            e.removeReceived(c.header());
        }
        return e;
    }
}
