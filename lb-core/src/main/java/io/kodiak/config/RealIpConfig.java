package io.kodiak.config;

import java.util.List;

/**
 * A listener's {@code real-ip}: whom Kodiak believes about the client's address, and where it
 * reads it (nginx's realip module: {@code set_real_ip_from}, {@code real_ip_header},
 * {@code real_ip_recursive}). A request whose connection comes from an address in {@code from}
 * (after the PROXY protocol, if the listener speaks it) takes its client address from
 * {@code header}: the last address there, or with {@code recursive} the last one not itself in
 * {@code from}. Requests from anyone else keep the connection's address, and what they claim in
 * forwarding headers is not passed on.
 *
 * <p>Immutable; equal by value, so an unchanged section compares equal across reloads.
 *
 * @param from        the trusted proxies (at least one range)
 * @param header      the field the address is read from, as configured ({@code X-Forwarded-For} by default)
 * @param recursive   walk left past trusted addresses (nginx {@code real_ip_recursive on})
 */
public record RealIpConfig(List<Cidr> from, String header, boolean recursive) {
    public static final String DEFAULT_HEADER = "X-Forwarded-For";

    public RealIpConfig {
        from = List.copyOf(from);
        if (from.isEmpty()) {
            throw new IllegalArgumentException("real-ip needs at least one trusted range");
        }
    }

    /** The header's name in lower case, as request fields are compared. */
    public String headerLower() {
        return header.toLowerCase(java.util.Locale.ROOT);
    }

    /** Whether {@code address} (4 or 16 bytes) is a trusted proxy's. */
    public boolean trusts(byte[] address) {
        if (address == null) {
            return false;
        }
        for (Cidr c : from) {
            if (c.contains(address)) {
                return true;
            }
        }
        return false;
    }
}
