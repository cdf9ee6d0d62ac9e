package io.kodiak.upstream;

import io.kodiak.balancer.PeakEwma;
import io.kodiak.config.PoolConfig;
import io.kodiak.config.UpstreamConfig;

import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * One upstream server and the load state that belongs to it rather than to any configuration:
 * requests in flight and totals live here so that later reloads and health changes keep them.
 * Thread-safe.
 */
public final class Upstream {
    private final String pool;
    private final UpstreamConfig config;
    private final InetSocketAddress address;
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
        this.address = new InetSocketAddress(config.host(), config.port());
        this.latency = new PeakEwma(latencyDecay, PeakEwma.DEFAULT_RTT, PeakEwma.DEFAULT_PENALTY, nanoClock);
        this.nanoClock = nanoClock;
    }

    public String pool() {
        return pool;
    }

    public String name() {
        return config.name();
    }

    public int weight() {
        return config.weight();
    }

    public InetSocketAddress address() {
        return address;
    }

    /**
     * The weight weighted strategies use: the configured weight × {@link #WEIGHT_SCALE}, and during a
     * slow start that share of it which the ramp has reached, at least 1 (HAProxy's {@code slowstart}).
     */
    public int effectiveWeight() {
        int full = config.weight() * WEIGHT_SCALE * nodeWeightPercent / 100;
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
        inFlight.decrementAndGet();
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
        return was != up;
    }

    /**
     * Whether requests may be sent here now: up by its active check, not ejected by the outlier
     * detector, and not drained by its own health response. The flags are independent, so one
     * never overwrites another (the admin state will be a fourth).
     */
    public boolean available() {
        return healthy && !ejected && !nodeDrain;
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
        return ++ejectionId;
    }

    long ejectionId() {
        return ejectionId;
    }

    void restore(long nowNanos) {
        consecutiveFailures.set(0);
        lastReturnNanos = nowNanos;
        ejected = false;
    }

    /** The peak-EWMA latency estimate, which outlives configuration snapshots with the rest of this object. */
    public PeakEwma latency() {
        return latency;
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
                + (nodeWeightPercent != 100 ? ", node weight " + nodeWeightPercent + "%" : "") + ")";
    }
}
