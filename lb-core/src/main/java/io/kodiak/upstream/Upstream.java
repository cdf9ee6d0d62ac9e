package io.kodiak.upstream;

import io.kodiak.balancer.Backend;
import io.kodiak.balancer.PeakEwma;
import io.kodiak.config.PoolConfig;
import io.kodiak.config.UpstreamConfig;
import io.kodiak.metrics.RequestStats;

import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * One upstream server and the load state that belongs to it rather than to any configuration:
 * requests in flight and totals live here so that later reloads and health changes keep them.
 * Strategies see it only as a {@link Backend}. Thread-safe.
 *
 * <p>Size: about 600 lines, over the project's 400: it holds every piece of per-upstream state
 * that several threads change (slots, health, admin state, weight and slow start, the latency
 * estimate, outlier ejection, the wait for the next UP), each under the same atomics; the next
 * split (slow start and ejection into their own classes) is noted in issue 13.
 */
public final class Upstream implements Backend {
    private final String pool;
    /** Replaced by a reload that keeps the upstream (same name and address): weight, max-connections. */
    private volatile UpstreamConfig config;
    /** Removed from its pool by a reload: no new requests; those in flight finish. */
    private volatile boolean removed;
    /** The TCP address to connect to; {@code null} for a Unix socket ({@link #socketAddress()}). */
    private final InetSocketAddress address;
    private final java.net.SocketAddress socketAddress;
    /** What a discovery source says (a terminating pod drains): apart from {@link #admin}, so neither overwrites the other. */
    private volatile io.kodiak.discovery.Readiness discovery = io.kodiak.discovery.Readiness.READY;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final LongAdder requests = new LongAdder();
    private final LongAdder failures = new LongAdder();
    private final PeakEwma latency;
    /** What the active health check last concluded; up until a check says otherwise. */
    private volatile boolean healthy = true;
    /** Passive health: taken out by the outlier detector for a while. */
    private volatile boolean ejected;
    /** Guarded by the pool's outlier detector: how many ejections in a row, and when the last one ended. */
    private int ejections;
    private long lastReturnNanos;
    /** Counts ejections ever, so that the scheduled end of an old one cannot end a newer one. */
    private long ejectionId;
    private final AtomicInteger consecutiveFailures = new AtomicInteger();
    /** Node-driven: the upstream's own health response asked to be drained, or re-weighted. */
    private volatile boolean nodeDrain;
    private volatile int nodeWeightPercent = 100;
    private OutlierDetector outliers;
    private final LongSupplier nanoClock;
    /** When the current slow start began, 0 if none is under way; and how long it lasts. */
    private volatile long slowStartFrom;
    private volatile long slowStartNanos;
    /** What the operator set through the admin API (HAProxy's admin state); READY by default. */
    private volatile AdminState admin = AdminState.READY;
    /** The weight set through the admin API, or -1 for the configured one. */
    private volatile int runtimeWeight = -1;
    /** Completed when {@link #inFlight} next reaches zero; {@code null} while nobody waits. */
    private final AtomicReference<CompletableFuture<Void>> idle = new AtomicReference<>();
    /** Completed when the upstream is next available or out of rotation ({@link #whenUp()}); {@code null} while nobody waits. */
    private final AtomicReference<CompletableFuture<Boolean>> up = new AtomicReference<>();
    /** The last active health check's result, or {@code null} before the first. */
    private volatile CheckRecord lastCheck;
    /** Attempts here, timed and counted by cause and status class, for the metrics (ProxyMetrics). */
    private final RequestStats stats;
    private final LongAdder checksPassed = new LongAdder();
    private final LongAdder checksFailed = new LongAdder();
    private final LongAdder wentUp = new LongAdder();
    private final LongAdder wentDown = new LongAdder();
    private final LongAdder ejectionsTotal = new LongAdder();
    /**
     * When {@link #state()} last became DRAIN or MAINT, {@code null} while it is UP or DOWN: the
     * status page's drain progress. Written only under {@link #outLock} by {@link #trackOut()}.
     */
    private volatile OutSince outSince;
    private final Object outLock = new Object();

    /** When a drain began: the nano clock for the elapsed time, the wall clock to show. */
    private record OutSince(long nanos, long epochMillis) {
    }

