package io.kodiak.discovery.kubernetes;

import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.kodiak.discovery.EndpointSet;
import io.kodiak.discovery.SourceStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.logging.Level;

import static io.kodiak.discovery.kubernetes.Slices.conditions;
import static io.kodiak.discovery.kubernetes.Slices.endpoint;
import static io.kodiak.discovery.kubernetes.Slices.port;
import static io.kodiak.discovery.kubernetes.Slices.ready;
import static io.kodiak.discovery.kubernetes.Slices.slice;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The EndpointSlice watch against fabric8's API mock in CRUD mode: what the EndpointSlice
 * controller would write is created, changed and deleted, and the sets the watch reports follow.
 */
class EndpointSliceWatchTest {
    private final MockApi api = new MockApi();
    private final ScheduledExecutorService discovery = Executors.newSingleThreadScheduledExecutor();
    private final Sets sets = new Sets();
    private final List<EndpointSliceWatch> watches = new ArrayList<>();
    private EndpointSliceWatch watch;

    @AfterEach
    void close() {
        api.close(); // first: see MockApi.close
        watches.forEach(EndpointSliceWatch::close);
        discovery.shutdownNow();
    }

    private EndpointSliceWatch watch(KubernetesClient client, String service, String port) {
        return watch(client, service, port, sets, System::nanoTime);
    }

    private EndpointSliceWatch watch(KubernetesClient client, String service, String port, Sets to, LongSupplier ticker) {
        watch = EndpointSliceWatch.start(client, null, service, port, to, discovery, ticker, System::currentTimeMillis, 50);
        watches.add(watch);
        return watch;
    }

    private static void create(KubernetesClient client, EndpointSlice slice) {
        client.discovery().v1().endpointSlices().resource(slice).create();
    }

    private static void replace(KubernetesClient client, EndpointSlice slice) {
        client.discovery().v1().endpointSlices().resource(slice).update();
    }

    @Test
    void addsUpdatesAndDeletesFollowTheSlices() throws Exception {
        KubernetesClient client = api.client("shop");
        watch(client, "web", "http");
        assertEquals("", Sets.show(sets.await("the first (empty) list", s -> true)));

        create(client, slice("web", "web-abc", List.of(port("http", 8000)),
                ready("10.0.0.1", "web-1"), ready("10.0.0.2", "web-2")));
        EndpointSet two = sets.await("two addresses", s -> s.endpoints().size() == 2);
        assertEquals("10.0.0.1:8000 READY web-1, 10.0.0.2:8000 READY web-2", Sets.show(two));
        assertEquals("web.shop.svc", two.endpoints().get(0).host());
        assertEquals("zone-a", two.endpoints().get(0).zone());

        // a rollout: web-1 is being deleted and still serves, web-2 failed its readiness probe,
        // web-3 is new and its controller left ready unset (nil means ready)
        replace(client, slice("web", "web-abc", List.of(port("http", 8000)),
                endpoint("10.0.0.1", "web-1", conditions(false, true, true)),
                endpoint("10.0.0.2", "web-2", conditions(false, false, false)),
                endpoint("10.0.0.3", "web-3", conditions(null, null, null))));
        EndpointSet rolled = sets.await("web-3", s -> s.endpoints().size() == 3);
        assertEquals("10.0.0.1:8000 DRAIN web-1, 10.0.0.2:8000 OUT web-2, 10.0.0.3:8000 READY web-3", Sets.show(rolled));

        // the pod is gone: not serving any more while terminating
        replace(client, slice("web", "web-abc", List.of(port("http", 8000)),
                endpoint("10.0.0.1", "web-1", conditions(false, false, true)),
                ready("10.0.0.3", "web-3")));
        assertEquals("10.0.0.1:8000 OUT web-1, 10.0.0.3:8000 READY web-3",
                Sets.show(sets.await("web-2 gone", s -> s.endpoints().size() == 2)));

        client.discovery().v1().endpointSlices().withName("web-abc").delete();
        assertEquals("", Sets.show(sets.await("no slice", s -> s.endpoints().isEmpty())));
        SourceStatus status = watch.status();
        assertEquals(0, status.addresses());
        assertNull(status.lastError());
        assertTrue(status.lastSuccessMillis() > 0);
        assertTrue(status.results().get("ok") >= 1, status.results().toString());
    }

