package io.kodiak.proxy;

import io.kodiak.config.ListenerConfig;
import io.kodiak.config.PoolConfig;
import io.kodiak.http.Bytes;
import io.kodiak.http.RequestHead;
import io.kodiak.http.ResponseEncoder;
import io.kodiak.http.ResponseEncoder.ClientFraming;
import io.kodiak.http.ResponseHead;
import org.glassfish.grizzly.Buffer;

/**
 * The WebSocket phase: after a 101, bytes pass both ways unchanged until either side closes or
 * the tunnel is idle for longer than both the upstream read and the client keep-alive timeout.
 * Each direction is bounded: a side that does not read stops the other side's reading.
 *
 * <p>Threading: called with the session's lock held.
 */
final class Tunnel {
    private final RequestSender toUpstream;
    private final long idleNanos;
    /** Bytes relayed each way after the 101, for the access log. */
    private long toClient;
    private long fromClient;

    Tunnel(RequestSender toUpstream, PoolConfig pc, ListenerConfig listener) {
        this.toUpstream = toUpstream;
        this.idleNanos = Math.max(pc.timeouts().read().toNanos(), listener.timeouts().keepAlive().toNanos());
    }

    /** The 101 for the client: Upgrade: websocket and Connection: upgrade, nothing else hop-by-hop. */
    static Bytes head(ResponseHead r, RequestHead req, ListenerConfig listener) {
        return ResponseEncoder.encode(r, listener.serverHeader(), ClientFraming.NONE, -1, false, req.versionMinor(), true);
    }

    long idleTimeout() {
        return idleNanos;
    }

    /**
     * Client bytes for the upstream.
     *
     * @return whether the client must stop being read until the upstream takes what it has
     */
    boolean fromClient(Buffer b) {
        fromClient += b.remaining();
        toUpstream.write(b);
        return toUpstream.busy();
    }

    /** {@code n} upstream bytes go to the client. */
    void toClient(int n) {
        toClient += n;
    }

    long bytesToClient() {
        return toClient;
    }

    long bytesFromClient() {
        return fromClient;
    }

    /** Whether the upstream still has too much in flight to read more from the client. */
    boolean upstreamBusy() {
        return toUpstream.busy();
    }
}