    /**
     * One active health check's outcome, for the admin API.
     *
     * @param passed        whether it passed
     * @param detail        the probe's result, e.g. {@code "REFUSED in 0.4 ms: ..."}
     * @param epochMillis   when it completed (wall clock)
     */
    public record CheckRecord(boolean passed, String detail, long epochMillis) {
    }

    /**
     * {@link #effectiveWeight()} is the configured weight times this, so that a slow start can
     * ramp a weight of 1 in a hundred steps. Strategies compare weights only with each other, so
     * the scale changes no pick.
     */
    public static final int WEIGHT_SCALE = 100;

    public Upstream(String pool, UpstreamConfig config) {
        this(pool, config, System::nanoTime);
    }

    /** @param nanoClock the clock of the latency estimate (tests inject one) */
    public Upstream(String pool, UpstreamConfig config, LongSupplier nanoClock) {
        this(pool, config, nanoClock, PoolConfig.DEFAULT_LATENCY_DECAY);
    }

    /** @param latencyDecay the time constant τ of the latency estimate */
    public Upstream(String pool, UpstreamConfig config, LongSupplier nanoClock, java.time.Duration latencyDecay) {
        this.pool = pool;
        this.config = config;
        // No lookup for a discovered upstream (resolved already) or a Unix socket; a listed name is
        // resolved here, once, as before discovery existed (resolve: true follows a name instead).
        if (config.unix()) {
            this.address = null;
            this.socketAddress = java.net.UnixDomainSocketAddress.of(config.unixPath());
        } else {
            this.address = config.resolved() != null
                    ? new InetSocketAddress(config.resolved(), config.port())
                    : new InetSocketAddress(config.host(), config.port());
            this.socketAddress = address;
        }
        this.latency = new PeakEwma(latencyDecay, PeakEwma.DEFAULT_RTT, PeakEwma.DEFAULT_PENALTY, nanoClock);
        this.nanoClock = nanoClock;
        this.stats = new RequestStats(pool + "/" + config.name(), PoolRuntime.LATENCY_SETTINGS);
    }

    public String pool() {
        return pool;
    }

    @Override
    public String name() {
        return config.name();
    }

    /** The weight in force: the one set through the admin API, else the configured one. 0 drains. */
    @Override
    public int weight() {
        int w = runtimeWeight;
        return w < 0 ? config.weight() : w;
    }

    /** The weight from the configuration file. */
    public int configuredWeight() {
        return config.weight();
    }

    /**
     * Sets the weight through the admin API ({@code -1}: back to the configured one). Weight 0
     * takes the upstream out of rotation as DRAIN does (HAProxy's {@code set weight 0}). Callers
     * rebuild the pool's selection ({@link PoolRuntime#rebuild()}): a hash ring is laid out by weight.
     */
    public void setRuntimeWeight(int weight) {
        if (weight < -1 || weight > 1000) {
            throw new IllegalArgumentException("weight " + weight + " is not 0-1000");
        }
        runtimeWeight = weight == config.weight() ? -1 : weight;
        trackOut();
    }

    /** Whether the weight was set through the admin API (to something other than the configured one). */
    public boolean weightOverridden() {
        return runtimeWeight >= 0;
    }

    /** The admin state the operator set: READY, DRAIN or MAINT. */
    public AdminState adminState() {
        return admin;
    }

    /**
     * Sets the admin state. Callers rebuild the pool's selection and take care of the checks
     * (MAINT pauses them) and the idle connections (DRAIN and MAINT close them).
     *
     * @return the state before
     */
    public AdminState setAdminState(AdminState state) {
        AdminState was = admin;
        admin = java.util.Objects.requireNonNull(state, "state");
        trackOut();
        return was;
    }

    /**
     * Whether this upstream is out of rotation: the operator took it out (DRAIN, MAINT or weight 0),
     * a reload or its discovery source removed it, or the source says it drains or is not serving.
     * Requests in flight finish; none starts, not even in panic mode.
     */
    public boolean adminOut() {
        return admin != AdminState.READY || runtimeWeight == 0 || removed || discovery != io.kodiak.discovery.Readiness.READY;
    }

    /** What its discovery source says: READY unless a Kubernetes endpoint is terminating or not serving. */
    public io.kodiak.discovery.Readiness discovery() {
        return discovery;
    }

