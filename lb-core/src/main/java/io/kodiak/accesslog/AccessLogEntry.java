package io.kodiak.accesslog;

import java.util.Objects;

/**
 * One finished exchange, as the access log records it: immutable, built once by the data path at
 * the end of the request and handed to {@link AccessLogWriter#offer}.
 *
 * <p>Strings are as the data path holds them; a header value decoded as ISO-8859-1 keeps one char
 * per byte, which the text formats then escape byte for byte as nginx does. Fields a client
 * controls ({@code method}, {@code target}, {@code protocol}, {@code userAgent}, {@code referer},
 * {@code requestId} when taken from the request) are escaped by every format, so one entry is
 * always one line.
 *
 * <p>Durations are nanoseconds; {@code -1} means "did not happen" (no upstream was connected, no
 * response head came). Nullable fields say so below.
 *
 * @param clientAddress         the client's IP address, as text
 * @param clientPort            the client's TCP port
 * @param startEpochMillis      when the request's first byte arrived, milliseconds since the epoch
 * @param method                the request method; null if the request line was not parsed
 * @param target                the request target as the client sent it; null if not parsed
 * @param protocol              {@code HTTP/1.0} or {@code HTTP/1.1}; null if not parsed
 * @param status                the status sent to the client; 0 if none was sent
 * @param bytesReceived         bytes read from the client for this request (head and body)
 * @param bytesSent             bytes written to the client (head and body)
 * @param bodyBytesSent         response body bytes written to the client
 * @param requestTimeNanos      from the first request byte to the last response byte written
 * @param listener              the listener's name
 * @param pool                  the pool the route chose; null if no route matched
 * @param upstreamName          the last upstream tried; null if none was
 * @param upstreamAddress       its {@code host:port}; null if none was tried
 * @param upstreamConnectNanos  connecting to the last upstream; -1 if not connected
 * @param upstreamHeaderNanos   from connect start to the response head; -1 if none came
 * @param upstreamResponseNanos from connect start to the response's last byte; -1 if unfinished
 * @param attempts              upstream attempts made (0 when answered locally)
 * @param queueNanos            time spent in the pool's queue; 0 if not queued
 * @param requestId             the request ID (from the request's ID header or generated)
 * @param userAgent             the User-Agent header; null if absent
 * @param referer               the Referer header; null if absent
 * @param termination           how the exchange ended
 * @param route                 the route the request took (its {@code name}, or {@code routes[N]}); null if none
 * @param connectionAddress     the connection's address (the TCP peer's, or the PROXY protocol's) when
 *                              {@code real-ip} may have put another in {@code clientAddress}; null: the same
 * @param remoteUser            the user {@code basic-auth} let through; null if none
 */
public record AccessLogEntry(
        String clientAddress,
        int clientPort,
        long startEpochMillis,
        String method,
        String target,
        String protocol,
        int status,
        long bytesReceived,
        long bytesSent,
        long bodyBytesSent,
        long requestTimeNanos,
        String listener,
        String pool,
        String upstreamName,
        String upstreamAddress,
        long upstreamConnectNanos,
        long upstreamHeaderNanos,
        long upstreamResponseNanos,
        int attempts,
        long queueNanos,
        String requestId,
        String userAgent,
        String referer,
        Termination termination,
        String route,
        String connectionAddress,
        String remoteUser) {

    public AccessLogEntry {
        Objects.requireNonNull(termination, "termination");
    }

    /** An entry without a user (no basic-auth let it through). */
    public AccessLogEntry(String clientAddress, int clientPort, long startEpochMillis, String method, String target,
                          String protocol, int status, long bytesReceived, long bytesSent, long bodyBytesSent,
                          long requestTimeNanos, String listener, String pool, String upstreamName,
                          String upstreamAddress, long upstreamConnectNanos, long upstreamHeaderNanos,
                          long upstreamResponseNanos, int attempts, long queueNanos, String requestId,
                          String userAgent, String referer, Termination termination, String route,
                          String connectionAddress) {
        this(clientAddress, clientPort, startEpochMillis, method, target, protocol, status, bytesReceived, bytesSent,
                bodyBytesSent, requestTimeNanos, listener, pool, upstreamName, upstreamAddress, upstreamConnectNanos,
                upstreamHeaderNanos, upstreamResponseNanos, attempts, queueNanos, requestId, userAgent, referer,
                termination, route, connectionAddress, null);
    }

    /** The connection's address is the client's. */
    public AccessLogEntry(String clientAddress, int clientPort, long startEpochMillis, String method, String target,
                          String protocol, int status, long bytesReceived, long bytesSent, long bodyBytesSent,
                          long requestTimeNanos, String listener, String pool, String upstreamName,
                          String upstreamAddress, long upstreamConnectNanos, long upstreamHeaderNanos,
                          long upstreamResponseNanos, int attempts, long queueNanos, String requestId,
                          String userAgent, String referer, Termination termination, String route) {
        this(clientAddress, clientPort, startEpochMillis, method, target, protocol, status, bytesReceived, bytesSent,
                bodyBytesSent, requestTimeNanos, listener, pool, upstreamName, upstreamAddress, upstreamConnectNanos,
                upstreamHeaderNanos, upstreamResponseNanos, attempts, queueNanos, requestId, userAgent, referer,
                termination, route, null, null);
    }

    /** {@code $realip_remote_addr}: the connection's address, which {@code real-ip} trusted or not. */
    public String realIpRemoteAddress() {
        return connectionAddress == null ? clientAddress : connectionAddress;
    }

    /** An entry without a route (refused before routing, or made by a test). */
    public AccessLogEntry(String clientAddress, int clientPort, long startEpochMillis, String method, String target,
                          String protocol, int status, long bytesReceived, long bytesSent, long bodyBytesSent,
                          long requestTimeNanos, String listener, String pool, String upstreamName,
                          String upstreamAddress, long upstreamConnectNanos, long upstreamHeaderNanos,
                          long upstreamResponseNanos, int attempts, long queueNanos, String requestId,
                          String userAgent, String referer, Termination termination) {
        this(clientAddress, clientPort, startEpochMillis, method, target, protocol, status, bytesReceived, bytesSent,
                bodyBytesSent, requestTimeNanos, listener, pool, upstreamName, upstreamAddress, upstreamConnectNanos,
                upstreamHeaderNanos, upstreamResponseNanos, attempts, queueNanos, requestId, userAgent, referer,
                termination, null, null, null);
    }
}
