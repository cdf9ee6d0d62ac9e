package io.kodiak.upstream;

import io.kodiak.balancer.Strategies;
import io.kodiak.balancer.Strategy;
import io.kodiak.config.PoolConfig;
import io.kodiak.config.UpstreamConfig;
import io.kodiak.discovery.Readiness;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import java.util.logging.Logger;
import java.util.random.RandomGenerator;

/**
 * A pool as it runs: its configuration, its upstreams, and the current {@link Selection}: the
 * upstreams that are available now and a strategy built over just those.
 *
 * <p>Strategies never see an unavailable upstream (Armeria's and Envoy's design): a change of an
 * upstream's availability rebuilds the selection under a short lock and publishes it through a
 * volatile field, and every pick reads that snapshot without a lock. Load state (requests in
 * flight, latency) lives on {@link Upstream}, so a rebuild keeps it.
 *
 * <p><b>Threading.</b> {@link #selection()} from any thread, lock-free; {@link #refresh()} from any
 * thread (the health checker's), serialised.
 */
public final class PoolRuntime {
    private static final Logger LOG = Logger.getLogger(PoolRuntime.class.getName());
    private volatile PoolConfig config;
    private volatile List<Upstream> upstreams;
    private final LongSupplier nanoClock;
    /** Draws the seeds of the strategies; used only under {@code this}'s lock (and in the constructor). */
    private final RandomGenerator random;
    private volatile Selection selection;
    private final RetryBudget retryBudget;
    private final OutlierDetector outliers;
    /** The upstreams each discovery source last found, by source id; guarded by {@code this}. */
    private final java.util.Map<String, List<UpstreamConfig>> discovered = new java.util.LinkedHashMap<>();
    /** What each source last said of its upstreams that are not READY, by source id and name; guarded by {@code this}. */
    private final java.util.Map<String, java.util.Map<String, Readiness>> readiness = new java.util.HashMap<>();
    private volatile AdminPresets presets = new AdminPresets();

    /**
     * The upstreams a request may go to now and the strategy that picks among them.
     *
     * @param members the available upstreams, in configuration order; may be empty
     * @param panic   whether too few were available, so that members are all of them (Envoy's panic mode)
     */
    public record Selection(List<Upstream> members, Strategy<Upstream> strategy, boolean panic) {
        public Selection {
            members = List.copyOf(members);
        }
    }

    /**
     * The latency recorders' shape: 2 significant digits (1 %, about 37 KB per recording thread and
     * recorder instead of 270 KB at 3), up to 1 h, and a rolling window of 12 intervals of
     * {@link #METRICS_INTERVAL}, so quantiles cover the last minute.
     */
    public static final io.kodiak.metrics.LatencySettings LATENCY_SETTINGS = new io.kodiak.metrics.LatencySettings(
            java.util.concurrent.TimeUnit.HOURS.toNanos(1), 2, 12, io.kodiak.metrics.LatencySettings.DEFAULT_BUCKETS);
    /** How often the metrics publisher closes a latency interval. */
    public static final java.time.Duration METRICS_INTERVAL = java.time.Duration.ofSeconds(5);

    private final LongAdder panicRequests = new LongAdder();
    /** Requests as clients see them: status classes of what they got, and the whole time it took. */
    private final io.kodiak.metrics.RequestStats clientStats;
    private final LongAdder retries = new LongAdder();
    private final LongAdder queueFull = new LongAdder();
    private final LongAdder queueTimeouts = new LongAdder();
    private final LongAdder clientAborts = new LongAdder();

    public PoolRuntime(PoolConfig config, RandomGenerator random) {
        this(config, random, System::nanoTime);
    }

    /** @param nanoClock the clock of latency estimates, the retry budget and ejections (tests inject one) */
    public PoolRuntime(PoolConfig config, RandomGenerator random, LongSupplier nanoClock) {
        this.config = config;
        this.random = random;
        this.nanoClock = nanoClock;
        this.clientStats = new io.kodiak.metrics.RequestStats(config.name(), LATENCY_SETTINGS);
        List<Upstream> list = new ArrayList<>();
        for (UpstreamConfig u : config.upstreams()) {
            list.add(new Upstream(config.name(), u, nanoClock, config.latencyDecay()));
        }
        this.upstreams = List.copyOf(list);
        this.outliers = new OutlierDetector(this, config.outlierDetection(), nanoClock);
        for (Upstream u : upstreams) {
            u.observedBy(outliers);
        }
        this.selection = select();
        this.retryBudget = new RetryBudget(config.retries().budgetPercent(), config.retries().minPerSecond(), nanoClock);
    }

    /**
     * Rebuilds the selection from the upstreams' availability, if it changed.
     *
     * @return whether the selection changed
     */
    public synchronized boolean refresh() {
        Selection now = selection;
        Selection next = select();
        if (next == now) {
            return false;
        }
        publish(now, next);
        return true;
    }