    /**
     * Records what the discovery source says. Callers rebuild the pool's selection and close idle
     * connections on a change to DRAIN or OUT, as for an admin drain.
     *
     * @return whether it changed
     */
    public boolean setDiscovery(io.kodiak.discovery.Readiness r) {
        io.kodiak.discovery.Readiness was = discovery;
        discovery = java.util.Objects.requireNonNull(r, "readiness");
        trackOut();
        return was != r;
    }

    /** The SRV priority it was found with: the pool prefers its lowest available priority. 0 otherwise. */
    public int priority() {
        return config.priority();
    }

    /** The discovery source that found it ({@code dns app:8000}), or {@code null} for a listed upstream. */
    public String source() {
        return config.source();
    }

    /**
     * A reload keeps this upstream with {@code next} (same name and address): its load state,
     * admin state and health carry over. A weight set at runtime is dropped if the configured
     * weight changed (the file's author meant the new one), as the state file does; not for a
     * discovered upstream, whose weight an SRV record gives: a change of another record rescales
     * it, and the operator's weight (0 is a drain) is not the DNS admin's to undo.
     *
     * @return whether the weight set at runtime was dropped
     */
    public boolean reconfigure(UpstreamConfig next) {
        if (!next.name().equals(config.name()) || !next.address().equals(config.address())) {
            throw new IllegalArgumentException(next + " is not " + config);
        }
        boolean dropped = next.weight() != config.weight() && runtimeWeight >= 0 && next.source() == null;
        if (dropped) {
            runtimeWeight = -1;
        }
        config = next;
        if (dropped) {
            trackOut(); // a runtime weight of 0 was a drain
        }
        return dropped;
    }

    /** A reload removed this upstream from its pool: it takes no new request. */
    public void markRemoved() {
        removed = true;
        trackOut();
    }

    /** Whether a reload removed this upstream from its pool. */
    public boolean removed() {
        return removed;
    }

    /** Records an active health check's outcome (the control loop's thread). */
    public void checked(boolean passed, String detail, long epochMillis) {
        lastCheck = new CheckRecord(passed, detail, epochMillis);
        (passed ? checksPassed : checksFailed).increment();
    }

    /** Active health checks that passed (or failed) since start. */
    public long checks(boolean passed) {
        return (passed ? checksPassed : checksFailed).sum();
    }

    /** How often the active check took this upstream up (or down) since start. */
    public long transitions(boolean up) {
        return (up ? wentUp : wentDown).sum();
    }

    /** How often the outlier detector ejected this upstream since start. */
    public long ejectionsTotal() {
        return ejectionsTotal.sum();
    }

    /** Attempts sent here: counters by status class and error cause, bytes, and three latencies. */
    public RequestStats stats() {
        return stats;
    }

    /** The last active health check's outcome, or {@code null} if none ran (yet, or since MAINT). */
    public CheckRecord lastCheck() {
        return lastCheck;
    }

    /**
     * Completes when no request is in flight here (at once if none is now): the admin API's
     * "wait until drained" (HAProxy's {@code wait srv-removable}). The future completes on the
     * thread that ended the last request, a selector thread: callers move off it at once.
     */
    public CompletableFuture<Void> whenIdle() {
        CompletableFuture<Void> f = shared(idle);
        if (inFlight.get() == 0) {
            signalIdle();
        }
        return f;
    }

    /**
     * The future in {@code slot}, or a new one put there: every waiter until the next signal
     * shares it. Callers check their condition after this, so that a signal racing with the
     * registration either finds the future or the check finds what the signal saw.
     */
    private static <T> CompletableFuture<T> shared(AtomicReference<CompletableFuture<T>> slot) {
        CompletableFuture<T> f = slot.get();
        if (f == null) {
            CompletableFuture<T> mine = new CompletableFuture<>();
            f = slot.compareAndExchange(null, mine);
            if (f == null) {
                f = mine;
            }
        }
        return f;
    }

    private void signalIdle() {
        CompletableFuture<Void> f = idle.getAndSet(null);
        if (f != null) {
            f.complete(null);
        }
    }

