package io.kodiak.health;

import java.time.Duration;
import java.util.Objects;

/**
 * How one target is checked, with HAProxy's meanings and defaults.
 *
 * @param rise         consecutive passed checks that bring a down target up (HAProxy {@code rise}, default 2)
 * @param fall         consecutive failed checks that take an up target down (HAProxy {@code fall}, default 3)
 * @param interval     between checks while fully {@link CheckState#UP} (HAProxy {@code inter}, default 2 s)
 * @param fastInterval between checks while {@link CheckState#GOING_DOWN} or {@link CheckState#COMING_UP},
 *                     so a transition is confirmed sooner (HAProxy {@code fastinter}, defaults to {@code inter})
 * @param downInterval between checks while fully {@link CheckState#DOWN} (HAProxy {@code downinter},
 *                     defaults to {@code inter})
 * @param timeout      how long one check may take before it counts as failed
 * @param jitter       each delay is drawn uniformly from {@code interval × (1 ± jitter)}, so that checks
 *                     of many targets started together spread out; 0 (none) up to but excluding 1
 * @param initialState where a newly added target starts
 */
public record HealthCheckPolicy(int rise, int fall, Duration interval, Duration fastInterval, Duration downInterval,
                                Duration timeout, double jitter, InitialState initialState) {

    /** HAProxy's defaults (rise 2, fall 3, 2 s everywhere, starts {@link InitialState#UP}) plus ±10 % jitter. */
    public static final HealthCheckPolicy DEFAULTS = new HealthCheckPolicy(2, 3, Duration.ofSeconds(2),
            Duration.ofSeconds(2), Duration.ofSeconds(2), Duration.ofSeconds(2), 0.1, InitialState.UP);

    public HealthCheckPolicy {
        if (rise < 1 || fall < 1) {
            throw new IllegalArgumentException("rise and fall must be >= 1: rise=" + rise + ", fall=" + fall);
        }
        requirePositive("interval", interval);
        requirePositive("fastInterval", fastInterval);
        requirePositive("downInterval", downInterval);
        requirePositive("timeout", timeout);
        if (!(jitter >= 0 && jitter < 1)) {
            throw new IllegalArgumentException("jitter must be in [0, 1): " + jitter);
        }
        Objects.requireNonNull(initialState, "initialState");
    }

    private static void requirePositive(String name, Duration d) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be positive: " + d);
        }
    }

    public HealthCheckPolicy withThresholds(int rise, int fall) {
        return new HealthCheckPolicy(rise, fall, interval, fastInterval, downInterval, timeout, jitter, initialState);
    }

    public HealthCheckPolicy withIntervals(Duration interval, Duration fastInterval, Duration downInterval) {
        return new HealthCheckPolicy(rise, fall, interval, fastInterval, downInterval, timeout, jitter, initialState);
    }

    public HealthCheckPolicy withTimeout(Duration timeout) {
        return new HealthCheckPolicy(rise, fall, interval, fastInterval, downInterval, timeout, jitter, initialState);
    }

    public HealthCheckPolicy withJitter(double jitter) {
        return new HealthCheckPolicy(rise, fall, interval, fastInterval, downInterval, timeout, jitter, initialState);
    }

    public HealthCheckPolicy withInitialState(InitialState initialState) {
        return new HealthCheckPolicy(rise, fall, interval, fastInterval, downInterval, timeout, jitter, initialState);
    }
}