    @Test
    void slicesOfOneServiceAreUnitedAndOtherServicesIgnored() throws Exception {
        KubernetesClient client = api.client("shop");
        List<io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort> ports = List.of(port("http", 8000), port("metrics", 9100));
        create(client, slice("web", "web-1", ports, ready("10.0.0.1", "web-1")));
        create(client, slice("web", "web-2", ports, ready("10.0.0.2", "web-2"), ready("10.0.0.1", "web-1")));
        create(client, slice("api", "api-1", ports, ready("10.0.9.9", "api-1")));

        // three watches side by side (closing one mid-test would stall the mock: see MockApi.close)
        watch(client, "web", "http");
        assertEquals("10.0.0.1:8000 READY web-1, 10.0.0.2:8000 READY web-2",
                Sets.show(sets.await("both slices", s -> s.endpoints().size() == 2)));

        Sets byNumber = new Sets();
        watch(client, "web", "9100", byNumber, System::nanoTime);
        assertEquals("10.0.0.1:9100 READY web-1, 10.0.0.2:9100 READY web-2",
                Sets.show(byNumber.await("port 9100", s -> s.endpoints().size() == 2)));

        Sets unnamed = new Sets();
        watch(client, "web", null, unnamed, System::nanoTime);
        assertEquals("", Sets.show(unnamed.await("nothing: two ports and none named", s -> !s.stale())));
        awaitFollowing(); // else a slow watch, not yet up, would be the status' error
        assertEquals("the Service has ports http=8000, metrics=9100: name one with port:", watch.status().lastError());
    }

    @Test
    void aDroppedWatchKeepsTheLastSetAsStaleThenReconnects() throws Exception {
        KubernetesClient client = api.client("shop");
        create(client, slice("web", "web-1", List.of(port("http", 8000)), ready("10.0.0.1", "web-1")));
        watch(client, "web", "http");
        sets.await("the first address", s -> s.endpoints().size() == 1 && !s.stale());
        awaitFollowing();
        // Under load the watch may have come up late (a stale set, then a fresh one): the
        // watch's own checks saw it up, so what is queued is old news.
        sets.skipQueued();

        api.stop(); // the API server goes away: the watch drops and reconnects fail
        EndpointSet stale = sets.await("a stale set", EndpointSet::stale);
        assertEquals("10.0.0.1:8000 READY web-1", Sets.show(stale.endpoints()), "the last set is kept");
        assertTrue(watch.status().stale());
        // found either by the watch check (a drop, "reconnect") or by fabric8 giving up a watch or a list ("error")
        Map<String, Long> results = watch.status().results();
        assertTrue(results.getOrDefault("reconnect", 0L) + results.getOrDefault("error", 0L) >= 1, results.toString());

        api.restart(); // an API server again (empty: the mock forgets), and the controller writes the slice anew
        // before or after the watch is back: the mock sends what it holds when a watch opens. Under
        // a new name, as the controller names slices: the restarted mock counts resourceVersions
        // from 1 again, and fabric8's store drops an update whose resourceVersion equals the old one.
        create(client, slice("web", "web-2", List.of(port("http", 8000)), ready("10.0.0.1", "web-1"), ready("10.0.0.4", "web-4")));
        EndpointSet fresh = sets.await("a fresh set with web-4", s -> !s.stale() && s.endpoints().size() == 2);
        assertNull(fresh.error());
        assertEquals("10.0.0.1:8000 READY web-1, 10.0.0.4:8000 READY web-4", Sets.show(fresh));
        assertTrue(!watch.status().stale());
    }

