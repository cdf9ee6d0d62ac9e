package io.kodiak;

import io.kodiak.accesslog.AccessLog;
import io.kodiak.admin.AdminServer;
import io.kodiak.admin.Control;
import io.kodiak.admin.HostGuard;
import io.kodiak.admin.SharedAdminSync;
import io.kodiak.admin.StateFile;
import io.kodiak.config.ConfigException;
import io.kodiak.config.ConfigLoader;
import io.kodiak.config.KodiakConfig;
import io.kodiak.discovery.SharedState;
import io.kodiak.metrics.MetricSet;
import io.kodiak.metrics.MetricsRegistry;
import io.kodiak.metrics.PrometheusExporter;
import io.kodiak.proxy.ProxyServer;
import io.kodiak.upstream.AdminPresets;
import io.kodiak.upstream.AdminState;
import io.kodiak.upstream.PoolRuntime;
import io.kodiak.upstream.Upstream;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.logging.Logger;

/**
 * A running Kodiak: its listeners, pools and the NIO transport that carries both sides, the admin
 * API if configured, the state file that keeps the operator's changes, and with
 * {@code admin.shared-state} the document several instances share them through ({@link SharedAdminSync}). This is the embedding
 * API that the launcher, the demo and the tests use; the admin API sees it through {@link Control}.
 */