    /**
     * Completes with {@code true} once this upstream is {@link #available()}, or with {@code false}
     * once the operator takes it out of rotation ({@link #adminOut()}: then only the operator can
     * bring it back), whichever comes first; at once if either holds now. The admin API's "wait
     * until up". The control loop completes it on the transition ({@link #signalUp()}), after it
     * rebuilt the pool's selection, on its own thread: callers move off it at once.
     */
    public CompletableFuture<Boolean> whenUp() {
        CompletableFuture<Boolean> f = shared(up);
        signalUp();
        return f;
    }

    /**
     * One of this upstream's flags changed and its pool's selection was rebuilt (the control
     * loop): if it is available or out of rotation now, {@link #whenUp()} completes.
     */
    public void signalUp() {
        boolean available = available();
        if ((available || adminOut()) && up.get() != null) {
            CompletableFuture<Boolean> f = up.getAndSet(null);
            if (f != null) {
                f.complete(available);
            }
        }
    }

    private volatile String addressText;

    /** The TCP address; {@code null} for a Unix socket (see {@link #socketAddress()}). */
    public InetSocketAddress address() {
        return address;
    }

    /** Where to connect: an {@link InetSocketAddress} or a {@link java.net.UnixDomainSocketAddress}. */
    public java.net.SocketAddress socketAddress() {
        return socketAddress;
    }

    /** Whether it is reached over a Unix-domain socket. */
    public boolean isUnix() {
        return address == null;
    }

    /**
     * The resolved address as text, {@code 10.0.0.5:8000}, {@code [::1]:8000} or
     * {@code unix:/run/gunicorn.sock} (nginx's {@code $upstream_addr}), made once.
     */
    public String addressText() {
        String t = addressText;
        if (t == null) {
            t = address == null ? config.address()
                    : address.getAddress() != null ? io.kodiak.discovery.IpText.withPort(address.getAddress(), address.getPort())
                    : address.getHostString() + ":" + address.getPort();
            addressText = t; // racing threads make equal strings: harmless
        }
        return t;
    }

    /** The host as configured: a name or an IP literal (what TLS to the upstream verifies by default). */
    public String host() {
        return config.host();
    }

    /** The address as configured, {@code host:port}. */
    public String hostPort() {
        return config.address();
    }

    /**
     * The weight weighted strategies use: the configured weight × {@link #WEIGHT_SCALE}, and during a
     * slow start that share of it which the ramp has reached, at least 1 (HAProxy's {@code slowstart}).
     */
    @Override
    public int effectiveWeight() {
        int full = weight() * WEIGHT_SCALE * nodeWeightPercent / 100;
        double ramp = ramp();
        return ramp >= 1 ? Math.max(1, full) : (int) Math.max(1, full * ramp);
    }

    /**
     * Begins a slow start (after the upstream came back): for {@code window} its effective weight
     * and its max-connections grow linearly from almost nothing to their configured values.
     * Nothing happens for a zero window.
     */
    public void startSlowStart(java.time.Duration window) {
        if (window.isZero() || window.isNegative()) {
            return;
        }
        slowStartNanos = window.toNanos();
        slowStartFrom = nonZero(nanoClock.getAsLong());
    }

    /** Whether a slow start is under way. */
    public boolean slowStarting() {
        return ramp() < 1;
    }

    /** The share of its weight and max-connections the upstream has now: 1 outside a slow start. */
    private double ramp() {
        long from = slowStartFrom;
        if (from == 0) {
            return 1;
        }
        long elapsed = nanoClock.getAsLong() - from;
        if (elapsed >= slowStartNanos) {
            slowStartFrom = 0; // over; a racing startSlowStart is at worst cut short
            return 1;
        }
        return Math.max(0, elapsed) / (double) slowStartNanos;
    }

    private static long nonZero(long t) {
        return t == 0 ? 1 : t;
    }

    /** max-connections with a slow start's ramp applied (at least 1); 0 for no limit. */
    private int effectiveMaxConnections() {
        int max = config.maxConnections();
        if (max == 0) {
            return 0;
        }
        double ramp = ramp();
        return ramp >= 1 ? max : (int) Math.max(1, Math.ceil(max * ramp));
    }

    @Override
    public int inFlight() {
        return inFlight.get();
    }

