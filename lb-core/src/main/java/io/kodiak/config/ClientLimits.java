package io.kodiak.config;

/**
 * Client-side limits.
 *
 * @param maxRequestLine  longest request line in bytes, without CRLF; beyond it 414
 * @param maxHeaderBytes  largest request head (request line and all fields) in bytes; beyond it 431
 * @param maxHeaders      most header fields in one request; beyond it 431
 * @param maxConnections  most concurrent client connections on this listener; beyond it new
 *                        connections are closed at once
 * @param maxConnectionsPerAddress most concurrent connections from one client address on this
 *                        listener, 0 for no cap (nginx {@code limit_conn perip N}, HAProxy
 *                        {@code src_conn_cur} + {@code tcp-request connection reject}); beyond it
 *                        a new connection is closed at once. Counted in a fixed table
 *                        ({@code io.kodiak.proxy.AddressConnections}), never per distinct address.
 */
public record ClientLimits(int maxRequestLine, int maxHeaderBytes, int maxHeaders, int maxConnections,
                           int maxConnectionsPerAddress) {
    public static final ClientLimits DEFAULTS = new ClientLimits(8190, 32 * 1024, 100, 10_000);

    /** With no per-address cap. */
    public ClientLimits(int maxRequestLine, int maxHeaderBytes, int maxHeaders, int maxConnections) {
        this(maxRequestLine, maxHeaderBytes, maxHeaders, maxConnections, 0);
    }

    /** These limits with a per-address cap (0: none). */
    public ClientLimits withMaxConnectionsPerAddress(int cap) {
        return new ClientLimits(maxRequestLine, maxHeaderBytes, maxHeaders, maxConnections, cap);
    }
}