    /**
     * Until the watch's own checks (on the discovery thread) saw the informer's watch up: not
     * the informer itself, whose watch may be up before a check looked (the race that made the
     * drop test flaky under load: a drop no check had seen the watch up before went unnoticed).
     */
    private void awaitFollowing() throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!watch.following() && System.nanoTime() < end) {
            Thread.sleep(20);
        }
        assertTrue(watch.following(), "the watch never started");
    }

    @Test
    void forbiddenIsReportedWithThePermissionAndRetried() throws Exception {
        KubernetesClient client = api.client("shop");
        create(client, slice("web", "web-1", List.of(port("http", 8000)), ready("10.0.0.1", "web-1")));
        AtomicBoolean denied = new AtomicBoolean(true);
        api.fault(r -> denied.get() && r.getPath().contains("endpointslices")
                ? MockApi.status(403, "Forbidden", "endpointslices.discovery.k8s.io is forbidden: User "
                + "\"system:serviceaccount:shop:kodiak\" cannot list resource \"endpointslices\" in API group "
                + "\"discovery.k8s.io\" in the namespace \"shop\"")
                : null);
        AtomicLong ticker = new AtomicLong(); // time stands still: the SEVERE line is not repeated
        try (LogCapture logged = new LogCapture(EndpointSliceWatch.class)) {
            watch(client, "web", "http", sets, ticker::get);
            String expected = "serviceaccount shop:kodiak cannot list endpointslices.discovery.k8s.io in namespace shop: "
                    + "apply deploy/kubernetes/rbac.yaml";
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (watch.status().results().getOrDefault("forbidden", 0L) < 2 && System.nanoTime() < end) {
                Thread.sleep(20);
            }
            SourceStatus status = watch.status();
            assertTrue(status.results().getOrDefault("forbidden", 0L) >= 2, "retried: " + status.results());
            assertEquals(expected, status.lastError());
            assertEquals(List.of("Kubernetes discovery of kubernetes shop/web:http: " + expected), logged.at(Level.SEVERE),
                    "once a minute at most");

            denied.set(false); // the Role is applied
            assertEquals("10.0.0.1:8000 READY web-1", Sets.show(sets.await("the set once allowed",
                    s -> s.endpoints().size() == 1 && !s.stale())));
            assertNull(watch.status().lastError());
        }
    }

    @Test
    void listAllowedWatchForbiddenStaysStaleInsteadOfFlapping() throws Exception {
        KubernetesClient client = api.client("shop");
        create(client, slice("web", "web-1", List.of(port("http", 8000)), ready("10.0.0.1", "web-1")));
        AtomicBoolean denied = new AtomicBoolean(true);
        api.fault(r -> denied.get() && r.getPath().contains("endpointslices") && r.getPath().contains("watch=true")
                ? MockApi.status(403, "Forbidden", "endpointslices.discovery.k8s.io is forbidden: User "
                + "\"system:serviceaccount:shop:kodiak\" cannot watch resource \"endpointslices\" in API group "
                + "\"discovery.k8s.io\" in the namespace \"shop\"")
                : null);
        List<EndpointSet> all = new ArrayList<>();
        watch = EndpointSliceWatch.start(client, null, "web", "http", set -> {
            synchronized (all) {
                all.add(set);
            }
        }, discovery, System::nanoTime, System::currentTimeMillis, 50);
        watches.add(watch);
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (watch.status().results().getOrDefault("forbidden", 0L) < 3 && System.nanoTime() < end) {
            Thread.sleep(20);
        }
        assertTrue(watch.status().results().getOrDefault("forbidden", 0L) >= 3, "retried: " + watch.status().results());
        assertTrue(watch.status().stale());
        // the watch's error carries no Status, so the account is not named; the verb is the watch's
        assertTrue(watch.status().lastError().endsWith(" cannot watch endpointslices.discovery.k8s.io in namespace shop: "
                + "apply deploy/kubernetes/rbac.yaml"), watch.status().lastError());
        synchronized (all) {
            int firstStale = 0;
            while (firstStale < all.size() && !all.get(firstStale).stale()) {
                firstStale++;
            }
            List<String> after = all.subList(firstStale, all.size()).stream().map(Sets::show).toList();
            assertTrue(after.stream().allMatch(s -> s.contains("(stale: ")), "stale from the first 403 on, no flapping: " + after);
        }
    }
}
