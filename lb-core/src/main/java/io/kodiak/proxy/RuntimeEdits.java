package io.kodiak.proxy;

import io.kodiak.config.PoolConfig;
import io.kodiak.config.UpstreamConfig;
import io.kodiak.upstream.AdminState;
import io.kodiak.upstream.PoolRuntime;
import io.kodiak.upstream.Upstream;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;

/**
 * The operator's changes to running pools through the admin API: upstreams added and removed
 * (HAProxy's {@code add server} and {@code del server}), admin states and weights. Each is in
 * force when its method returns. Added and removed upstreams are not written to the file, so a
 * reload or a restart goes back to what the file says; the running configuration follows them, so
 * a later reload compares with what runs.
 *
 * <p><b>Threading.</b> Called under the server's lock, so that an upstream is still in its pool
 * when a change applies (else leaving MAINT would restart the checks of a removed upstream); the
 * changes run on the {@link ControlLoop}'s thread.
 */
final class RuntimeEdits {
    /** The server's log, where these lines have always gone. */
    private static final Logger LOG = Logger.getLogger(ProxyServer.class.getName());
    private final Running running;
    private final ControlLoop control;
    private final Reloader reloader;
    private final Runnable syncMetrics;

    RuntimeEdits(Running running, ControlLoop control, Reloader reloader, Runnable syncMetrics) {
        this.running = running;
        this.control = control;
        this.reloader = reloader;
        this.syncMetrics = syncMetrics;
    }

    /**
     * Adds an upstream to a pool: in rotation at once (after its first check if the pool has
     * them, as at start).
     *
     * @return the new upstream
     * @throws IllegalArgumentException if the pool does not exist or already has that name or address
     */
    Upstream addUpstream(String pool, UpstreamConfig uc) {
        PoolRuntime p = running.pools().get(pool);
        if (p == null) {
            throw new IllegalArgumentException("no pool named \"" + pool + "\"");
        }
        // Every upstream, the discovered ones too: one at a discovered address would shadow it (the
        // file's list wins), and the operator's drain of it would be gone with it.
        for (Upstream o : p.upstreams()) {
            if (o.name().equals(uc.name()) || o.hostPort().equals(uc.address())) {
                throw new IllegalArgumentException("pool " + pool + " already has " + (o.name().equals(uc.name())
                        ? "an upstream named \"" + uc.name() + "\"" : "an upstream at " + uc.address() + " (" + o.name() + ")"));
            }
        }
        String unresolved = uc.unresolvable();
        if (unresolved != null) {
            throw new IllegalArgumentException("pool " + pool + ": upstream " + uc.name() + ": " + unresolved);
        }
        List<UpstreamConfig> ups = new ArrayList<>(p.config().upstreams());
        ups.add(uc);
        apply(p, Reloader.withUpstreams(p.config(), ups));
        return p.upstreams().stream().filter(u -> u.name().equals(uc.name())).findFirst().orElseThrow();
    }

    /**
     * Removes an upstream from its pool: no new request goes to it; those in flight finish.
     *
     * @throws IllegalArgumentException for an upstream a source found: the next answer would bring
     *                                  it back, so the source is where it goes (or a drain keeps it out)
     */
    void removeUpstream(Upstream u) {
        PoolRuntime p = poolOf(u);
        if (u.source() != null) {
            throw new IllegalArgumentException("discovered by " + u.source() + ": "
                    + (u.source().startsWith("kubernetes") ? "change the Service's endpoints" : "change DNS") + ", or drain it");
        }
        List<UpstreamConfig> ups = new ArrayList<>(p.config().upstreams());
        ups.removeIf(o -> o.name().equals(u.name()));
        apply(p, Reloader.withUpstreams(p.config(), ups));
    }

    /** Sets an upstream's admin state ({@link ControlLoop#setAdminState}). */
    void setAdminState(Upstream u, AdminState state) {
        control.setAdminState(poolOf(u), u, state);
    }

    /** Sets an upstream's weight ({@code -1}: the configured one). */
    void setWeight(Upstream u, int weight) {
        control.setWeight(poolOf(u), u, weight);
    }

    /**
     * {@code set} is what {@code source} now finds for {@code pool}, applied on the control loop as
     * a reload applies a pool ({@link Reloader#rediscover}). The running configuration does not
     * change: the set lives in the pool beside the file's list, so a reload keeps it. A pool a
     * reload removed meanwhile ignores it. The metrics follow whenever the set ran, even if the
     * control loop took too long to answer (the caller retries the set, which then changes nothing).
     */
    void discovered(String pool, String source, DiscoveredSet set, boolean initial) {
        PoolRuntime p = running.pools().get(pool);
        if (p == null) {
            return;
        }
        List<String> changes = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.concurrent.atomic.AtomicBoolean ran = new java.util.concurrent.atomic.AtomicBoolean();
        try {
            control.runAndWait(() -> {
                try {
                    reloader.rediscover(p, source, set, initial, changes);
                } finally {
                    ran.set(true);
                }
            });
        } finally {
            if (ran.get()) {
                syncMetrics.run();
            }
        }
        changes.forEach(line -> LOG.info(() -> "discovery: " + line));
    }

    /** {@code p} takes {@code next} through a reload's per-pool step; the running configuration follows. */
    private void apply(PoolRuntime p, PoolConfig next) {
        List<String> changes = new ArrayList<>();
        control.runAndWait(() -> reloader.reconfigure(p, next, changes));
        Map<String, PoolConfig> byName = new LinkedHashMap<>(running.config().pools());
        byName.put(next.name(), next);
        // withPools keeps everything else (resolvers, kubernetes, warnings), which the discovery
        // runtime compares with at the next reload.
        running.config(running.config().withPools(byName));
        syncMetrics.run();
        changes.forEach(line -> LOG.info(() -> "admin API: " + line));
    }

    /** @throws IllegalArgumentException if {@code u} is not an upstream of a running pool */
    PoolRuntime poolOf(Upstream u) {
        PoolRuntime p = running.pools().get(u.pool());
        if (p == null || !p.upstreams().contains(u)) {
            throw new IllegalArgumentException("not an upstream of this server: " + u);
        }
        return p;
    }
}
