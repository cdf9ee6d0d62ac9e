package io.kodiak.proxy;

import io.kodiak.config.ClientAddressConfig;
import org.glassfish.grizzly.Buffer;
import org.glassfish.grizzly.Connection;
import org.glassfish.grizzly.Grizzly;
import org.glassfish.grizzly.attributes.Attribute;
import org.glassfish.grizzly.filterchain.BaseFilter;
import org.glassfish.grizzly.filterchain.FilterChainContext;
import org.glassfish.grizzly.filterchain.NextAction;

import java.net.InetSocketAddress;
import java.util.logging.Logger;

/**
 * Reads the PROXY protocol header (v1 or v2, {@link ProxyProtocolHeader}) that a load balancer
 * sends first on each connection of a listener with {@code proxy-protocol: true} (HAProxy
 * {@code bind ... accept-proxy}, nginx {@code listen ... proxy_protocol}), gives the address in it
 * to the connection's {@link ClientSession}, and hands every byte after it on unchanged. It sits
 * right after the transport, before the TLS filter, because the header comes before the TLS
 * handshake.
 *
 * <p>A connection from a peer outside {@code proxy-protocol-from} is closed at accept; one whose
 * first bytes are not a header is closed at once, with no answer (the peer is a proxy, not a
 * browser); one whose header is not complete within the listener's request-header timeout is
 * closed by the session's deadline. Each is counted ({@link ProxyProtocolCounts}). Until the
 * header is complete the bytes are held (Grizzly keeps the remainder and appends the next read),
 * at most {@link ProxyProtocolHeader#MAX_LENGTH} of them: a header announcing more is refused.
 *
 * <p>Stateless apart from one connection attribute; runs on selector threads and never blocks.
 */
final class ProxyProtocolFilter extends BaseFilter {
    private static final Logger LOG = Logger.getLogger(ProxyProtocolFilter.class.getName());
    private static final Attribute<Boolean> DONE = Grizzly.DEFAULT_ATTRIBUTE_BUILDER.createAttribute("kodiak.proxy-protocol-done");

    private final ListenerRuntime listener;

    ProxyProtocolFilter(ListenerRuntime listener) {
        this.listener = listener;
    }

    @Override
    public NextAction handleAccept(FilterChainContext ctx) {
        Connection<?> c = ctx.getConnection();
        ClientAddressConfig.ProxyProtocol pp = listener.config.proxyProtocol(); // now: a reload's list applies to the next connection
        byte[] peer = c.getPeerAddress() instanceof InetSocketAddress a && a.getAddress() != null
                ? a.getAddress().getAddress() : null;
        if (pp != null && !pp.allows(peer)) {
            listener.proxyProtocol.refused.increment();
            LOG.fine(() -> "PROXY protocol: " + c.getPeerAddress() + " is not in " + listener.config.name()
                    + "'s proxy-protocol-from; closing");
            c.terminateSilently();
            return ctx.getStopAction();
        }
        return ctx.getInvokeAction();
    }

    @Override
    public NextAction handleRead(FilterChainContext ctx) {
        Connection<?> c = ctx.getConnection();
        if (DONE.isSet(c)) {
            return ctx.getInvokeAction();
        }
        ClientSession s = ClientFilter.SESSION.get(c);
        Buffer b = ctx.getMessage();
        if (s == null || !b.hasRemaining()) {
            return ctx.getStopAction(); // refused at accept (over max-connections), or nothing yet
        }
        int n = Math.min(b.remaining(), ProxyProtocolHeader.MAX_LENGTH);
        byte[] head = new byte[n];
        int pos = b.position();
        for (int i = 0; i < n; i++) {
            head[i] = b.get(pos + i);
        }
        ProxyProtocolHeader.Parsed h;
        try {
            h = ProxyProtocolHeader.parse(head, n);
        } catch (ProxyProtocolHeader.Invalid e) {
            s.proxyHeaderInvalid(e.getMessage());
            return ctx.getStopAction();
        }
        if (h == null) {
            return ctx.getStopAction(b); // Grizzly appends the next read to it
        }
        DONE.set(c, Boolean.TRUE);
        if (!s.proxyHeaderRead(h)) {
            return ctx.getStopAction(); // closed meanwhile
        }
        b.position(pos + h.length());
        if (!b.hasRemaining()) {
            b.tryDispose();
            return ctx.getStopAction();
        }
        return ctx.getInvokeAction();
    }
}
