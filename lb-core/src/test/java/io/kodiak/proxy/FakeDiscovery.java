package io.kodiak.proxy;

import io.kodiak.discovery.Discovery;
import io.kodiak.discovery.DiscoveryListener;
import io.kodiak.discovery.DnsSettings;
import io.kodiak.discovery.Endpoint;
import io.kodiak.discovery.EndpointSet;
import io.kodiak.discovery.KubernetesSettings;
import io.kodiak.discovery.Readiness;
import io.kodiak.discovery.SharedState;
import io.kodiak.discovery.SourceStatus;
import io.kodiak.discovery.Watch;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A {@link Discovery} whose sources say what the test tells them: {@link #emit} calls the
 * listener of every open watch of a name on the test's thread, so the set is in force when it
 * returns. It records every watch started, with the settings it got, so a test sees which a
 * reload kept.
 */
class FakeDiscovery implements Discovery {
    /** A watch started, by the name (DNS) or {@code namespace/service} (Kubernetes) it follows. */
    static final class FakeWatch implements Watch {
        final String name;
        final Object settings;
        final DiscoveryListener listener;
        volatile boolean closed;
        volatile EndpointSet last;

        FakeWatch(String name, Object settings, DiscoveryListener listener) {
            this.name = name;
            this.settings = settings;
            this.listener = listener;
        }

        @Override
        public SourceStatus status() {
            EndpointSet s = last;
            return new SourceStatus(s == null ? 0 : s.endpoints().size(), s != null && s.stale(), s == null ? 0 : 1,
                    s == null ? null : s.error(), 0, Map.of("ok", s == null ? 0L : 1L));
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    final List<FakeWatch> watches = new CopyOnWriteArrayList<>();
    volatile boolean closed;

    @Override
    public Watch dns(DnsSettings resolver, String host, int port, boolean srv, DiscoveryListener listener) {
        FakeWatch w = new FakeWatch(host, resolver, listener);
        watches.add(w);
        return w;
    }

    @Override
    public Watch kubernetes(KubernetesSettings settings, String namespace, String service, String port, DiscoveryListener listener) {
        FakeWatch w = new FakeWatch(namespace + "/" + service, settings, listener);
        watches.add(w);
        return w;
    }

    @Override
    public SharedState sharedState(KubernetesSettings settings, String namespace, String name) {
        throw new UnsupportedOperationException();
    }

    /** The open watches of {@code name}. */
    List<FakeWatch> open(String name) {
        List<FakeWatch> l = new ArrayList<>();
        for (FakeWatch w : watches) {
            if (w.name.equals(name) && !w.closed) {
                l.add(w);
            }
        }
        return l;
    }

    /** Every open watch of {@code name} reports {@code set}; returns once applied. */
    void emit(String name, EndpointSet set) {
        List<FakeWatch> ws = open(name);
        if (ws.isEmpty()) {
            throw new IllegalStateException("no open watch of " + name + " among " + watches.size());
        }
        for (FakeWatch w : ws) {
            w.last = set;
            w.listener.onChange(set);
        }
    }

    /** {@code 127.0.0.1} at each port, READY unless the port is in {@code draining}. */
    static EndpointSet set(String host, List<Integer> ports, Map<Integer, Readiness> readiness) {
        List<Endpoint> es = new ArrayList<>();
        for (int p : ports) {
            es.add(new Endpoint(host, loopback(), p, 0, 0, readiness.getOrDefault(p, Readiness.READY), null, null));
        }
        return new EndpointSet(es, false, null);
    }

    static EndpointSet set(String host, Integer... ports) {
        return set(host, List.of(ports), Map.of());
    }

    static InetAddress loopback() {
        try {
            return InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    @Override
    public void close() {
        closed = true;
    }
}
