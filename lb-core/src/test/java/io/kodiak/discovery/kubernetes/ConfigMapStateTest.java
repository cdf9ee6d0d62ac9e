package io.kodiak.discovery.kubernetes;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.kodiak.discovery.SharedState;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The shared admin state as two Kodiak instances use it: two clients of fabric8's API mock (CRUD
 * mode, which refuses an update whose resourceVersion is not the current one with 409, as the
 * API server does), each with its own {@link ConfigMapState} on the same ConfigMap.
 */
class ConfigMapStateTest {
    private static final String NAME = "kodiak-admin-state";
    private final MockApi api = new MockApi();
    private final List<ScheduledExecutorService> threads = new ArrayList<>();
    private final List<SharedState> states = new ArrayList<>();

    @AfterEach
    void close() {
        api.close(); // first: see MockApi.close
        states.forEach(SharedState::close);
        threads.forEach(ScheduledExecutorService::shutdownNow);
    }

    /** One instance: its own client and discovery thread. */
    private SharedState instance(LinkedBlockingQueue<String> seen) {
        ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor();
        threads.add(thread);
        SharedState state = ConfigMapState.start(api.client("shop"), null, NAME, thread);
        states.add(state);
        state.watch(text -> seen.add(text == null ? "<none>" : text));
        return state;
    }

