package io.kodiak.discovery.kubernetes;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.kodiak.discovery.EndpointSet;
import io.kodiak.discovery.KubernetesSettings;
import io.kodiak.discovery.SharedState;
import io.kodiak.discovery.Watch;
import io.kodiak.discovery.standard.StandardDiscovery;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static io.kodiak.discovery.kubernetes.Slices.port;
import static io.kodiak.discovery.kubernetes.Slices.ready;
import static io.kodiak.discovery.kubernetes.Slices.slice;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** From a kubeconfig (its context and namespace) through {@link StandardDiscovery}, as Kodiak runs outside a cluster. */
class KubernetesClientsTest {
    @TempDir
    Path dir;

    private Path kubeconfig(MockApi api) throws IOException {
        Path file = dir.resolve("kubeconfig");
        Files.writeString(file, """
                apiVersion: v1
                kind: Config
                clusters:
                  - name: mock
                    cluster: {server: "%s"}
                users:
                  - name: me
                    user: {token: not-checked-by-the-mock}
                contexts:
                  - name: other
                    context: {cluster: mock, user: me, namespace: elsewhere}
                  - name: staging
                    context: {cluster: mock, user: me, namespace: shop}
                current-context: other
                """.formatted(api.url()));
        return file;
    }

    @Test
    void theContextGivesTheNamespaceUnlessTheSettingsNameOne() throws Exception {
        try (MockApi api = new MockApi(); KubernetesClients clients = new KubernetesClients()) {
            Path file = kubeconfig(api);
            KubernetesSettings current = new KubernetesSettings(file, null, null);
            KubernetesSettings staging = new KubernetesSettings(file, "staging", null);
            KubernetesSettings named = new KubernetesSettings(file, "staging", "billing");
            assertEquals("elsewhere", KubernetesClients.namespace(clients.client(current), null));
            assertEquals("shop", KubernetesClients.namespace(clients.client(staging), null));
            assertEquals("billing", KubernetesClients.namespace(clients.client(named), KubernetesClients.namespaceFor(named, null)));
            assertEquals("web", KubernetesClients.namespace(clients.client(named), KubernetesClients.namespaceFor(named, "web")),
                    "an entry's own namespace wins");
            assertSame(clients.client(staging), clients.client(staging), "one client per kubeconfig and context");
            assertSame(clients.client(staging), clients.client(named),
                    "a reload that changes kubernetes.namespace reuses the client instead of leaving one more open");
            KubernetesClient c = clients.client(staging);
            clients.close();
            assertThrows(IllegalStateException.class, () -> clients.client(staging));
            assertEquals(true, c.getHttpClient().isClosed(), "closed with the discovery");
        }
    }

    @Test
    void aMissingContextOrFileIsSaidPlainly() throws Exception {
        try (MockApi api = new MockApi()) {
            Path file = kubeconfig(api);
            IllegalArgumentException noContext = assertThrows(IllegalArgumentException.class,
                    () -> KubernetesClients.build(new KubernetesSettings(file, "prod", null)));
            assertTrue(noContext.getMessage().startsWith("kubernetes: cannot use kubeconfig " + file + " (context prod): "),
                    noContext.getMessage());
            Path missing = dir.resolve("missing");
            IllegalArgumentException noFile = assertThrows(IllegalArgumentException.class,
                    () -> KubernetesClients.build(new KubernetesSettings(missing, null, null)));
            assertTrue(noFile.getMessage().startsWith("kubernetes: cannot use kubeconfig " + missing + ": "), noFile.getMessage());
        }
    }

    @Test
    void standardDiscoveryWatchesSlicesAndSharesStateFromAKubeconfig() throws Exception {
        try (StandardDiscovery discovery = new StandardDiscovery(); MockApi api = new MockApi()) { // api closes first: see MockApi.close
            KubernetesSettings settings = new KubernetesSettings(kubeconfig(api), "staging", null);
            api.client("shop").discovery().v1().endpointSlices().resource(
                    slice("web", "web-1", List.of(port("http", 8000)), ready("10.0.0.7", "web-7"))).create();
            Sets sets = new Sets();
            Watch watch = discovery.kubernetes(settings, null, "web", "http", sets);
            EndpointSet set = sets.await("the slice in the context's namespace", s -> s.endpoints().size() == 1);
            assertEquals("10.0.0.7:8000 READY web-7", Sets.show(set));
            assertEquals(1, watch.status().addresses());

            SharedState state = discovery.sharedState(settings, null, "kodiak-admin-state");
            LinkedBlockingQueue<String> seen = new LinkedBlockingQueue<>();
            state.watch(t -> seen.add(String.valueOf(t)));
            state.update(t -> "{}").get(30, TimeUnit.SECONDS);
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            String last = null;
            while (!"{}".equals(last) && System.nanoTime() < end) {
                String s = seen.poll(100, TimeUnit.MILLISECONDS);
                last = s != null ? s : last;
            }
            assertEquals("{}", last);
            assertEquals("{}", api.client("shop").configMaps().withName("kodiak-admin-state").get().getData().get("state.json"));
        }
    }
}
