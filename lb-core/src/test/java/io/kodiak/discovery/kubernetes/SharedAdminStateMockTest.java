package io.kodiak.discovery.kubernetes;

import io.kodiak.Kodiak;
import io.kodiak.admin.Ctl;
import io.kodiak.admin.Json;
import io.kodiak.config.ConfigLoader;
import io.kodiak.testing.CtlRun;
import io.kodiak.testing.ScriptedUpstream;
import io.kodiak.upstream.AdminState;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code admin.shared-state} end to end against fabric8's Kubernetes API mock (CRUD mode): two
 * Kodiak instances, each with its own client and {@link ConfigMapState} on one ConfigMap. A drain
 * through one instance's admin API lands in the ConfigMap and on the other instance; an RBAC
 * refusal is in the answer, and the change stays on the instance it was made on.
 */
@Timeout(90)
class SharedAdminStateMockTest {
    private static final String TOKEN = "shared-state-mock-token-0123";
    @TempDir
    Path dir;
    private final MockApi api = new MockApi();
    private final List<ScheduledExecutorService> threads = new ArrayList<>();
    private final List<Kodiak> kodiaks = new ArrayList<>();
    private final List<ScriptedUpstream> ups = new ArrayList<>();

    @AfterEach
    void stop() {
        api.close(); // first: see MockApi.close
        kodiaks.forEach(Kodiak::close);
        threads.forEach(ScheduledExecutorService::shutdownNow);
        ups.forEach(ScriptedUpstream::close);
    }

    /**
     * Instance 0 runs as Kodiak does (its server's discovery, a kubeconfig naming the mock); the
     * others get a client of the test's own.
     */
    private Kodiak instance(int i) throws Exception {
        ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor();
        threads.add(thread);
        Path kubeconfig = dir.resolve("kubeconfig");
        Files.writeString(kubeconfig, """
                apiVersion: v1
                kind: Config
                clusters: [{name: mock, cluster: {server: "%s"}}]
                users: [{name: me, user: {token: not-checked-by-the-mock}}]
                contexts: [{name: shop, context: {cluster: mock, user: me, namespace: shop}}]
                current-context: shop
                """.formatted(api.url()));
        String yaml = """
                kubernetes: {kubeconfig: %s}
                admin:
                  listen: 127.0.0.1:0
                  token: %s
                  state-file: off
                  shared-state: {configmap: kodiak-admin-state}
                metrics: off
                listeners: [{name: web, address: 127.0.0.1:0}]
                pools: {p: {upstreams: [{address: "%s", name: a}]}}
                """.formatted(kubeconfig, TOKEN, ups.get(0).hostPort());
        Kodiak k = i == 0 ? Kodiak.start(ConfigLoader.parse(yaml, dir.resolve("k" + i + ".yaml")))
                : Kodiak.start(ConfigLoader.parse(yaml, dir.resolve("k" + i + ".yaml")),
                        c -> ConfigMapState.start(api.client("shop"), null, c.admin().sharedState().configMap(), thread));
        kodiaks.add(k);
        return k;
    }

    private static CtlRun ctl(Kodiak k, String... args) {
        List<String> line = new ArrayList<>(List.of(args));
        line.addAll(List.of("--json", "--admin", "127.0.0.1:" + k.adminAddress().getPort(), "--token", TOKEN));
        return CtlRun.run(name -> null, line.toArray(String[]::new));
    }

    private static void await(String what, BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!done.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "not within 30 s: " + what);
            Thread.sleep(50);
        }
    }

    @Test
    void aDrainThroughOneInstanceReachesTheOtherThroughTheConfigMap() throws Exception {
        ups.add(ScriptedUpstream.start("a"));
        Kodiak one = instance(0);
        Kodiak two = instance(1);
        CtlRun r = ctl(one, "drain", "p", "a");
        assertEquals(Ctl.OK, r.code(), r.err());
        assertEquals("ok", ((Map<?, ?>) Json.parse(r.out())).get("shared"), r.out());
        await("the other instance drains a", () -> two.upstream("p", "a").adminState() == AdminState.DRAIN);
        String doc = api.client("shop").configMaps().withName("kodiak-admin-state").get().getData().get(ConfigMapState.KEY);
        assertTrue(doc.contains("\"state\": \"drain\""), doc);

        ctl(two, "ready", "p", "a");
        await("the first instance has a ready again", () -> one.upstream("p", "a").adminState() == AdminState.READY);
    }

    @Test
    void aWriteTheRoleDoesNotAllowIsInTheAnswerAndTheChangeStaysHere() throws Exception {
        ups.add(ScriptedUpstream.start("a"));
        Kodiak one = instance(0);
        api.fault(req -> req.getMethod().equals("GET") ? null
                : MockApi.status(403, "Forbidden", "configmaps \"kodiak-admin-state\" is forbidden: User \"system:serviceaccount:shop:kodiak\" cannot create resource \"configmaps\""));
        CtlRun r = ctl(one, "drain", "p", "a");
        assertEquals(Ctl.OK, r.code(), r.err());
        String shared = String.valueOf(((Map<?, ?>) Json.parse(r.out())).get("shared"));
        assertTrue(shared.startsWith("failed: ") && shared.contains("cannot create configmaps")
                && shared.contains("deploy/kubernetes/rbac-shared-state.yaml"), shared);
        assertEquals(AdminState.DRAIN, one.upstream("p", "a").adminState());
    }
}
