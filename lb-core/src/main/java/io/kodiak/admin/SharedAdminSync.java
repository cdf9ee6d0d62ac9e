package io.kodiak.admin;

import io.kodiak.discovery.SharedState;
import io.kodiak.upstream.AdminPresets;
import io.kodiak.upstream.AdminState;
import io.kodiak.upstream.PoolRuntime;
import io.kodiak.upstream.Upstream;

import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Admin states shared by several Kodiak instances through one document ({@code admin.shared-state}:
 * a Kubernetes ConfigMap every instance watches), so that {@code kodiak ctl drain} on any one
 * drains the upstream on all of them. Kubernetes is the coordinator the user already runs; HAProxy
 * and nginx have nothing like it (their users loop over the instances, as {@code ctl --all} does
 * where there is no Kubernetes).
 *
 * <ul>
 *   <li><b>Local change</b> ({@link #publish}): the change is already in force here (so
 *       {@code --wait} works as on one instance); then the upstream's entry is written into the
 *       document (compare-and-set, retried by the {@link SharedState}). A write that fails or takes
 *       longer than {@link #WRITE_WAIT} keeps the local change and says so to the caller, which
 *       puts it in the API's answer ({@code "shared": "failed: ..."}).</li>
 *   <li><b>Remote change</b>: each new text is compared with the last one applied, and only the
 *       upstreams whose entry changed are set here, through the same path as an operator's change
 *       (idempotent: setting the state an upstream has is a no-op). Diffing texts, not
 *       the document against the local state, means that an old text arriving late cannot undo a
 *       local change whose write is still on its way. An entry for an upstream this instance does
 *       not have (yet: a discovered address) becomes a preset for it. At start the first text is
 *       compared with the local state (the state file's), so the document wins when it exists.</li>
 * </ul>
 *
 * <p>Threading: {@link SharedState} calls the watcher on its own (discovery) thread, which must not
 * wait for the control loop; texts are handed to one daemon thread {@code kodiak-shared-apply},
 * which applies only the newest (older ones that it did not get to are skipped: a bound, and the
 * newest text says everything). {@link #publish} blocks its caller, an admin worker, up to
 * {@link #WRITE_WAIT}.
 */
public final class SharedAdminSync implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(SharedAdminSync.class.getName());
    /** How long a change waits for its write before the API answers without it. */
    public static final Duration WRITE_WAIT = Duration.ofSeconds(5);

    /** What the sync reads and changes here, without writing back to the document. */
    public interface Local {
        Collection<PoolRuntime> pools();

        void setAdminState(Upstream u, AdminState state);

        /** {@code -1}: the configured weight. */
        void setWeight(Upstream u, int weight);

        /** Where states for upstreams not made yet wait. */
        AdminPresets presets();

        /** A drain (or maint, or ready) by address, in every pool and for upstreams made there later. */
        void setAdminStateAt(String address, AdminState state);
    }

    private final SharedState shared;
    private final Local local;
    private final String where;
    private final ExecutorService applier = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "kodiak-shared-apply");
        t.setDaemon(true);
        return t;
    });
    private final AtomicReference<String> newest = new AtomicReference<>();
    private final AtomicBoolean queued = new AtomicBoolean();
    private SharedDocument applied; // the applier thread's

    private SharedAdminSync(SharedState shared, Local local, String where) {
        this.shared = shared;
        this.local = local;
        this.where = where;
    }

    /**
     * Starts following {@code shared}; {@code where} names it in log lines and answers (e.g.
     * {@code configmap shop/kodiak-admin-state}). Returns at once; the first text is applied when it comes.
     */
    public static SharedAdminSync start(SharedState shared, Local local, String where) {
        SharedAdminSync s = new SharedAdminSync(shared, local, where);
        s.applier.execute(() -> s.applied = SharedDocument.of(upstreams(local)));
        shared.watch(s::changed);
        return s;
    }

    private void changed(String text) {
        newest.set(text == null ? "" : text);
        if (queued.compareAndSet(false, true)) {
            try {
                applier.execute(this::applyNewest);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                LOG.fine(() -> "shared admin state: closed, change not applied");
            }
        }
    }

    private void applyNewest() {
        queued.set(false); // before reading, so a text set from now on queues another run
        String text = newest.get();
        SharedDocument next;
        try {
            next = SharedDocument.parse(text);
        } catch (IllegalArgumentException e) {
            LOG.warning(() -> "shared admin state (" + where + "): ignored, " + e.getMessage());
            return;
        }
        apply(next);
        applyAddresses(next);
        applied = next;
    }

    private void apply(SharedDocument next) {
        Set<String> keys = new LinkedHashSet<>(applied.upstreams().keySet());
        keys.addAll(next.upstreams().keySet());
        for (String key : keys) {
            SharedDocument.Want before = applied.upstreams().get(key);
            SharedDocument.Want after = next.upstreams().get(key);
            if (Objects.equals(before, after)) {
                continue;
            }
            SharedDocument.Want want = after;
            if (want == null) {
                String pool = key.substring(0, key.indexOf('/'));
                want = new SharedDocument.Want(pool, key.substring(pool.length() + 1), AdminState.READY, -1, 0);
            }
            Upstream u = find(want.pool(), want.upstream());
            if (u == null) {
                local.presets().setUpstream(want.pool(), want.upstream(), want.isDefault() ? null
                        : new AdminPresets.Preset(want.state(), want.weight(), System.currentTimeMillis()));
                continue;
            }
            try {
                set(u, want);
            } catch (RuntimeException e) { // it left its pool meanwhile, or the state file cannot be written
                LOG.log(Level.WARNING, "shared admin state (" + where + "): " + key + ": not applied here", e);
            }
        }
    }

    private void applyAddresses(SharedDocument next) {
        Set<String> keys = new LinkedHashSet<>(applied.addresses().keySet());
        keys.addAll(next.addresses().keySet());
        for (String address : keys) {
            AdminState before = applied.addresses().get(address);
            AdminState after = next.addresses().get(address);
            if (before == after) {
                continue;
            }
            AdminState state = after == null ? AdminState.READY : after;
            try {
                local.setAdminStateAt(address, state);
                LOG.info(() -> "shared admin state (" + where + "): address " + address + " set to " + state.apiName()
                        + " by another instance");
            } catch (RuntimeException e) { // a bad address someone wrote, or too many drained addresses
                LOG.log(Level.WARNING, "shared admin state (" + where + "): address " + address + ": not applied here", e);
            }
        }
    }

    private void set(Upstream u, SharedDocument.Want want) {
        if (u.adminState() != want.state()) {
            local.setAdminState(u, want.state());
            LOG.info(() -> "shared admin state (" + where + "): " + u.pool() + "/" + u.name() + " set to "
                    + want.state().apiName() + " by another instance");
        }
        int weight = want.weight();
        if (weight >= 0 && want.configuredWeight() != u.configuredWeight()) {
            // As the state file: a runtime weight holds only against the configured weight it was set for.
            LOG.info(() -> "shared admin state (" + where + "): " + u.pool() + "/" + u.name() + ": weight " + want.weight()
                    + " was set against configured weight " + want.configuredWeight() + ", here it is " + u.configuredWeight()
                    + ": kept at the configured one");
            weight = -1;
        }
        boolean same = weight < 0 ? !u.weightOverridden() : u.weightOverridden() && u.weight() == weight;
        if (!same) {
            local.setWeight(u, weight);
        }
    }

    private Upstream find(String pool, String name) {
        for (PoolRuntime p : local.pools()) {
            if (p.name().equals(pool)) {
                return p.upstreams().stream().filter(u -> u.name().equals(name)).findFirst().orElse(null);
            }
        }
        return null;
    }

    private static java.util.List<Upstream> upstreams(Local local) {
        return local.pools().stream().flatMap(p -> p.upstreams().stream()).toList();
    }

    /**
     * Writes {@code u}'s admin state and weight, as they are here now, into the document.
     *
     * @return {@code "ok"}, or {@code "failed: why"} (the change stays in force here)
     */
    public String publish(Upstream u) {
        SharedDocument.Want want = SharedDocument.Want.of(u);
        return write(document -> document.with(want), u.pool() + "/" + u.name(), u.adminState());
    }

    /**
     * Writes a drain by address (READY removes it) into the document.
     *
     * @return as {@link #publish}
     */
    public String publishAddress(String address, AdminState state) {
        return write(document -> document.withAddress(address, state, System.currentTimeMillis()), "address " + address,
                state);
    }

    private String write(java.util.function.UnaryOperator<SharedDocument> change, String what, AdminState state) {
        try {
            shared.update(text -> change.apply(SharedDocument.parse(text)).text())
                    .get(WRITE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            return "ok";
        } catch (TimeoutException e) {
            return failed(what, state, "no answer within " + WRITE_WAIT.toSeconds() + " s (the write may still land)");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            return failed(what, state, cause.getMessage() == null ? cause.toString() : cause.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return failed(what, state, "interrupted");
        }
    }

    private String failed(String what, AdminState state, String why) {
        LOG.warning(() -> "shared admin state (" + where + "): " + what + " is " + state.apiName()
                + " here, but the other instances were not told: " + why);
        return "failed: " + why;
    }

    @Override
    public void close() {
        applier.shutdownNow();
        shared.close();
    }

    @Override
    public String toString() {
        return "SharedAdminSync[" + where + "]";
    }
}
