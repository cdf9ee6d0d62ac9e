package io.kodiak.e2e;

import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.NamespacedKubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.kodiak.Kodiak;
import io.kodiak.config.ConfigLoader;
import io.kodiak.discovery.Readiness;
import io.kodiak.testing.Loopback;
import io.kodiak.testing.Gunicorn;
import io.kodiak.testing.NumberedLoad;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.RawResponse;
import io.kodiak.upstream.Upstream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A Service's EndpointSlices followed from fabric8's mock API server (CRUD mode; no cluster runs
 * here), in front of real Gunicorn on 127.0.0.2 and 127.0.0.3, under a numbered load: when a pod
 * starts terminating (its endpoint {@code serving && terminating}), Kodiak drains it with no one
 * acting, so its slow requests in flight finish and it gets no new one; when its endpoint goes,
 * its upstream goes. No request fails.
 */
@Timeout(180)
class KubernetesDiscoveryTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    @TempDir
    Path dir;
    private final List<Gunicorn> gunicorns = new ArrayList<>();
    private KubernetesMockServer api;
    private NamespacedKubernetesClient client;
    private Kodiak kodiak;
    private NumberedLoad load;
    private ExecutorService slow;

    @AfterEach
    void stop() throws InterruptedException {
        if (load != null) {
            load.stop();
        }
        if (slow != null) {
            slow.shutdownNow();
        }
        if (kodiak != null) {
            kodiak.close();
        }
        if (client != null) {
            client.close();
        }
        if (api != null) {
            api.destroy();
        }
        for (Gunicorn g : gunicorns) {
            g.kill();
        }
    }

    /** The slice of Service {@code web}: each address READY unless {@code terminating} names it. */
    private static EndpointSlice slice(int port, List<String> addresses, Set<String> terminating) {
        EndpointSliceBuilder b = new EndpointSliceBuilder().withNewMetadata().withName("web-x7k2p").withNamespace("shop")
                .addToLabels("kubernetes.io/service-name", "web").endMetadata()
                .withAddressType("IPv4")
                .addNewPort().withName("http").withPort(port).withProtocol("TCP").endPort();
        for (String a : addresses) {
            boolean t = terminating.contains(a);
            b.addNewEndpoint().withAddresses(a)
                    .withNewConditions().withReady(!t).withServing(true).withTerminating(t).endConditions()
                    .withNewTargetRef().withKind("Pod").withNamespace("shop").withName("web-" + a.substring(a.lastIndexOf('.') + 1))
                    .endTargetRef().endEndpoint();
        }
        return b.build();
    }

    private Map<Integer, Upstream> byOctet() {
        return kodiak.pool("app").upstreams().stream().collect(Collectors.toMap(
                u -> Integer.parseInt(u.addressText().split("[.:]")[3]), u -> u));
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline >= 0) {
                fail("not " + what + " within " + WAIT);
            }
            Thread.sleep(20);
        }
    }

    @Test
    void aTerminatingPodDrainsWithItsSlowRequestsFinishingAndNoRequestFails() throws Exception {
        int port = Loopback.portFreeOn(2, 3);
        for (int i = 2; i <= 3; i++) {
            gunicorns.add(Gunicorn.builder("pod" + i).host("127.0.0." + i).port(port)
                    .workerClass(Gunicorn.WorkerClass.GTHREAD).threads(8).start()); // slow requests leave threads for the rest
        }
        api = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), new KubernetesCrudDispatcher(), false);
        api.init(InetAddress.getByName("127.0.0.1"), 0);
        client = api.createClient();
        client.discovery().v1().endpointSlices().inNamespace("shop")
                .resource(slice(port, List.of("127.0.0.2", "127.0.0.3"), Set.of())).create();
        Path kubeconfig = dir.resolve("kubeconfig");
        Files.writeString(kubeconfig, """
                apiVersion: v1
                kind: Config
                clusters: [{name: mock, cluster: {server: "http://127.0.0.1:%d"}}]
                users: [{name: kodiak, user: {token: test-token}}]
                contexts: [{name: mock, context: {cluster: mock, user: kodiak, namespace: shop}}]
                current-context: mock
                """.formatted(api.getPort()));
        String yaml = """
                admin:
                  listen: off
                  state-file: off
                metrics: off
                kubernetes: {kubeconfig: %s}
                listeners:
                  - name: web
                    address: 127.0.0.1:0
                pools:
                  app:
                    upstreams:
                      - {kubernetes: {service: web, namespace: shop, port: http}}
                """.formatted(kubeconfig);
        kodiak = Kodiak.start(ConfigLoader.parse(yaml, dir.resolve("kodiak.yaml")));
        await("both pods are upstreams", () -> byOctet().keySet().equals(Set.of(2, 3))
                && kodiak.pool("app").selection().members().size() == 2);
        assertEquals("web[127.0.0.3:" + port + "]", byOctet().get(3).name());

        int web = kodiak.boundAddress("web").getPort();
        load = NumberedLoad.start(web, 2, 20, Duration.ofMinutes(2));
        load.awaitMore(50, WAIT);

        slow = Executors.newFixedThreadPool(4);
        List<Future<RawResponse>> slowOnes = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            slowOnes.add(slow.submit(() -> {
                try (RawClient c = RawClient.connect(web)) {
                    return c.get("/sleep?ms=3000");
                }
            }));
        }
        Upstream three = byOctet().get(3);
        await("a slow request in flight at pod 3", () -> three.inFlight() > 0);

        // kubectl delete pod web-3: its endpoint turns serving && terminating (ready false).
        client.discovery().v1().endpointSlices().inNamespace("shop")
                .resource(slice(port, List.of("127.0.0.2", "127.0.0.3"), Set.of("127.0.0.3"))).update();
        await("pod 3 drains", () -> three.discovery() == Readiness.DRAIN);
        long afterDrain = load.nextSeq();
        assertEquals("DRAIN", three.state());
        assertTrue(three.stateReasons().contains("discovery"), three.stateReasons().toString());
        Set<String> from = new TreeSet<>();
        for (Future<RawResponse> f : slowOnes) {
            RawResponse r = f.get(30, TimeUnit.SECONDS);
            assertEquals(200, r.status(), "a slow request finished: " + r);
            from.add(r.header("X-Instance"));
        }
        assertTrue(from.contains("pod3"), "the terminating pod finished its slow requests: " + from);
        load.awaitMore(100, WAIT);
        List<Long> late = NumberedLoad.seqs(gunicorns.get(1).accessLogLines()).stream().filter(s -> s >= afterDrain).toList();
        assertEquals(List.of(), late, "pod 3 got requests issued after it started terminating");

        // The pod is gone: its endpoint leaves the slice, and its upstream the pool.
        client.discovery().v1().endpointSlices().inNamespace("shop")
                .resource(slice(port, List.of("127.0.0.2"), Set.of())).update();
        await("pod 3 is gone", () -> byOctet().keySet().equals(Set.of(2)));
        assertTrue(three.removed());
        load.awaitMore(50, WAIT);
        load.stop();
        assertEquals(List.of(), load.failures().stream().limit(5).toList(), load.failures().size() + " of "
                + (load.ok() + load.failures().size()) + " requests failed");
    }
}
