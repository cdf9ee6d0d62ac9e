package io.kodiak.discovery.standard;

import io.kodiak.discovery.DiscoveryListener;
import io.kodiak.discovery.Discovery;
import io.kodiak.discovery.DnsSettings;
import io.kodiak.discovery.KubernetesSettings;
import io.kodiak.discovery.SharedState;
import io.kodiak.discovery.Watch;

import io.kodiak.discovery.dns.DnsWatch;
import io.kodiak.discovery.kubernetes.ConfigMapState;
import io.kodiak.discovery.kubernetes.EndpointSliceWatch;
import io.kodiak.discovery.kubernetes.KubernetesClients;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * dnsjava for DNS and fabric8 for Kubernetes, on one daemon thread {@code kodiak-discovery} that
 * schedules the queries and receives every answer, so that a source's listener is called one
 * call at a time.
 */
public final class StandardDiscovery implements Discovery {
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "kodiak-discovery");
        t.setDaemon(true);
        return t;
    });
    private final KubernetesClients kubernetes = new KubernetesClients();

    @Override
    public Watch dns(DnsSettings resolver, String host, int port, boolean srv, DiscoveryListener listener) {
        return DnsWatch.start(resolver, host, port, srv, listener, scheduler, System::currentTimeMillis);
    }

    @Override
    public Watch kubernetes(KubernetesSettings settings, String namespace, String service, String port, DiscoveryListener listener) {
        return EndpointSliceWatch.start(kubernetes.client(settings), KubernetesClients.namespaceFor(settings, namespace), service, port, listener, scheduler);
    }

    @Override
    public SharedState sharedState(KubernetesSettings settings, String namespace, String name) {
        return ConfigMapState.start(kubernetes.client(settings), KubernetesClients.namespaceFor(settings, namespace), name, scheduler);
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
        kubernetes.close();
    }
}