    /** A request was dispatched to this upstream, whatever its limit (tests and simulations). */
    public void begin() {
        inFlight.incrementAndGet();
        requests.increment();
    }

    /**
     * Takes one of this upstream's {@code max-connections} slots for a request, atomically, so that
     * two selector threads cannot both take the last one.
     *
     * @return false if the upstream is at its limit
     */
    public boolean tryBegin() {
        int max = effectiveMaxConnections();
        while (true) {
            int n = inFlight.get();
            if (max > 0 && n >= max) {
                return false;
            }
            if (inFlight.compareAndSet(n, n + 1)) {
                if (adminOut()) {
                    // Drained after the caller's selection was read. Counted in flight first and
                    // then checked, so "wait until drained" either sees this request or this
                    // request sees the drain: none can slip past a drain that has returned.
                    end();
                    return false;
                }
                requests.increment();
                return true;
            }
        }
    }

    /** Whether a request could start here now (no limit, or under it). */
    public boolean hasCapacity() {
        int max = effectiveMaxConnections();
        return max == 0 || inFlight.get() < max;
    }

    /** The concurrency limit, 0 for none. */
    public int maxConnections() {
        return config.maxConnections();
    }

    /** A request dispatched here has finished, successfully or not. */
    public void end() {
        if (inFlight.decrementAndGet() == 0 && idle.get() != null) {
            signalIdle();
        }
    }

    /** A request here failed (connect, reset, timeout, invalid response): counts against its latency too. */
    public void failed() {
        failures.increment();
        latency.fail();
        if (outliers != null) {
            outliers.failed(this);
        }
    }

    /**
     * A response from here is complete, {@code rttNanos} after the request was dispatched. A 5xx
     * counts as a failure for the latency estimate, so a fast-failing upstream does not look cheap.
     */
    public void responded(int status, long rttNanos) {
        if (status >= 500) {
            latency.fail();
        } else {
            latency.observe(rttNanos);
        }
        if (outliers != null) {
            outliers.responded(this, status);
        }
    }

    /** Whether the active health check counts this upstream as up (always, without a check). */
    public boolean healthy() {
        return healthy;
    }

    /**
     * Records the active health check's verdict. Callers rebuild the pool's selection after a
     * change ({@link PoolRuntime#refresh()}).
     *
     * @return whether it changed
     */
    public boolean setHealthy(boolean up) {
        boolean was = healthy;
        healthy = up;
        if (was != up) {
            (up ? wentUp : wentDown).increment();
            trackOut(); // DOWN shows over a node's drain: DRAIN <-> DOWN
        }
        return was != up;
    }

    /**
     * Whether requests may be sent here now: up by its active check, not ejected by the outlier
     * detector, not drained by its own health response, and in rotation by the operator. The
     * flags are independent, so one never overwrites another.
     */
    public boolean available() {
        return healthy && !ejected && !nodeDrain && !adminOut();
    }

    /**
     * The state an operator sees: MAINT or DRAIN if set by the admin API (or weight 0) or DRAIN if
     * its discovery source drains it, else DOWN if the check failed, the outlier detector ejected it
     * or its source says it is not serving, DRAIN if the node asked for it, else UP (HAProxy's
     * precedence: the admin state shows over the operational one).
     */
    public String state() {
        if (admin == AdminState.MAINT) {
            return "MAINT";
        }
        if (admin != AdminState.READY || runtimeWeight == 0 || removed || discovery == io.kodiak.discovery.Readiness.DRAIN) {
            return "DRAIN";
        }
        if (!healthy || ejected || discovery == io.kodiak.discovery.Readiness.OUT) {
            return "DOWN";
        }
        return nodeDrain ? "DRAIN" : "UP";
    }

    /** Why the upstream is not UP, each cause that holds: admin, discovery, health, ejected, node; empty when UP. */
    public java.util.List<String> stateReasons() {
        java.util.List<String> why = new java.util.ArrayList<>(5);
        if (admin != AdminState.READY || runtimeWeight == 0 || removed) {
            why.add("admin");
        }
        if (discovery != io.kodiak.discovery.Readiness.READY) {
            why.add("discovery");
        }
        if (!healthy) {
            why.add("health");
        }
        if (ejected) {
            why.add("ejected");
        }
        if (nodeDrain) {
            why.add("node");
        }
        return why;
    }

