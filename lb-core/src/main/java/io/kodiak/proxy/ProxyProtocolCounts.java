package io.kodiak.proxy;

import java.util.concurrent.atomic.LongAdder;

/**
 * A listener's PROXY protocol outcomes, for the metrics
 * ({@code kodiak_listener_proxy_protocol_headers_total{result}}): headers read, connections closed
 * for a missing or malformed header, for one not complete in time, and for a peer outside
 * {@code proxy-protocol-from}. A connection closed before it sent a byte (a load balancer's TCP
 * health check) is none of these. Any thread.
 */
final class ProxyProtocolCounts {
    final LongAdder ok = new LongAdder();
    final LongAdder invalid = new LongAdder();
    final LongAdder timeouts = new LongAdder();
    final LongAdder refused = new LongAdder();

    @Override
    public String toString() {
        return "ProxyProtocol[ok " + ok + ", invalid " + invalid + ", timeout " + timeouts + ", refused " + refused + "]";
    }
}
