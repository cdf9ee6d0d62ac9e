package io.kodiak.proxy;

import io.kodiak.accesslog.AccessLog;
import io.kodiak.buffer.SpoolIo;
import io.kodiak.buffer.TempDir;
import io.kodiak.config.KodiakConfig;
import io.kodiak.config.ListenerConfig;
import io.kodiak.config.PoolConfig;
import io.kodiak.config.TlsConfig;
import io.kodiak.config.UpstreamConfig;
import io.kodiak.upstream.PoolRuntime;
import io.kodiak.upstream.Upstream;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Applies a new configuration to a running {@link ProxyServer} without closing a client
 * connection or failing a request in flight: pools are changed in place
 * ({@link PoolRuntime#reconfigure}: kept upstreams keep their load state, admin state and
 * health), added or removed; a listener whose address is unchanged takes its new routes,
 * timeouts and limits; a listener on a new address is bound first, and one whose address is gone
 * stops accepting and closes its connections as they go idle. If a new address cannot be bound,
 * nothing changes. A listener keeps its access log when its {@code access-log} and name are
 * unchanged; otherwise the new log is opened before anything changes (a target that cannot be
 * opened rejects the reload like an address that cannot be bound), swapped in, and the old one
 * closed with a bounded drain. A runtime edit of one pool ({@link RuntimeEdits}) goes through the same
 * per-pool step, {@link #reconfigure}.
 *
 * <p><b>Threading.</b> Called under the server's lock, one reload or runtime edit at a time; pool
 * changes run on the {@link ControlLoop}'s thread, so that no health transition interleaves.
 */
final class Reloader {
    private final Running running;
    private final Listeners listeners;
    private final ProxyContext ctx;
    private final ControlLoop control;
    private final SpoolIo spoolIo;
    private final TimeoutSweeper sweeper;
    /** Seeds the strategies of new pools, as at start. */
    private final SplittableRandom seeds;
    /** Brings the MBeans in step with the pools, upstreams and listeners now running. */
    private final Runnable syncMetrics;
    private final AccessLogs accessLogs;
    /** Given to every pool a reload adds, as to those made at start. */
    private final io.kodiak.upstream.AdminPresets presets;

    Reloader(Running running, Listeners listeners, ProxyContext ctx, ControlLoop control, SpoolIo spoolIo,
             TimeoutSweeper sweeper, SplittableRandom seeds, Runnable syncMetrics, AccessLogs accessLogs,
             io.kodiak.upstream.AdminPresets presets) {
        this.presets = presets;
        this.running = running;
        this.listeners = listeners;
        this.ctx = ctx;
        this.control = control;
        this.spoolIo = spoolIo;
        this.sweeper = sweeper;
        this.seeds = seeds;
        this.syncMetrics = syncMetrics;
        this.accessLogs = accessLogs;
    }

    /**
     * Applies {@code next} as the class comment says.
     *
     * @return one line per change, for the log and the admin API
     * @throws IOException if a new listener address cannot be bound, an access log cannot be
     *                     opened, or a listener would turn TLS on or off (the old configuration stays)
     */
    List<String> reload(KodiakConfig next) throws IOException {
        List<String> changes = new ArrayList<>();
        Map<String, PoolRuntime> before = running.pools();
        requireResolvable(next, before); // before anything changes: a half-applied reload is worse than none
        Path tempDir = TempDir.prepare(next.temp().dir());
        // A listener is its address: one whose address stays is updated, a new address is bound.
        Map<InetSocketAddress, Listeners.Bound> byAddress = new HashMap<>();
        for (Listeners.Bound b : listeners.all()) {
            byAddress.put(b.runtime().config.address(), b);
        }
        // Whether a port speaks TLS is fixed by the filters it was bound with; its certificates are not.
        for (ListenerConfig lc : next.listeners()) {
            Listeners.Bound b = byAddress.get(lc.address());
            if (b != null && (b.runtime().config.tls() == null) != (lc.tls() == null)) {
                throw new IOException("listener " + lc.name() + ": turning TLS " + (lc.tls() == null ? "off" : "on")
                        + " on " + lc.address().getHostString() + ":" + lc.address().getPort()
                        + " needs a restart (or a new address); the certificates of a TLS listener reload");
            }
            if (b != null && (b.runtime().config.proxyProtocol() == null) != (lc.proxyProtocol() == null)) {
                throw new IOException("listener " + lc.name() + ": turning proxy-protocol " + (lc.proxyProtocol() == null
                        ? "off" : "on") + " on " + lc.address().getHostString() + ":" + lc.address().getPort()
                        + " needs a restart (or a new address); proxy-protocol-from and real-ip reload");
            }
        }
        Map<String, AccessLog> nextLogs = new HashMap<>();
        List<AccessLog> opened = openAccessLogs(next, byAddress, nextLogs);
        Map<String, PoolRuntime> after = new LinkedHashMap<>();
        List<PoolRuntime> added = new ArrayList<>();
        for (PoolConfig pc : next.pools().values()) {
            PoolRuntime p = before.get(pc.name());
            if (p == null) {
                p = new PoolRuntime(pc, seeds.split());
                p.presets(presets);
                added.add(p);
            }
            after.put(pc.name(), p);
        }
        // Parts of new pools first: a new listener may route a request to one at once.
        for (PoolRuntime p : added) {
            addPoolParts(p, ctx.queues, ctx.connectionPools);
        }
        Map<String, Listeners.Bound> nextListeners = new LinkedHashMap<>();
        List<Listeners.Bound> newlyBound = new ArrayList<>();
        io.kodiak.limit.LimitZones zones = ctx.features.limitZones();
        try {
            // Every limit zone the new configuration names is made now, while the reload can still
            // roll back: a table of max-keys keys is the largest thing a reload allocates.
            zones.stage(next.listeners());
            for (ListenerConfig lc : next.listeners()) {
                Listeners.Bound b = byAddress.remove(lc.address());
                if (b == null) {
                    ListenerRuntime lr = new ListenerRuntime(lc, after, ctx.acme.challengesFor(next), ctx.features);
                    lr.accessLog = nextLogs.get(lc.name());
                    b = listeners.bind(lr);
                    newlyBound.add(b);
                    changes.add("listener " + lc.name() + ": now on " + lc.address().getHostString() + ":" + lc.address().getPort());
                }
                nextListeners.put(lc.name(), b);
            }
        } catch (Throwable e) { // an Error too (out of memory making a zone): nothing may stay half-applied
            zones.discard();
            for (Listeners.Bound b : newlyBound) {
                listeners.unbind(b);
            }
            for (PoolRuntime p : added) {
                removePoolParts(p);
            }
            accessLogs.close(opened, AccessLogs.RELOAD_DRAIN); // never offered an entry: they stop at once
            throw e;
        }
        try {
            return apply(next, before, after, added, byAddress, nextListeners, newlyBound, nextLogs, tempDir, changes);
        } finally {
            zones.commit(); // done in apply; here too if it threw: the routers built use the staged zones
        }
    }

    /** The part of {@link #reload} that cannot roll back: everything it needed is made and bound. */
    private List<String> apply(KodiakConfig next, Map<String, PoolRuntime> before, Map<String, PoolRuntime> after,
                               List<PoolRuntime> added, Map<InetSocketAddress, Listeners.Bound> byAddress,
                               Map<String, Listeners.Bound> nextListeners, List<Listeners.Bound> newlyBound,
                               Map<String, AccessLog> nextLogs, Path tempDir, List<String> changes) {
        // Pools, on the control loop's thread, so that no health transition interleaves.
        control.runAndWait(() -> {
            for (PoolRuntime p : added) {
                control.addPool(p);
                changes.add("pool " + p.name() + ": added with " + p.upstreams().size() + " upstream(s)");
            }
            for (PoolConfig pc : next.pools().values()) {
                PoolRuntime p = before.get(pc.name());
                if (p != null) {
                    reconfigure(p, pc, changes);
                }
            }
        });
        List<AccessLog> retired = new ArrayList<>();
        for (ListenerConfig lc : next.listeners()) {
            Listeners.Bound b = nextListeners.get(lc.name());
            if (!newlyBound.contains(b)) {
                ListenerRuntime lr = b.runtime();
                TlsConfig was = lr.config.tls();
                boolean tlsSettings = was != null && (!Objects.equals(was.hsts(), lc.tls().hsts())
                        || !was.handshakes().equals(lc.tls().handshakes()));
                if (tlsSettings || !lr.config.withAccessLog(null).withTls(null).equals(lc.withAccessLog(null).withTls(null))) {
                    changes.add("listener " + lc.name() + ": routes and settings updated");
                }
                if (lc.tls() != null && lc.tls().sameCertificates(was)) {
                    // The same certificates: keep the same context, and with it the session cache
                    // and ticket keys, so clients resume across a reload that changed nothing here.
                    lc = lc.withTls(lc.tls().withServer(was.server()));
                } else if (lc.tls() != null) {
                    changes.add("listener " + lc.name() + ": certificates reloaded");
                }
                lr.update(lc, after, ctx.acme.challengesFor(next));
                AccessLog log = nextLogs.get(lc.name());
                if (lr.accessLog != log) {
                    retired.add(lr.accessLog);
                    lr.accessLog = log; // exchanges that end from now on log here
                    changes.add("listener " + lc.name() + ": " + (lc.accessLog() == null ? "access log off" : lc.accessLog()));
                }
            }
        }
        running.pools(after);
        // Removed pools last, once no listener routes a new request to them.
        control.runAndWait(() -> {
            for (PoolRuntime p : before.values()) {
                if (!after.containsKey(p.name())) {
                    for (Upstream u : p.upstreams()) {
                        retireWhenIdle(u);
                    }
                    int answered = control.removePool(p);
                    changes.add("pool " + p.name() + ": removed (requests in flight finish"
                            + (answered == 0 ? ")" : "; the " + answered + " waiting in its queue got 503 or the error page)"));
                }
            }
        });
        for (Listeners.Bound gone : byAddress.values()) {
            // Its requests still in flight lose their lines (counted as dropped): the log of a
            // listener that is gone has no one to close it later.
            retired.add(gone.runtime().accessLog);
            listeners.unbind(gone);
            for (ClientSession s : ctx.sessions()) {
                if (s.listener == gone.runtime()) {
                    s.closeWhenIdle();
                }
            }
            changes.add("listener " + gone.runtime().config.name() + ": stopped listening on "
                    + gone.runtime().config.address().getHostString() + ":" + gone.runtime().config.address().getPort()
                    + " (open connections close when idle)");
        }
        listeners.replaceAll(nextListeners);
        if (!next.temp().equals(running.config().temp())) {
            spoolIo.configure(tempDir, next.temp().maxTotal());
            changes.add("temp: " + tempDir + ", at most " + next.temp().maxTotal() + " bytes (new temp files)");
        }
        running.config(next);
        sweeper.period(TimeoutSweeper.periodFor(next));
        ctx.features.limitZones().commit(); // every router is built: the metrics list the new zones
        syncMetrics.run();
        accessLogs.close(retired, AccessLogs.RELOAD_DRAIN);
        return changes;
    }

    /**
     * Fills {@code logs} with the access log of every listener of {@code next} by name: the one it
     * has when its name and {@code access-log} stay, else one opened now (or {@code null} for none).
     *
     * @return the logs opened, for the caller to close if the reload fails later
     * @throws IOException if one cannot be opened; those opened before it are closed again
     */
    private List<AccessLog> openAccessLogs(KodiakConfig next, Map<InetSocketAddress, Listeners.Bound> byAddress,
                                           Map<String, AccessLog> logs) throws IOException {
        List<AccessLog> opened = new ArrayList<>();
        // Matched as the binding loop will match them (each bound listener once), so that a log
        // kept here is the one its listener keeps there.
        Map<InetSocketAddress, Listeners.Bound> unmatched = new HashMap<>(byAddress);
        try {
            for (ListenerConfig lc : next.listeners()) {
                Listeners.Bound b = unmatched.remove(lc.address());
                ListenerConfig was = b == null ? null : b.runtime().config;
                if (was != null && was.name().equals(lc.name()) && Objects.equals(was.accessLog(), lc.accessLog())) {
                    logs.put(lc.name(), b.runtime().accessLog);
                } else {
                    AccessLog log = accessLogs.open(lc);
                    if (log != null) {
                        opened.add(log);
                    }
                    logs.put(lc.name(), log);
                }
            }
        } catch (IOException | RuntimeException e) {
            accessLogs.close(opened, AccessLogs.RELOAD_DRAIN);
            throw e;
        }
        return opened;
    }

    /** The control loop's thread: {@code p} takes {@code pc}; its connection pools and queue follow. */
    void reconfigure(PoolRuntime p, PoolConfig given, List<String> changes) {
        PoolConfig was = p.config();
        boolean tlsChanged = !Objects.equals(was.tls(), given.tls());
        // The same settings and certificates: keep the same object, and with it the pooled
        // connections (matched by identity) and the TLS sessions they resume.
        PoolConfig pc = tlsChanged || given.tls() == null ? given : given.withTls(was.tls());
        if (tlsChanged) {
            changes.add("pool " + p.name() + ": " + (pc.tls() == null ? "plain HTTP to the upstreams" : "TLS to the upstreams: "
                    + pc.tls()) + " (pooled connections close)");
        }
        // With the new config's limits: p.config() is still the old one until reconfigure publishes.
        PoolRuntime.Change ch = p.reconfigure(pc, u -> ctx.connectionPools.put(u, newConnectionPool(pc)));
        for (Upstream u : ch.added()) {
            changes.add("pool " + p.name() + ": upstream " + u.name() + " (" + u.hostPort() + ") added");
        }
        for (Upstream u : ch.kept()) {
            ConnectionPool cp = ctx.connectionPools.get(u);
            if (cp != null) {
                cp.reconfigure(pc.connections().maxIdle(), pc.connections().idleTimeout().toNanos(), pc.tls());
            }
        }
        for (Upstream u : ch.removed()) {
            retireWhenIdle(u);
            changes.add("pool " + p.name() + ": upstream " + u.name() + " (" + u.hostPort() + ") removed"
                    + (u.inFlight() == 0 ? "" : "; its " + u.inFlight() + " request(s) in flight finish"));
        }
        for (UpstreamConfig uc : pc.upstreams()) {
            UpstreamConfig old = was.upstreams().stream().filter(o -> o.name().equals(uc.name()) && o.address().equals(uc.address()))
                    .findFirst().orElse(null);
            if (old != null && (old.weight() != uc.weight() || old.maxConnections() != uc.maxConnections())) {
                changes.add("pool " + p.name() + ": upstream " + uc.name() + " now weight " + uc.weight()
                        + (uc.maxConnections() == 0 ? "" : ", max-connections " + uc.maxConnections()));
            }
        }
        WaitQueue q = ctx.queues.get(p);
        q.maxLength(pc.queue().maxLength());
        control.reconfigured(p, was.healthCheck(), tlsChanged, ch);
        if (!withoutUpstreams(was).withTls(null).equals(withoutUpstreams(pc).withTls(null))) {
            changes.add("pool " + p.name() + ": settings changed");
        }
    }

    /**
     * The control loop's thread: {@code source} now finds {@code set} for {@code p}. As
     * {@link #reconfigure} does for a file's list: kept upstreams keep their state, added ones get a
     * connection pool before requests can pick them (and, after the source's first set, wait for
     * their first check or ramp up through slow start: {@link ControlLoop#joining}), removed ones
     * finish their requests in flight and go.
     */
    void rediscover(PoolRuntime p, String source, DiscoveredSet set, boolean initial, List<String> changes) {
        PoolConfig pc = p.config();
        Map<String, UpstreamConfig> was = new HashMap<>();
        p.discovered().getOrDefault(source, List.of()).forEach(uc -> was.put(uc.name(), uc));
        // A restarted watch (a reload changed its resolver) starts over at "initial", but the pool
        // has served its set for a while: what it adds waits for its first check as usual.
        boolean first = initial && !p.discovered().containsKey(source);
        PoolRuntime.Change ch = p.rediscover(source, set.upstreams(), set.readiness(), u -> {
            ctx.connectionPools.put(u, newConnectionPool(pc));
            control.joining(p, u, first);
        });
        for (Upstream u : ch.added()) {
            changes.add("pool " + p.name() + ": upstream " + u.name() + " added by " + source
                    + (u.discovery() == io.kodiak.discovery.Readiness.READY ? "" : " (" + u.discovery().name().toLowerCase(java.util.Locale.ROOT) + ")"));
        }
        for (Upstream u : ch.removed()) {
            retireWhenIdle(u);
            changes.add("pool " + p.name() + ": upstream " + u.name() + " gone from " + source
                    + (u.inFlight() == 0 ? "" : "; its " + u.inFlight() + " request(s) in flight finish"));
        }
        for (UpstreamConfig uc : set.upstreams()) { // an SRV weight change
            UpstreamConfig old = was.get(uc.name());
            if (old != null && (old.weight() != uc.weight() || old.priority() != uc.priority())) {
                changes.add("pool " + p.name() + ": upstream " + uc.name() + " now weight " + uc.weight()
                        + (uc.priority() == 0 ? "" : ", priority " + uc.priority()) + " (" + source + ")");
            }
        }
        control.discovered(p, ch, changes);
    }

    /** A new pool's queue and its upstreams' connection pools (the data path looks them up). */
    static void addPoolParts(PoolRuntime p, Map<PoolRuntime, WaitQueue> queues, Map<Upstream, ConnectionPool> connectionPools) {
        queues.put(p, new WaitQueue(p.config().queue().maxLength(), p));
        for (Upstream u : p.upstreams()) {
            connectionPools.put(u, newConnectionPool(p.config()));
        }
    }

    private static ConnectionPool newConnectionPool(PoolConfig pc) {
        return new ConnectionPool(pc.connections().maxIdle(), pc.connections().idleTimeout().toNanos(), pc.tls());
    }

    /** Undoes {@link #addPoolParts} for a pool that a failed reload never made visible. */
    private void removePoolParts(PoolRuntime p) {
        ctx.queues.remove(p);
        for (Upstream u : p.upstreams()) {
            ctx.connectionPools.remove(u);
        }
    }

    /** A removed upstream's idle connections close now; its connection pool goes once nothing is in flight. */
    private void retireWhenIdle(Upstream u) {
        u.markRemoved();
        ConnectionPool cp = ctx.connectionPools.get(u);
        if (cp != null) {
            cp.retire();
        }
        u.whenIdle().thenRun(() -> ctx.connectionPools.remove(u));
    }

    /**
     * Every upstream that {@code next} adds to {@code running} must resolve now: an
     * {@link Upstream} resolves its host once, and neither a connect nor a health check can use an
     * unresolved address. The file is checked for syntax only, so that {@code kodiak check} works
     * away from the upstreams' network (a compose file's service names, say).
     */
    static void requireResolvable(KodiakConfig next, Map<String, PoolRuntime> running) throws IOException {
        for (PoolConfig pc : next.pools().values()) {
            PoolRuntime p = running.get(pc.name());
            Set<String> kept = new HashSet<>();
            if (p != null) {
                p.upstreams().forEach(u -> kept.add(u.name() + " " + u.hostPort()));
            }
            for (UpstreamConfig uc : pc.upstreams()) {
                String unresolved = kept.contains(uc.name() + " " + uc.address()) ? null : uc.unresolvable();
                if (unresolved != null) {
                    throw new IOException((next.source() == null ? "pool " + pc.name() + ": upstream "
                            : next.source() + ": pools." + pc.name() + ".upstreams: ") + uc.name() + ": " + unresolved);
                }
            }
        }
    }

    /** {@code c} with {@code ups} for upstreams. */
    static PoolConfig withUpstreams(PoolConfig c, List<UpstreamConfig> ups) {
        return c.withUpstreams(ups);
    }

    private static PoolConfig withoutUpstreams(PoolConfig c) {
        return withUpstreams(c, List.of());
    }
}
