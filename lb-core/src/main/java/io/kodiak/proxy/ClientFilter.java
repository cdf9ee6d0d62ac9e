package io.kodiak.proxy;

import org.glassfish.grizzly.Buffer;
import org.glassfish.grizzly.Connection;
import org.glassfish.grizzly.Grizzly;
import org.glassfish.grizzly.attributes.Attribute;
import org.glassfish.grizzly.filterchain.BaseFilter;
import org.glassfish.grizzly.filterchain.FilterChainContext;
import org.glassfish.grizzly.filterchain.NextAction;

/**
 * The client side of the data path, the last filter after the transport: it hands accepted
 * connections, bytes and closes to the connection's {@link ClientSession}. Runs on selector
 * threads and never blocks.
 */
final class ClientFilter extends BaseFilter {
    static final Attribute<ClientSession> SESSION = Grizzly.DEFAULT_ATTRIBUTE_BUILDER.createAttribute("kodiak.session");

    private final ProxyContext context;
    private final ListenerRuntime listener;

    ClientFilter(ProxyContext context, ListenerRuntime listener) {
        this.context = context;
        this.listener = listener;
    }

    @Override
    public NextAction handleAccept(FilterChainContext ctx) {
        Connection<?> c = ctx.getConnection();
        if (listener.connections.incrementAndGet() > listener.config.limits().maxConnections() || context.stopping()) {
            listener.connections.decrementAndGet();
            listener.refused.increment();
            c.terminateSilently();
            return ctx.getStopAction();
        }
        ClientSession s = new ClientSession(context, listener, c);
        // Over max-connections-per-address. On a PROXY protocol listener the TCP peer is the proxy:
        // the client's address, and its place, come with the header (ClientSession.proxyHeaderRead;
        // the proxy's own place when the header names no client).
        if (listener.addressConnections != null && listener.config.proxyProtocol() == null
                && !s.addressKnown(s.connectionAddress().bytes())) {
            listener.connections.decrementAndGet();
            listener.refused.increment();
            c.terminateSilently();
            return ctx.getStopAction();
        }
        listener.accepted.increment();
        SESSION.set(c, s);
        context.register(s);
        s.beginHandshake(); // on TLS: a slot, or no reading until one frees
        return ctx.getStopAction();
    }

    @Override
    public NextAction handleRead(FilterChainContext ctx) {
        ClientSession s = SESSION.get(ctx.getConnection());
        if (s != null) {
            s.onRead(ReadBuffers.own(ctx.getMessage()));
        }
        return ctx.getStopAction();
    }

    @Override
    public NextAction handleClose(FilterChainContext ctx) {
        ClientSession s = SESSION.get(ctx.getConnection());
        if (s != null) {
            s.onClosed();
        }
        return ctx.getStopAction();
    }
}