    private static String await(LinkedBlockingQueue<String> seen, String expected) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        List<String> all = new ArrayList<>();
        while (System.nanoTime() < end) {
            String s = seen.poll(100, TimeUnit.MILLISECONDS);
            if (s != null) {
                all.add(s);
                if (s.equals(expected)) {
                    return s;
                }
            }
        }
        throw new AssertionError("never saw " + expected + "; saw " + all);
    }

    private static void done(CompletableFuture<Void> f) throws Exception {
        f.get(30, TimeUnit.SECONDS);
    }

    @Test
    void twoInstancesSeeEachOthersChangesAndTheFirstCreatesTheConfigMap() throws Exception {
        LinkedBlockingQueue<String> a = new LinkedBlockingQueue<>();
        LinkedBlockingQueue<String> b = new LinkedBlockingQueue<>();
        SharedState one = instance(a);
        SharedState two = instance(b);
        await(a, "<none>");
        await(b, "<none>");

        done(one.update(text -> {
            assertNull(text, "no ConfigMap yet");
            return "{\"drain\":[\"10.0.0.5:8000\"]}";
        }));
        await(b, "{\"drain\":[\"10.0.0.5:8000\"]}");
        await(a, "{\"drain\":[\"10.0.0.5:8000\"]}");

        done(two.update(text -> text.replace("]", ",\"10.0.0.6:8000\"]")));
        await(a, "{\"drain\":[\"10.0.0.5:8000\",\"10.0.0.6:8000\"]}");

        ConfigMap stored = api.client("shop").configMaps().withName(NAME).get();
        assertEquals("{\"drain\":[\"10.0.0.5:8000\",\"10.0.0.6:8000\"]}", stored.getData().get(ConfigMapState.KEY));
        assertEquals("kodiak", stored.getMetadata().getLabels().get("app.kubernetes.io/name"));

        // a watcher added later gets the current text at once
        LinkedBlockingQueue<String> late = new LinkedBlockingQueue<>();
        two.watch(late::add);
        await(late, "{\"drain\":[\"10.0.0.5:8000\",\"10.0.0.6:8000\"]}");
    }

    @Test
    void aConcurrentUpdateIsRetriedOnTheNewText() throws Exception {
        KubernetesClient other = api.client("shop");
        other.configMaps().resource(new ConfigMapBuilder().withNewMetadata().withName(NAME).endMetadata()
                .addToData(ConfigMapState.KEY, "a").build()).create();
        LinkedBlockingQueue<String> seen = new LinkedBlockingQueue<>();
        SharedState state = instance(seen);
        AtomicInteger calls = new AtomicInteger();
        done(state.update(text -> {
            if (calls.incrementAndGet() == 1) {
                // another instance writes between our read and our write: ours gets 409
                ConfigMap cm = other.configMaps().withName(NAME).get();
                other.configMaps().resource(new ConfigMapBuilder(cm).addToData(ConfigMapState.KEY, text + "b").build()).update();
            }
            return text + "c";
        }));
        assertEquals(2, calls.get(), "run again after the conflict");
        await(seen, "abc");
        assertEquals("abc", other.configMaps().withName(NAME).get().getData().get(ConfigMapState.KEY));
    }

    @Test
    void endlessConflictsGiveUpAfterFiveAttempts() throws Exception {
        KubernetesClient other = api.client("shop");
        other.configMaps().resource(new ConfigMapBuilder().withNewMetadata().withName(NAME).endMetadata()
                .addToData(ConfigMapState.KEY, "0").build()).create();
        SharedState state = instance(new LinkedBlockingQueue<>());
        AtomicInteger calls = new AtomicInteger();
        ExecutionException e = assertThrows(ExecutionException.class, () -> done(state.update(text -> {
            calls.incrementAndGet();
            ConfigMap cm = other.configMaps().withName(NAME).get();
            other.configMaps().resource(new ConfigMapBuilder(cm).addToData(ConfigMapState.KEY, text + "x").build()).update();
            return text + "mine";
        })));
        assertEquals(ConfigMapState.ATTEMPTS, calls.get());
        assertTrue(e.getCause().getMessage().contains("still conflicting after 5 attempts"), e.getCause().getMessage());
    }

    @Test
    void aForbiddenWriteSaysWhichPermissionAndWhichManifest() throws Exception {
        api.fault(r -> r.getPath().contains("/configmaps") && !Objects.equals(r.getMethod(), "GET")
                ? MockApi.status(403, "Forbidden", "configmaps \"kodiak-admin-state\" is forbidden: User "
                + "\"system:serviceaccount:shop:kodiak\" cannot create resource \"configmaps\" in API group \"\" "
                + "in the namespace \"shop\"")
                : null);
        SharedState state = instance(new LinkedBlockingQueue<>());
        ExecutionException e = assertThrows(ExecutionException.class, () -> done(state.update(text -> "x")));
        assertEquals("shared admin state configmap shop/kodiak-admin-state: serviceaccount shop:kodiak cannot create "
                + "configmaps in namespace shop: apply deploy/kubernetes/rbac-shared-state.yaml", e.getCause().getMessage());
    }

    @Test
    void aForbiddenWatchIsLoggedOnceAMinuteAndRetried() throws Exception {
        AtomicBoolean denied = new AtomicBoolean(true);
        AtomicInteger lists = new AtomicInteger();
        api.fault(r -> {
            if (r.getPath().contains("/configmaps?") && denied.get()) {
                lists.incrementAndGet();
                return MockApi.status(403, "Forbidden", "configmaps is forbidden: User \"system:serviceaccount:shop:kodiak\" "
                        + "cannot list resource \"configmaps\" in API group \"\" in the namespace \"shop\"");
            }
            return null;
        });
        try (LogCapture logged = new LogCapture(ConfigMapState.class)) {
            ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor();
            threads.add(thread);
            LinkedBlockingQueue<String> seen = new LinkedBlockingQueue<>();
            SharedState state = ConfigMapState.start(api.client("shop"), null, NAME, thread, () -> 0L); // time stands still
            states.add(state);
            state.watch(t -> seen.add(t == null ? "<none>" : t));
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (lists.get() < 3 && System.nanoTime() < end) {
                Thread.sleep(20);
            }
            assertTrue(lists.get() >= 3, "retried: " + lists.get());
            assertEquals(List.of("shared admin state configmap shop/kodiak-admin-state: serviceaccount shop:kodiak cannot list "
                    + "configmaps in namespace shop: apply deploy/kubernetes/rbac-shared-state.yaml"), logged.at(Level.SEVERE));
            denied.set(false);
            await(seen, "<none>");
        }
    }

    @Test
    void closeFailsTheUpdatesStillWaiting() throws Exception {
        SharedState state = instance(new LinkedBlockingQueue<>());
        java.util.concurrent.CountDownLatch running = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch never = new java.util.concurrent.CountDownLatch(1);
        CompletableFuture<Void> first = state.update(t -> {
            running.countDown();
            try {
                never.await(); // until close interrupts it
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return t;
        });
        assertTrue(running.await(30, TimeUnit.SECONDS));
        CompletableFuture<Void> waiting = state.update(t -> "{}");
        state.close();
        ExecutionException e = assertThrows(ExecutionException.class, () -> waiting.get(30, TimeUnit.SECONDS));
        assertTrue(e.getCause().getMessage().contains("closed before the update ran"), e.getCause().getMessage());
        first.get(30, TimeUnit.SECONDS); // the one under way ends too (its change returned the text unchanged)
    }
}
