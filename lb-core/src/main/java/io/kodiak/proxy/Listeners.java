package io.kodiak.proxy;

import io.kodiak.config.ListenerConfig;
import io.kodiak.config.Values;
import org.glassfish.grizzly.filterchain.FilterChain;
import org.glassfish.grizzly.filterchain.FilterChainBuilder;
import org.glassfish.grizzly.filterchain.TransportFilter;
import org.glassfish.grizzly.nio.transport.TCPNIOBindingHandler;
import org.glassfish.grizzly.nio.transport.TCPNIOServerConnection;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The listeners a {@link ProxyServer} is bound to, by name, each with its runtime and its server
 * connection on the shared transport (chain: transport → [{@link ProxyProtocolFilter}] → [TLS] →
 * {@link ClientFilter}).
 *
 * <p><b>Threading.</b> Changed only by the server's start and by reloads, under the server's
 * lock; read from any thread.
 */
final class Listeners {
    /** A listener as bound: its runtime and its server connection. */
    record Bound(ListenerRuntime runtime, TCPNIOServerConnection server) {
    }

    private final ProxyContext ctx;
    private final Map<String, Bound> byName = new ConcurrentHashMap<>();

    Listeners(ProxyContext ctx) {
        this.ctx = ctx;
    }

    /** Binds {@code lr}'s address with its filter chain in place before the first accept. */
    Bound bind(ListenerRuntime lr) throws IOException {
        ListenerConfig lc = lr.config;
        FilterChainBuilder b = FilterChainBuilder.stateless().add(new TransportFilter());
        if (lc.proxyProtocol() != null) {
            b.add(new ProxyProtocolFilter(lr)); // the PROXY header comes before the TLS handshake
        }
        if (lc.tls() != null) {
            // Engines come from the listener's current TLS, so a reload's new certificates serve
            // the next connection; connections already open keep their session.
            // Grizzly builds a client side from the javax.net.ssl.* properties when given none, and
            // fails the bind if they are bad; a listener never acts as a client, so it gets its own.
            ListenerEngines engines = new ListenerEngines(lr);
            ListenerSslFilter tls = new ListenerSslFilter(engines);
            tls.addHandshakeListener(HandshakeEvents.INSTANCE); // frees the handshake slot, starts the head's timeout
            b.add(new TlsGuardFilter(ctx.acme.challenges)).add(tls);
        }
        FilterChain chain = b.add(new ClientFilter(ctx, lr)).build();
        try {
            TCPNIOServerConnection sc = TCPNIOBindingHandler.builder(ctx.transport)
                    .processor(chain).build().bind(lc.address(), 4096);
            return new Bound(lr, sc);
        } catch (IOException e) {
            throw new IOException("listener " + lc.name() + ": cannot listen on "
                    + new Values.HostPort(lc.address().getHostString(), lc.address().getPort())
                    + ": " + e.getMessage(), e);
        }
    }

    /** Stops accepting on {@code b}'s address; its open connections stay. */
    void unbind(Bound b) {
        ctx.transport.unbind(b.server());
    }

    /** Stops accepting on every listener's address. */
    void unbindAll() {
        byName.values().forEach(this::unbind);
    }

    void put(String name, Bound b) {
        byName.put(name, b);
    }

    /** Replaces every listener by {@code next} (a reload). */
    void replaceAll(Map<String, Bound> next) {
        byName.clear();
        byName.putAll(next);
    }

    /** The listener of that name, or {@code null}. */
    Bound byName(String name) {
        return byName.get(name);
    }

    Collection<Bound> all() {
        return byName.values();
    }

    List<ListenerRuntime> runtimes() {
        return byName.values().stream().map(Bound::runtime).toList();
    }

    /** The address a listener is bound to (the real port when the config said port 0). */
    InetSocketAddress boundAddress(String name) {
        Bound b = byName.get(name);
        if (b == null) {
            throw new IllegalArgumentException("no listener named " + name);
        }
        return (InetSocketAddress) b.server().getLocalAddress();
    }

    /** A listener's runtime; IllegalArgumentException if there is none of that name. */
    ListenerRuntime runtime(String name) {
        Bound b = byName.get(name);
        if (b == null) {
            throw new IllegalArgumentException("no listener named " + name);
        }
        return b.runtime();
    }

    Set<String> names() {
        return byName.keySet();
    }

    @Override
    public String toString() {
        return byName.keySet().toString();
    }
}