public final class Kodiak implements Control, AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Kodiak.class.getName());
    private final ProxyServer server;
    private final StateFile stateFile;
    private final Instant startedAt = Instant.now();
    private volatile AdminServer admin;
    private volatile PrometheusExporter exporter;
    private volatile SharedAdminSync shared;
    private final java.util.concurrent.atomic.LongAdder reloadsOk = new java.util.concurrent.atomic.LongAdder();
    private final java.util.concurrent.atomic.LongAdder reloadsFailed = new java.util.concurrent.atomic.LongAdder();
    /** The last reload's outcome, for the status page; {@code null} before the first. */
    private volatile Control.LastReload lastReload;

    private Kodiak(ProxyServer server, StateFile stateFile) {
        this.server = server;
        this.stateFile = stateFile;
    }

    /**
     * Restores the state file's admin states, binds every listener, starts serving, then starts
     * the admin API.
     *
     * @throws IOException if a listener cannot bind, or the state file cannot be read
     */
    public static Kodiak start(KodiakConfig config) throws IOException {
        return start(config, null);
    }

    /**
     * As {@link #start(KodiakConfig)}; with {@code admin.shared-state}, {@code sharedStates} opens
     * the document the instances share (tests give an in-memory one), or {@code null} for the
     * ConfigMap it names, through the server's discovery (its thread and Kubernetes client).
     */
    public static Kodiak start(KodiakConfig config, Function<KodiakConfig, SharedState> sharedStates) throws IOException {
        StateFile sf = config.admin().stateFile() == null ? null : new StateFile(config.admin().stateFile());
        StateFile.Saved saved = sf == null ? StateFile.Saved.EMPTY : sf.load();
        long now = System.currentTimeMillis();
        // Every pool shares the server's presets; the restore fills them before any source answers.
        ProxyServer server = ProxyServer.start(config, pools -> {
            if (!pools.isEmpty()) {
                StateFile.apply(saved, pools, pools.values().iterator().next().presets(), now);
            }
        });
        if (server.pools().isEmpty()) {
            StateFile.apply(saved, server.pools(), server.presets(), now); // no pool yet: the presets wait for a reload's
        }
        Kodiak k = new Kodiak(server, sf);
        try {
            MetricsRegistry registry = server.metricsRegistry();
            if (registry != null) {
                registry.register(registry.name("Kodiak"), MetricSet.builder("kodiak")
                        .counter("reloads_total", "result", "ok", "Configuration reloads applied", k.reloadsOk::sum)
                        .counter("reloads_total", "result", "failed", "Configuration reloads rejected (the old config kept running)",
                                k.reloadsFailed::sum)
                        .gauge("start_time_seconds", "When this Kodiak started, Unix time", () -> k.startedAt.toEpochMilli() / 1000.0)
                        .gauge("temp_bytes", "Bytes all temp files hold now (request and response bodies spilled to disk)",
                                () -> server.tempSpace().used())
                        .gauge("temp_max_bytes", "The budget of all temp files together (temp.max-total)",
                                () -> server.tempSpace().max())
                        .counter("basic_auth_requests_total", "result", "granted", "Requests basic-auth let through",
                                server.basicAuth()::granted)
                        .counter("basic_auth_requests_total", "result", "refused",
                                "Requests basic-auth answered 401 (no, malformed or wrong credentials, unknown user)",
                                server.basicAuth()::refused)
                        .counter("basic_auth_requests_total", "result", "busy",
                                "Requests basic-auth answered 503 because its password checks were all taken",
                                server.basicAuth()::busy)
                        .counter("basic_auth_cache_hits_total", "Requests basic-auth let through on a recent success, without a check",
                                server.basicAuth()::cacheHits)
                        .gauge("basic_auth_checks_pending", "Password checks running or queued (at most 64)",
                                () -> server.basicAuth().pending())
                        .build());
            }
            if (config.metrics().serves()) {
                InetSocketAddress listen = config.metrics().listen();
                k.exporter = PrometheusExporter.start(listen, config.metrics().rules(),
                        HostGuard.of(listen, config.metrics().allowedHosts(), "metrics.allowed-hosts").filter());
            }
            if (config.admin().sharedState() != null) {
                // Before the admin API: the document's states come in on their own thread, and changes go out to it.
                k.shared = SharedAdminSync.start(sharedStates != null ? sharedStates.apply(config) : configMap(server, config),
                        k.sharedLocal(), config.admin().sharedState().toString());
            }
            if (config.admin().enabled()) {
                k.admin = AdminServer.start(k, config.admin());
            }
        } catch (IOException | RuntimeException e) {
            k.close();
            throw e;
        }
        return k;
    }

    /** The ConfigMap {@code admin.shared-state} names; its namespace, else {@code kubernetes.namespace}, else the pod's. */
    private static SharedState configMap(ProxyServer server, KodiakConfig config) {
        io.kodiak.config.AdminConfig.SharedStateConfig s = config.admin().sharedState();
        return server.sharedState(config.kubernetes(), s.namespace() != null ? s.namespace() : config.kubernetes().namespace(),
                s.configMap());
    }

    /** The configuration in force: the one started with, or the last one a reload applied. */
    @Override
    public KodiakConfig config() {
        return server.config();
    }

    @Override
    public io.kodiak.acme.AcmeManager acme() {
        return server.acme();
    }

    /**
     * What a reload did.
     *
     * @param version the configuration version now in force
     * @param changes one line per change; empty if the file said what was running already
     * @param notes   what the reload did not apply (the admin section needs a restart)
     */
    public record Reload(String version, List<String> changes, List<String> notes) implements Control.Reloaded {
    }

    /**
     * Reads the configuration file again and applies it without closing client connections or
     * failing requests in flight ({@link ProxyServer#reload}). A file that does not validate, or a
     * new listener address that cannot be bound, changes nothing. Reloads run one at a time.
     *
     * @throws ConfigException naming the file, the key and the problem; the running config stays
     * @throws IOException     if a new listener address cannot be bound; the running config stays
     */
    @Override
    public synchronized Reload reload() throws ConfigException, IOException {
        Reload r;
        try {
            r = reloadFile();
        } catch (ConfigException | IOException | RuntimeException e) {
            lastReload = new Control.LastReload(Instant.now(), false, server.config().version(), firstLine(e), null);
            throw e;
        }
        try {
            saveState(); // removed upstreams leave the state file
        } catch (UncheckedIOException e) {
            // The new configuration is in force: the reload worked, only the state file lags (saveState
            // logged it). Recorded as applied with a note; the caller still hears of it as before.
            lastReload = new Control.LastReload(Instant.now(), true, r.version(), null, firstLine(e));
            throw e;
        }
        lastReload = new Control.LastReload(Instant.now(), true, r.version(), null, null);
        return r;
    }

    /** An exception's message as one line (a ConfigException's can run on with context), at most 500 characters. */
    private static String firstLine(Exception e) {
        String m = e.getMessage() == null ? e.toString() : e.getMessage().strip();
        int nl = m.indexOf('\n');
        String line = nl < 0 ? m : m.substring(0, nl).strip() + " ...";
        return line.length() <= 500 ? line : line.substring(0, 497) + "...";
    }

    /** {@link #reload()} without recording its outcome and without saving the state file. */
    private Reload reloadFile() throws ConfigException, IOException {
        KodiakConfig running = server.config();
        if (running.source() == null) {
            throw new ConfigException("this Kodiak runs a built-in configuration (demo or quick mode): there is no file to reload");
        }
        KodiakConfig next;
        List<String> changes;
        List<String> notes = new java.util.ArrayList<>();
        try {
            next = ConfigLoader.load(running.source());
            next.warnings().forEach(w -> notes.add("warning: " + w));
            if (!next.admin().equals(running.admin())) {
                notes.add("admin: changes to the admin section take effect at the next start; the admin API stays as it is");
                next = next.withAdmin(running.admin());
            }
            if (!next.metrics().equals(running.metrics())) {
                notes.add("metrics: changes to the metrics section take effect at the next start; /metrics stays as it is");
                next = next.withMetrics(running.metrics());
            }
            changes = server.reload(next);
        } catch (ConfigException | IOException | RuntimeException e) {
            reloadsFailed.increment();
            throw e;
        }
        reloadsOk.increment();
        LOG.info(() -> "reloaded " + running.origin() + ": version " + running.version() + " -> " + server.config().version()
                + (changes.isEmpty() ? ", nothing changed" : "\n  " + String.join("\n  ", changes)));
        notes.forEach(LOG::warning);
        return new Reload(server.config().version(), changes, notes);
    }

    /**
     * The listeners' access logs in force, in listener order (listeners without one have none):
     * their counters, and for an embedder, {@code log(entry)}.
     */
    public List<AccessLog> accessLogs() {
        return server.accessLogs();
    }

    /** How long {@link #reopenLogs} waits for the writers; one stuck on a dead disk must not hold the caller. */
    static final Duration REOPEN_WAIT = Duration.ofSeconds(10);

    /**
     * Reopens every listener's access log, as nginx's {@code reopen} (SIGUSR1) does, and waits
     * within {@link #REOPEN_WAIT} until each writer has: only then may logrotate compress the
     * renamed file. A failure (the directory is gone, permissions changed) is reported per log;
     * that log's lines are lost and counted until a reopen works.
     */
    @Override
    public List<Control.Reopened> reopenLogs() {
        List<AccessLog> logs = server.accessLogs();
        List<CompletableFuture<Void>> done = logs.stream().map(AccessLog::reopen).toList();
        long deadline = System.nanoTime() + REOPEN_WAIT.toNanos();
        List<Control.Reopened> result = new ArrayList<>();
        for (int i = 0; i < logs.size(); i++) {
            AccessLog log = logs.get(i);
            String error = null;
            try {
                done.get(i).get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (ExecutionException e) {
                error = "reopen failed: " + reopenFailure(e.getCause());
            } catch (TimeoutException e) {
                error = "not reopened within " + REOPEN_WAIT.toSeconds() + " s: its writer is stuck (a full or hung disk,"
                        + " a syslog receiver that does not read); it reopens once it moves again";
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                error = "interrupted while waiting for the reopen";
            }
            result.add(new Control.Reopened(log.listener(), log.target(), error));
            String failure = error;
            if (failure != null) {
                LOG.warning(() -> "access log of listener " + log.listener() + " (" + log.target() + "): " + failure);
            }
        }
        return result;
    }

    /** The JDK's messages for a file that cannot be opened are only its path. */
    private static String reopenFailure(Throwable cause) {
        if (cause instanceof NoSuchFileException) {
            return "the directory of " + cause.getMessage() + " does not exist (any more)";
        }
        if (cause instanceof AccessDeniedException) {
            return cause.getMessage() + ": permission denied";
        }
        return cause.getMessage() == null ? cause.toString() : cause.getMessage();
    }

    /** When this Kodiak started. */
    @Override
    public Instant startedAt() {
        return startedAt;
    }

    /** The last reload's outcome (the admin API's or SIGHUP's: both go through {@link #reload()}), or {@code null} before the first. */
    @Override
    public Control.LastReload lastReload() {
        return lastReload;
    }

    /** What {@code kodiak --version} prints: read once, since the status page asks every second. */
    @Override
    public String version() {
        return Version.TEXT;
    }

    /** Holds the version, read the first time someone asks (Main's resource, not a copy of it). */
    private static final class Version {
        static final String TEXT = Main.version();
    }

    /** Whether requests are timed and counted ({@code metrics: off} says no; the section applies at start only). */
    @Override
    public boolean metricsEnabled() {
        return server.config().metrics().enabled();
    }

    /** Every data listener's counters now, in configuration order. */
    @Override
    public List<Control.ListenerStatus> listeners() {
        List<Control.ListenerStatus> out = new ArrayList<>();
        for (ProxyServer.ListenerCounts c : server.listenerCounts()) {
            String address = c.address().getAddress() != null
                    ? io.kodiak.discovery.IpText.withPort(c.address().getAddress(), c.address().getPort())
                    : c.address().getHostString() + ":" + c.address().getPort();
            out.add(new Control.ListenerStatus(c.name(), address, c.tls(), c.connections(), c.accepted(), c.requests(),
                    c.refused(), c.rejected(), c.identity()));
        }
        return out;
    }

    /** The address a listener is bound to (the real port when the config said port 0). */
    public InetSocketAddress boundAddress(String listenerName) {
        return server.boundAddress(listenerName);
    }

    /**
     * The registry of this Kodiak's MBeans ({@code io.kodiak:*}), or {@code null} with {@code metrics: off}.
     * {@link MetricsRegistry#snapshotAll()} closes a latency interval now instead of at the next tick.
     */
    public MetricsRegistry metrics() {
        return server.metricsRegistry();
    }

    /** Where {@code /metrics} is served (the real port when the config said port 0), or {@code null} if it is not. */
    public InetSocketAddress metricsAddress() {
        PrometheusExporter e = exporter;
        return e == null ? null : e.address();
    }

    /** The admin API's address (the real port when the config said port 0), or {@code null} if it is off. */
    public InetSocketAddress adminAddress() {
        AdminServer a = admin;
        return a == null ? null : a.address();
    }

    /**
     * A pool as it runs: its upstreams with their load and health, and the selection requests are
     * picked from now.
     *
     * @throws IllegalArgumentException if there is no such pool
     */
    @Override
    public PoolRuntime pool(String name) {
        PoolRuntime p = server.pools().get(name);
        if (p == null) {
            throw new IllegalArgumentException("no pool named " + name);
        }
        return p;
    }

    /** The server, for tests in this package (its lock, which reloads and discovered sets hold). */
    ProxyServer server() {
        return server;
    }

    /** The process's temp-file budget and what spill files hold of it now. */
    public io.kodiak.buffer.TempSpace tempSpace() {
        return server.tempSpace();
    }

    /** Every pool, in configuration order. */
    @Override
    public java.util.Collection<PoolRuntime> pools() {
        return server.pools().values();
    }

    /**
     * An upstream of {@code pool} by its name, its {@code host:port} or the address it resolved to.
     *
     * @throws IllegalArgumentException naming what is missing
     */
    @Override
    public Upstream upstream(String pool, String nameOrAddress) {
        PoolRuntime p = server.pools().get(pool);
        if (p == null) {
            throw new IllegalArgumentException("no pool named \"" + pool + "\" (pools: " + String.join(", ", server.pools().keySet()) + ")");
        }
        for (Upstream u : p.upstreams()) {
            if (u.name().equals(nameOrAddress)) {
                return u;
            }
        }
        for (Upstream u : p.upstreams()) {
            if (u.hostPort().equals(nameOrAddress) || u.addressText().equals(nameOrAddress)) {
                return u; // the resolved address too: app1:8000 once it resolved to 172.18.0.5:8000
            }
        }
        throw new IllegalArgumentException("pool " + pool + " has no upstream \"" + nameOrAddress + "\" (upstreams: "
                + String.join(", ", p.upstreams().stream().map(Upstream::name).toList()) + ")");
    }

    @Override
    public java.util.Map<String, io.kodiak.discovery.SourceStatus> sources(String pool) {
        return server.sources(pool);
    }

    /** Under the server's lock: not while a reload or a discovered set is half applied. */
    @Override
    public List<Upstream> upstreamsAt(io.kodiak.admin.AddressKey address) {
        return server.underLock(() -> at(address));
    }

    private List<Upstream> at(io.kodiak.admin.AddressKey address) {
        List<Upstream> at = new ArrayList<>();
        for (PoolRuntime p : server.pools().values()) {
            for (Upstream u : p.upstreams()) {
                if (address.matches(u)) {
                    at.add(u);
                }
            }
        }
        return at;
    }

    /** Drains by address kept at once: a script gone wrong cannot grow them without bound. */
    static final int MAX_ADDRESS_PRESETS = 1024;

    /**
     * Drain by address ({@link Control#setAdminStateAt}). The preset and the upstreams at the address
     * change as one step, so an upstream a source or a reload makes at the address starts in the state
     * too; presets of discovered names at the address (from the state file) give way to it.
     */
    @Override
    public List<Upstream> setAdminStateAt(io.kodiak.admin.AddressKey address, AdminState state) {
        List<Upstream> done = applyAt(address, state);
        SharedAdminSync s = shared;
        if (s != null) {
            s.publishAddress(address.text(), state); // a failure is logged: the drain holds here all the same
        }
        return done;
    }

    /**
     * {@link #setAdminStateAt} on this instance only (what the shared admin state applies). The
     * preset, the search and the upstreams' changes run under the server's lock
     * ({@link ProxyServer#underLock}): a source making an upstream at the address, or a reload adding
     * a pool there, between the preset and the search would otherwise keep it ready. The state file
     * is written after, outside it.
     */
    private List<Upstream> applyAt(io.kodiak.admin.AddressKey address, AdminState state) {
        List<Upstream> done = server.underLock(() -> applyAtUnderLock(address, state));
        saveState();
        return done;
    }

    private List<Upstream> applyAtUnderLock(io.kodiak.admin.AddressKey address, AdminState state) {
        AdminPresets presets = server.presets();
        if (state != AdminState.READY && presets.addresses().size() >= MAX_ADDRESS_PRESETS
                && !presets.addresses().containsKey(address.text())) {
            throw new IllegalStateException(MAX_ADDRESS_PRESETS + " addresses are drained already: set some ready first");
        }
        AdminPresets.Preset p = state == AdminState.READY ? null : new AdminPresets.Preset(state, -1, System.currentTimeMillis());
        for (String key : address.presetKeys()) {
            presets.setAddress(key, p);
            presets.upstreams().keySet().stream().filter(k -> k.endsWith("[" + key + "]"))
                    .forEach(k -> presets.setUpstream(k.substring(0, k.indexOf('/')), k.substring(k.indexOf('/') + 1), null));
        }
        List<Upstream> done = new ArrayList<>();
        for (Upstream u : at(address)) {
            try {
                server.setAdminState(u, state);
                done.add(u);
            } catch (IllegalArgumentException e) {
                LOG.fine(() -> u.pool() + "/" + u.name() + " left its pool during the drain by address: " + e.getMessage());
            }
        }
        return done;
    }

    @Override
    public AdminState addressPreset(io.kodiak.admin.AddressKey address) {
        AdminPresets.Preset p = server.presets().addresses().get(address.text());
        return p == null ? null : p.state();
    }

    /** How many requests wait in a pool's queue (every upstream at its max-connections). */
    @Override
    public int queued(String pool) {
        return server.queued(pool);
    }

    /** How many idle keep-alive connections to {@code u} wait for reuse. */
    @Override
    public int idleConnections(Upstream u) {
        return server.idleConnections(u);
    }

    /**
     * Sets {@code u}'s admin state; when this returns it is in force (no new request picks a
     * drained upstream) and saved in the state file.
     *
     * @throws UncheckedIOException if the state is in force but the state file could not be written
     */
    @Override
    public void setAdminState(Upstream u, AdminState state) {
        setAdminStateShared(u, state);
    }

    /** Sets {@code u}'s weight ({@code -1}: the configured one), in force and saved when this returns. */
    @Override
    public void setWeight(Upstream u, int weight) {
        setWeightShared(u, weight);
    }

    /** As {@link #setAdminState}, then written to the shared admin state if there is one ({@link SharedAdminSync}). */
    @Override
    public String setAdminStateShared(Upstream u, AdminState state) {
        server.setAdminState(u, state);
        return savedAndShared(u);
    }

    /** As {@link #setWeight}, then written to the shared admin state if there is one. */
    @Override
    public String setWeightShared(Upstream u, int weight) {
        server.setWeight(u, weight);
        return savedAndShared(u);
    }

    private String savedAndShared(Upstream u) {
        SharedAdminSync s = shared;
        String result = s == null ? null : s.publish(u);
        saveState();
        return result;
    }

    /** What the shared admin state changes here: the server directly (not back into the document), and the state file. */
    private SharedAdminSync.Local sharedLocal() {
        return new SharedAdminSync.Local() {
            @Override
            public java.util.Collection<PoolRuntime> pools() {
                return server.pools().values();
            }

            @Override
            public void setAdminState(Upstream u, AdminState state) {
                server.setAdminState(u, state);
                saveState();
            }

            @Override
            public void setWeight(Upstream u, int weight) {
                server.setWeight(u, weight);
                saveState();
            }

            @Override
            public io.kodiak.upstream.AdminPresets presets() {
                return server.presets();
            }

            @Override
            public void setAdminStateAt(String address, AdminState state) {
                applyAt(io.kodiak.admin.AddressKey.parse(address), state);
            }
        };
    }

    /**
     * Adds an upstream to {@code pool} at runtime; not written to the file, so a reload or a
     * restart goes back to what the file says (as HAProxy's {@code add server}).
     *
     * @throws IllegalArgumentException naming the problem (unknown pool, name or address taken)
     */
    @Override
    public Upstream addUpstream(String pool, io.kodiak.config.UpstreamConfig upstream) {
        return server.addUpstream(pool, upstream);
    }

    /**
     * Removes {@code u} from its pool at runtime: no new request goes to it; the returned future
     * completes when the requests in flight have finished.
     */
    @Override
    public java.util.concurrent.CompletableFuture<Void> removeUpstream(Upstream u) {
        server.removeUpstream(u);
        saveState();
        return u.whenIdle();
    }

    private void saveState() {
        if (stateFile == null) {
            return;
        }
        try {
            // The snapshot under the file's lock: taken outside it, an older one could be written last.
            stateFile.save(() -> StateFile.capture(server.pools().values(), server.presets()));
        } catch (IOException e) {
            LOG.severe("state file " + stateFile.path() + ": cannot write: " + e.getMessage());
            throw new UncheckedIOException("the change is in force but the state file " + stateFile.path()
                    + " could not be written (" + e.getMessage() + "), so a restart would lose it", e);
        }
    }

    /**
     * Stops accepting, lets in-flight requests finish within {@code grace}, then closes everything.
     *
     * @return whether every request in flight finished in time
     */
    public boolean shutdown(Duration grace) {
        closeShared();
        closeAdmin();
        boolean clean = server.shutdown(grace);
        closeExporter();
        return clean;
    }

    /** Stops at once. */
    @Override
    public void close() {
        closeShared();
        closeAdmin();
        closeExporter();
        server.close();
    }

    private void closeShared() {
        SharedAdminSync s = shared;
        shared = null;
        if (s != null) {
            s.close();
        }
    }

    private void closeExporter() {
        PrometheusExporter e = exporter;
        exporter = null;
        if (e != null) {
            e.close();
        }
    }

    private void closeAdmin() {
        AdminServer a = admin;
        admin = null;
        if (a != null) {
            a.close();
        }
    }
}
