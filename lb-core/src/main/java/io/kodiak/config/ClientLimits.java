package io.kodiak.config;

/**
 * Client-side limits.
 *
 * @param maxRequestLine  longest request line in bytes, without CRLF; beyond it 414
 * @param maxHeaderBytes  largest request head (request line and all fields) in bytes; beyond it 431
 * @param maxHeaders      most header fields in one request; beyond it 431
 * @param maxConnections  most concurrent client connections on this listener; beyond it new
 *                        connections are closed at once
 */
public record ClientLimits(int maxRequestLine, int maxHeaderBytes, int maxHeaders, int maxConnections) {
    public static final ClientLimits DEFAULTS = new ClientLimits(8190, 32 * 1024, 100, 10_000);
}