    /**
     * What a reload did to a pool's upstreams.
     *
     * @param added   new upstreams (name or address not in the pool before)
     * @param removed upstreams no longer in the configuration: they take no new request, and those
     *                in flight finish
     * @param kept    upstreams carried over with their load state, admin state and health
     * @param moved   the kept ones whose source now says another readiness, with what it said before
     */
    public record Change(List<Upstream> added, List<Upstream> removed, List<Upstream> kept, java.util.Map<Upstream, Readiness> moved) {
        public Change {
            moved = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(moved));
        }
    }

    /**
     * Applies a reloaded configuration of this pool in place, so that requests in flight, the
     * queue and the upstreams' load state carry over: an upstream with the same name and address
     * is kept (with its new weight and max-connections), others are added or removed. The
     * strategy is rebuilt, which may restart a round-robin sequence. Discovered upstreams of the
     * sources {@code next} still has are kept; those of sources it dropped are removed.
     *
     * @param prepare runs for each added upstream before the new selection is published (requests
     *                may pick it from then on, so its connection pool must exist by then)
     */
    public synchronized Change reconfigure(PoolConfig next, java.util.function.Consumer<Upstream> prepare) {
        if (!next.name().equals(config.name())) {
            throw new IllegalArgumentException("pool " + next.name() + " is not " + config.name());
        }
        java.util.Set<String> ids = new java.util.HashSet<>();
        next.sources().forEach(s -> ids.add(s.id()));
        discovered.keySet().retainAll(ids);
        readiness.keySet().retainAll(ids);
        this.config = next;
        retryBudget.reconfigure(next.retries().budgetPercent(), next.retries().minPerSecond());
        outliers.reconfigure(next.outlierDetection());
        return apply(prepare);
    }

    /**
     * Replaces the upstreams a discovery source found, keeping those whose name and address stay
     * (with their load, admin and health state) and removing the others as a reload does. The file's
     * upstreams and other sources' are untouched, and a later reload keeps this set.
     *
     * @param source the source's {@link io.kodiak.config.UpstreamSource#id()}; ignored (empty change) if
     *               the pool no longer has it, since a reload that dropped it raced this answer
     * @param set    its upstreams now ({@link UpstreamConfig#source()} set), in a stable order
     * @param ready  what the source says of those that are not READY, by name: kept with the set, so
     *               that an upstream made later from it (one a removed file entry no longer shadows)
     *               takes it too
     * @param prepare runs for each added upstream, which already has its readiness, before it is published
     */
    public synchronized Change rediscover(String source, List<UpstreamConfig> set, java.util.Map<String, Readiness> ready,
                                          java.util.function.Consumer<Upstream> prepare) {
        if (config.sources().stream().noneMatch(s -> s.id().equals(source))) {
            return new Change(List.of(), List.of(), List.of(), java.util.Map.of());
        }
        discovered.put(source, List.copyOf(set));
        readiness.put(source, java.util.Map.copyOf(ready));
        return apply(prepare);
    }

    /** {@link #rediscover(String, List, java.util.Map, java.util.function.Consumer)} with every upstream READY. */
    public Change rediscover(String source, List<UpstreamConfig> set, java.util.function.Consumer<Upstream> prepare) {
        return rediscover(source, set, java.util.Map.of(), prepare);
    }

    /** The upstreams each source last found, by source id, in source order. */
    public synchronized java.util.Map<String, List<UpstreamConfig>> discovered() {
        return new java.util.LinkedHashMap<>(discovered);
    }

    /**
     * Where admin states for upstreams not made yet wait (the state file's, drains by address); set
     * once, before the pool serves. The upstreams the constructor made from the file's list take
     * theirs now: a pool a reload adds at a drained address starts with that upstream drained.
     */
    public synchronized void presets(AdminPresets p) {
        this.presets = java.util.Objects.requireNonNull(p);
        boolean changed = false;
        for (Upstream u : upstreams) {
            AdminState was = u.adminState();
            int weight = u.weight();
            p.applyTo(u);
            changed |= u.adminState() != was || u.weight() != weight;
        }
        if (changed) {
            rebuild();
        }
    }

    /** The presets this pool applies to the upstreams it makes (the state file's restore adds to them before any source answers). */
    public AdminPresets presets() {
        return presets;
    }

    /** The file's upstreams, then each source's, matched against the current ones by name and address. */
    private Change apply(java.util.function.Consumer<Upstream> prepare) {
        PoolConfig next = config;
        java.util.Map<String, Upstream> before = new java.util.LinkedHashMap<>();
        for (Upstream u : upstreams) {
            before.put(u.name() + " " + u.hostPort(), u);
        }
        List<UpstreamConfig> wanted = new ArrayList<>(next.upstreams());
        java.util.Set<String> names = new java.util.HashSet<>();
        java.util.Set<String> addresses = new java.util.HashSet<>();
        next.upstreams().forEach(uc -> { names.add(uc.name()); addresses.add(uc.address()); });
        for (io.kodiak.config.UpstreamSource s : next.sources()) {
            for (UpstreamConfig uc : discovered.getOrDefault(s.id(), List.of())) {
                // An address listed in the file, or found by two sources, is one upstream: the first wins.
                if (!addresses.add(uc.address()) || !names.add(uc.name())) {
                    LOG.fine(() -> "pool " + next.name() + ": " + uc.name() + " from " + s.id() + " is already an upstream; skipped");
                    continue;
                }
                wanted.add(uc);
            }
        }
        List<Upstream> list = new ArrayList<>();
        List<Upstream> added = new ArrayList<>();
        List<Upstream> kept = new ArrayList<>();
        java.util.Map<Upstream, Readiness> moved = new java.util.LinkedHashMap<>();
        for (UpstreamConfig uc : wanted) {
            Upstream u = before.remove(uc.name() + " " + uc.address());
            // What its source says, whichever path made or keeps it (a set, a reload, a runtime edit).
            Readiness r = uc.source() == null ? Readiness.READY
                    : readiness.getOrDefault(uc.source(), java.util.Map.of()).getOrDefault(uc.name(), Readiness.READY);
            if (u != null) {
                if (u.reconfigure(uc)) {
                    LOG.info(() -> "pool " + next.name() + "/" + uc.name() + ": the configured weight changed, so the weight set at runtime is dropped");
                }
                u.latency().setDecay(next.latencyDecay());
                Readiness was = u.discovery();
                if (u.setDiscovery(r)) {
                    moved.put(u, was);
                }
                kept.add(u);
            } else {
                u = new Upstream(next.name(), uc, nanoClock, next.latencyDecay());
                u.observedBy(outliers);
                u.setDiscovery(r);
                presets.applyTo(u);
                prepare.accept(u);
                added.add(u);
            }
            list.add(u);
        }
        List<Upstream> removed = List.copyOf(before.values());
        removed.forEach(Upstream::markRemoved);
        removed.forEach(u -> rememberState(next, u));
        this.upstreams = List.copyOf(list);
        rebuild();
        return new Change(List.copyOf(added), removed, List.copyOf(kept), moved);
    }

    /**
     * The operator's state of a DNS-discovered upstream that left (drained, in maintenance, a weight
     * set) waits for its address to come back ({@link AdminPresets#remember}): DNS round robin that
     * answers with part of the addresses, or a record briefly gone, must not undo a drain. Not for
     * Kubernetes: a pod's IP is reused by another pod once it is gone, which must not inherit a drain
     * (an endpoint that merely stops being ready stays in its slice, and keeps its upstream). Not for
     * a source the pool no longer has.
     */
    private void rememberState(PoolConfig next, Upstream u) {
        if (u.source() == null || (u.adminState() == AdminState.READY && !u.weightOverridden())
                || next.sources().stream().noneMatch(s -> s.id().equals(u.source()) && s instanceof io.kodiak.config.DnsSource)) {
            return;
        }
        presets.remember(next.name(), u.name(), new AdminPresets.Preset(u.adminState(),
                u.weightOverridden() ? u.weight() : -1, System.currentTimeMillis()));
        LOG.info(() -> "pool " + next.name() + "/" + u.name() + ": its address left " + u.source() + "; it is "
                + u.adminState().apiName() + (u.weightOverridden() ? " at weight " + u.weight() : "") + " again if it comes back within "
                + AdminPresets.LIFETIME.toHours() + " h");
    }

    /**
     * Builds a new selection even if the members did not change: after a weight set through the
     * admin API, which a hash ring is laid out by.
     */
    public synchronized void rebuild() {
        Selection now = selection;
        List<Upstream> members = members();
        publish(now, new Selection(members, strategy(members), panic()));
    }

    private void publish(Selection now, Selection next) {
        if (next.panic() != now.panic()) {
            long available = upstreams.stream().filter(Upstream::available).count();
            long eligible = upstreams.stream().filter(u -> !u.adminOut()).count();
            LOG.warning(() -> "pool " + config.name() + (next.panic()
                    ? ": panic: only " + available + " of " + eligible + " upstreams available, below "
                    + config.panicThreshold() + "%; sending requests to all of them"
                    : ": out of panic, " + available + " of " + eligible + " upstreams available"));
        }
        selection = next;
    }

    /**
     * The selection the upstreams' flags call for now: the current one if nothing changed (so a
     * rebuild never restarts round-robin for nothing), else a new one with its own strategy.
     */
    private Selection select() {
        boolean panic = panic();
        List<Upstream> members = panic ? inRotation() : available();
        Selection now = selection;
        if (now != null && members.equals(now.members()) && panic == now.panic()) {
            return now;
        }
        return new Selection(members, strategy(members), panic);
    }

    /**
     * The available upstreams of the preferred tier: SRV priorities make backups (RFC 2782), so
     * only the lowest priority that has an available upstream is used. Without priorities (all 0),
     * every available upstream.
     */
    private List<Upstream> available() {
        List<Upstream> all = upstreams.stream().filter(Upstream::available).toList();
        int tier = tier(all);
        return tier == Integer.MIN_VALUE ? all : all.stream().filter(u -> u.priority() == tier).toList();
    }

    /** The priority in use, or MIN_VALUE when there is only one (the usual case, which filters nothing). */
    private int tier(List<Upstream> available) {
        int lo = Integer.MAX_VALUE;
        int hi = Integer.MIN_VALUE;
        for (Upstream u : (available.isEmpty() ? upstreams : available)) {
            if (available.isEmpty() && u.adminOut()) {
                continue;
            }
            lo = Math.min(lo, u.priority());
            hi = Math.max(hi, u.priority());
        }
        return lo == hi || lo == Integer.MAX_VALUE ? Integer.MIN_VALUE : lo;
    }

    private List<Upstream> members() {
        return panic() ? inRotation() : available();
    }

    /** The upstreams the operator has not taken out (DRAIN, MAINT, weight 0): panic mode never sends to those. */
    private List<Upstream> inRotation() {
        List<Upstream> in = upstreams.stream().filter(u -> !u.adminOut()).toList();
        int tier = tier(upstreams.stream().filter(Upstream::available).toList());
        return tier == Integer.MIN_VALUE ? in : in.stream().filter(u -> u.priority() == tier).toList();
    }

    /**
     * Envoy's panic mode: with fewer than {@code panic-threshold} of the upstreams in rotation
     * available, use all of those (of the tier in use). Upstreams the operator took out count in
     * neither number. Counted over every SRV tier, as Envoy's normalised total availability is: a
     * preferred tier with most of its upstreams DOWN spills to the backups (RFC 2782) rather than
     * panicking into its own DOWN ones while the backups are up.
     */
    private boolean panic() {
        long up = 0;
        long in = 0;
        for (Upstream u : upstreams) {
            up += u.available() ? 1 : 0;
            in += u.adminOut() ? 0 : 1;
        }
        return up * 100 < config.panicThreshold() * in;
    }

    /** A request was dispatched while the pool was in panic mode. */
    public void countPanicRequest() {
        panicRequests.increment();
    }

    /** Requests dispatched in panic mode since start, for the metrics. */
    public long panicRequests() {
        return panicRequests.sum();
    }

    /** Requests routed here, counted and timed as their clients saw them (including Kodiak's own 502/503/504). */
    public io.kodiak.metrics.RequestStats clientStats() {
        return clientStats;
    }

    /** Retries started (another upstream after a reset, timeout or listed status), for the metrics. */
    public LongAdder retries() {
        return retries;
    }

    /** Requests refused with 503 because the queue was full. */
    public LongAdder queueFull() {
        return queueFull;
    }

    /** Requests that waited the queue's whole timeout and got 503. */
    public LongAdder queueTimeouts() {
        return queueTimeouts;
    }

    /** Requests whose client went away before the response was complete. */
    public LongAdder clientAborts() {
        return clientAborts;
    }

    private Strategy<Upstream> strategy(List<Upstream> members) {
        PoolConfig c = config;
        return Strategies.create(c.strategy().configName(), members, random,
                new Strategies.Settings(c.choiceCount(), c.hash().balanceFactor()));
    }

    public PoolConfig config() {
        return config;
    }

    public String name() {
        return config.name();
    }

    /** Every upstream of the pool, available or not, in configuration order. */
    public List<Upstream> upstreams() {
        return upstreams;
    }

    /** The available upstreams and their strategy, as of now. */
    public Selection selection() {
        return selection;
    }

    /** How many retries the pool may still make; it outlives configuration snapshots with the upstreams. */
    public RetryBudget retryBudget() {
        return retryBudget;
    }

    /** Passive health: ejects upstreams that fail on live traffic. */
    public OutlierDetector outliers() {
        return outliers;
    }

    /** The strategy of the current selection. */
    public Strategy<Upstream> strategy() {
        return selection.strategy();
    }

    @Override
    public String toString() {
        return "Pool[" + config.name() + ", " + config.strategy().configName() + ", "
                + selection.members().size() + "/" + upstreams.size() + " upstreams available]";
    }
}