    /**
     * How long {@link #state()} has shown DRAIN or MAINT (one or the other, without a break), by the
     * upstream's nano clock; -1 while it is UP or DOWN. A drain that turns into MAINT keeps its start.
     */
    public long drainingForNanos() {
        OutSince s = outSince;
        return s == null ? -1 : Math.max(0, nanoClock.getAsLong() - s.nanos());
    }

    /** When {@link #state()} became DRAIN or MAINT (wall clock), or {@code null} while it is UP or DOWN. */
    public java.time.Instant drainingSince() {
        OutSince s = outSince;
        return s == null ? null : java.time.Instant.ofEpochMilli(s.epochMillis());
    }

    /**
     * Every setter that can change {@link #state()} calls this after its write. Under a lock, and
     * reading the state afresh: of two racing setters the later one here sees both writes, so the
     * record ends as the state is, whichever wrote first. Only on changes, which are rare (the
     * operator, a check's verdict, a source, an ejection): never per request.
     */
    private void trackOut() {
        synchronized (outLock) {
            String s = state();
            boolean out = s.equals("DRAIN") || s.equals("MAINT");
            if (!out) {
                outSince = null;
            } else if (outSince == null) {
                outSince = new OutSince(nanoClock.getAsLong(), System.currentTimeMillis());
            }
        }
    }

    /** Whether the upstream's own health response asks for no new requests ({@code X-Kodiak-State: drain}). */
    public boolean nodeDrain() {
        return nodeDrain;
    }

    /** The share of its weight the upstream's health response asks for ({@code X-Kodiak-Weight}), 100 by default. */
    public int nodeWeightPercent() {
        return nodeWeightPercent;
    }

    /**
     * Records what the upstream's health response asked for. Callers rebuild the pool's selection
     * after a change of {@code drain} ({@link PoolRuntime#refresh()}); a weight takes effect at the next pick.
     *
     * @return whether anything changed
     */
    public boolean setNodeState(boolean drain, int weightPercent) {
        boolean changed = drain != nodeDrain || weightPercent != nodeWeightPercent;
        nodeDrain = drain;
        nodeWeightPercent = weightPercent;
        if (changed) {
            trackOut();
        }
        return changed;
    }

    /** Whether the outlier detector has taken this upstream out for a while. */
    public boolean ejected() {
        return ejected;
    }

    /** Failed requests in a row, as the outlier detector counts them. */
    public int consecutiveFailures() {
        return consecutiveFailures.get();
    }

    void observedBy(OutlierDetector detector) {
        this.outliers = detector;
    }

    int countFailure() {
        return consecutiveFailures.incrementAndGet();
    }

    void resetFailures() {
        if (consecutiveFailures.get() != 0) {
            consecutiveFailures.set(0);
        }
    }

    int ejections() {
        return ejections;
    }

    /** When the last ejection ended, 0 if there was none. */
    long lastReturnNanos() {
        return lastReturnNanos;
    }

    /** @return this ejection's id */
    long eject(int n) {
        ejections = n;
        ejected = true;
        ejectionsTotal.increment();
        trackOut();
        return ++ejectionId;
    }

    long ejectionId() {
        return ejectionId;
    }

    void restore(long nowNanos) {
        consecutiveFailures.set(0);
        lastReturnNanos = nowNanos;
        ejected = false;
        trackOut();
    }

    /** The peak-EWMA latency estimate, which outlives configuration snapshots with the rest of this object. */
    public PeakEwma latency() {
        return latency;
    }

    @Override
    public double latencyNanos() {
        return latency.nanos();
    }

    public long requests() {
        return requests.sum();
    }

    public long failures() {
        return failures.sum();
    }

    @Override
    public String toString() {
        return pool + "/" + name() + "(" + config.address() + ", weight " + weight() + ", in flight " + inFlight + (healthy ? "" : ", DOWN") + (ejected ? ", ejected" : "") + (slowStartFrom != 0 ? ", slow start" : "") + (nodeDrain ? ", node drain" : "")
                + (nodeWeightPercent != 100 ? ", node weight " + nodeWeightPercent + "%" : "")
                + (admin != AdminState.READY ? ", " + admin : "") + ")";
    }
}
