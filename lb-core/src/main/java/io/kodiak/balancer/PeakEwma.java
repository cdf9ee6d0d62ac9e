package io.kodiak.balancer;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * Finagle's peak-EWMA of an upstream's round-trip time, the load metric behind
 * {@link LatencyWeighted}. On each observation, with {@code Δt} the time since the previous one,
 * {@code w = exp(-Δt/τ)}; a slower round trip is taken at once ({@code ewma = rtt}, the peak),
 * a faster one only gradually ({@code ewma = ewma·w + rtt·(1-w)}). Weighting by elapsed time
 * makes unevenly spaced samples count fairly; idle time decays the estimate towards zero so a
 * recovered upstream is tried again.
 *
 * <p>An upstream with no history starts at a default RTT: it gets probed, not flooded. Failures
 * (refused or timed-out connects, resets, invalid responses, 5xx) are observed as a penalty RTT:
 * without that, an upstream that fails fast would look like the fastest one and attract more
 * traffic, the known flaw of plain peak EWMA.
 *
 * <p>Thread-safe; the clock is injected so that tests control time.
 */
public final class PeakEwma {
    /** The RTT assumed before any observation. */
    public static final Duration DEFAULT_RTT = Duration.ofMillis(30);
    /** The RTT a failure counts as. */
    public static final Duration DEFAULT_PENALTY = Duration.ofSeconds(1);

    private final double tauNanos;
    private final long penaltyNanos;
    private final LongSupplier nanoClock;
    private double ewma;
    private long stamp;

    public PeakEwma(Duration decay, Duration defaultRtt, Duration penalty, LongSupplier nanoClock) {
        this.tauNanos = decay.toNanos();
        this.penaltyNanos = penalty.toNanos();
        this.nanoClock = nanoClock;
        this.ewma = defaultRtt.toNanos();
        this.stamp = nanoClock.getAsLong();
    }

    /** A request to this upstream completed after {@code rttNanos}. */
    public synchronized void observe(long rttNanos) {
        long now = nanoClock.getAsLong();
        double w = Math.exp(-Math.max(now - stamp, 0) / tauNanos);
        ewma = rttNanos > ewma ? rttNanos : ewma * w + rttNanos * (1 - w);
        stamp = now;
    }

    /** A request to this upstream failed: it counts as a round trip of the penalty. */
    public void fail() {
        observe(penaltyNanos);
    }

    /** The current estimate in nanoseconds, decayed for the time since the last observation. */
    public synchronized double nanos() {
        long now = nanoClock.getAsLong();
        return ewma * Math.exp(-Math.max(now - stamp, 0) / tauNanos);
    }

    @Override
    public String toString() {
        return String.format("PeakEwma[%.3f ms]", nanos() / 1e6);
    }
}
