package io.kodiak.balancer;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
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
 * <p>Thread-safe and lock-free; the clock is injected so that tests control time.
 */
public final class PeakEwma {
    /** The RTT assumed before any observation. */
    public static final Duration DEFAULT_RTT = Duration.ofMillis(30);
    /** The RTT a failure counts as. */
    public static final Duration DEFAULT_PENALTY = Duration.ofSeconds(1);

    /** τ; a reload may change it, readers see the new one at their next read. */
    private volatile double tauNanos;
    private final long penaltyNanos;
    private final LongSupplier nanoClock;
    /** The estimate and when it was last observed, swapped as one so that readers never lock. */
    private final AtomicReference<Sample> sample;

    private record Sample(double ewma, long stamp) {
    }

    public PeakEwma(Duration decay, Duration defaultRtt, Duration penalty, LongSupplier nanoClock) {
        this.tauNanos = decay.toNanos();
        this.penaltyNanos = penalty.toNanos();
        this.nanoClock = nanoClock;
        this.sample = new AtomicReference<>(new Sample(defaultRtt.toNanos(), nanoClock.getAsLong()));
    }

    /** A request to this upstream completed after {@code rttNanos}. */
    public void observe(long rttNanos) {
        while (true) {
            Sample s = sample.get();
            long now = nanoClock.getAsLong();
            double w = Math.exp(-Math.max(now - s.stamp(), 0) / tauNanos);
            double ewma = rttNanos > s.ewma() ? rttNanos : s.ewma() * w + rttNanos * (1 - w);
            if (sample.compareAndSet(s, new Sample(ewma, now))) {
                return;
            }
        }
    }

    /** From now on the estimate decays with time constant {@code decay}; the estimate itself is kept. */
    public void setDecay(Duration decay) {
        tauNanos = decay.toNanos();
    }

    /** A request to this upstream failed: it counts as a round trip of the penalty. */
    public void fail() {
        observe(penaltyNanos);
    }

    /** The current estimate in nanoseconds, decayed for the time since the last observation. */
    public double nanos() {
        Sample s = sample.get();
        return s.ewma() * Math.exp(-Math.max(nanoClock.getAsLong() - s.stamp(), 0) / tauNanos);
    }

    @Override
    public String toString() {
        return String.format("PeakEwma[%.3f ms]", nanos() / 1e6);
    }
}
