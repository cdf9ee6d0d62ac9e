package io.kodiak.health;

import java.time.Duration;
import java.util.Objects;
import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;

/**
 * HAProxy's health-check state machine for one target: rise and fall share one counter.
 *
 * <p>The counter runs from 0 to {@code max = rise + fall - 1}; the target is up while
 * {@code counter >= rise}. A passed check raises the counter by one, and on reaching {@code rise} it
 * jumps to {@code max}; a failed check lowers it by one, and on dropping below {@code rise} it falls to
 * 0 (HAProxy {@code src/check.c}, {@code set_server_check_status()}). Hence:
 * <ul>
 *   <li>from fully up it takes {@code fall} failures in a row to go down, and one success in between
 *       restores fully up;</li>
 *   <li>from fully down it takes {@code rise} successes in a row to come up, and one failure in between
 *       restores fully down.</li>
 * </ul>
 * The four {@link CheckState}s are the counter's regions: {@code max} is {@link CheckState#UP},
 * {@code rise..max-1} {@link CheckState#GOING_DOWN}, {@code 1..rise-1} {@link CheckState#COMING_UP},
 * 0 {@link CheckState#DOWN}. {@link InitialState} sets the counter to {@code max}, {@code rise},
 * {@code rise - 1} or 0, as HAProxy's {@code init-state}.
 *
 * <p>Pure logic: time comes from the injected nanosecond clock and jitter from the injected random
 * generator, so tests drive it without threads or sleeps.
 *
 * <p><b>Threading.</b> Not thread-safe: one thread at a time (the {@link HealthChecker} runs each
 * target's machine on its scheduler, one check after another).
 */
public final class HealthStateMachine {

    private final HealthCheckPolicy policy;
    private final LongSupplier nanoClock;
    private final RandomGenerator random;
    private final int max;
    private int counter;
    private long sinceNanos;
    private String lastFailure;

    /**
     * @param policy    thresholds, intervals, jitter and initial state
     * @param nanoClock a monotonic nanosecond clock, such as {@code System::nanoTime}
     * @param random    draws the jitter of {@link #nextInterval()}
     */
    public HealthStateMachine(HealthCheckPolicy policy, LongSupplier nanoClock, RandomGenerator random) {
        this.policy = Objects.requireNonNull(policy, "policy");
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
        this.random = Objects.requireNonNull(random, "random");
        this.max = policy.rise() + policy.fall() - 1;
        this.counter = switch (policy.initialState()) {
            case FULLY_UP -> max;
            case UP -> policy.rise();
            case DOWN -> policy.rise() - 1;
            case FULLY_DOWN -> 0;
        };
        this.sinceNanos = nanoClock.getAsLong();
    }

    /** Applies a passed check. */
    public Step onSuccess() {
        CheckState from = state();
        if (counter < max) {
            counter++;
            if (counter >= policy.rise()) {
                counter = max;
            }
        }
        return step(from);
    }

    /**
     * Applies a failed check.
     *
     * @param reason why it failed, kept for {@link #lastFailureReason()} and {@link #toString()}
     */
    public Step onFailure(String reason) {
        CheckState from = state();
        lastFailure = reason;
        if (counter > 0) {
            counter--;
            if (counter < policy.rise()) {
                counter = 0;
            }
        }
        return step(from);
    }

    private Step step(CheckState from) {
        Step step = new Step(from, state());
        if (step.changed()) {
            sinceNanos = nanoClock.getAsLong();
        }
        return step;
    }

    public CheckState state() {
        if (counter >= policy.rise()) {
            return counter == max ? CheckState.UP : CheckState.GOING_DOWN;
        }
        return counter == 0 ? CheckState.DOWN : CheckState.COMING_UP;
    }

    public Health health() {
        return state().health();
    }

    /** @return HAProxy's health counter, 0 to {@code rise + fall - 1} */
    public int counter() {
        return counter;
    }

    /** @return the clock reading when {@link #health()} last changed, or when this machine was created */
    public long healthSinceNanos() {
        return sinceNanos;
    }

    /** @return the reason given to the last {@link #onFailure(String)}, or {@code null} if none yet */
    public String lastFailureReason() {
        return lastFailure;
    }

    public HealthCheckPolicy policy() {
        return policy;
    }

    /**
     * @return the interval for the current state without jitter: {@code interval} while fully up,
     *         {@code downInterval} while fully down, {@code fastInterval} in between (HAProxy
     *         {@code srv_getinter()})
     */
    public Duration baseInterval() {
        return switch (state()) {
            case UP -> policy.interval();
            case DOWN -> policy.downInterval();
            case GOING_DOWN, COMING_UP -> policy.fastInterval();
        };
    }

    /**
     * @return the delay before the next check: {@link #baseInterval()} scaled by a factor drawn uniformly
     *         from {@code [1 - jitter, 1 + jitter]} (to the nanosecond), never less than 1 ns
     */
    public Duration nextInterval() {
        long nanos = baseInterval().toNanos();
        // jitter < 1, so spread < nanos and the result stays positive.
        long spread = (long) (nanos * policy.jitter());
        if (spread > 0) {
            nanos += random.nextLong(-spread, spread + 1);
        }
        return Duration.ofNanos(Math.max(1, nanos));
    }

    /**
     * @return a delay for the first check, drawn uniformly from {@code [0, jitter × baseInterval()]}:
     *         targets added together (at start-up, on a reload) do not all probe at the same instant,
     *         yet each is checked soon, which matters for one that starts down
     */
    public Duration initialDelay() {
        long spread = (long) (baseInterval().toNanos() * policy.jitter());
        return Duration.ofNanos(spread > 0 ? random.nextLong(0, spread + 1) : 0);
    }

    @Override
    public String toString() {
        return "HealthStateMachine{" + state() + ", counter=" + counter + '/' + max + ", rise=" + policy.rise()
                + ", fall=" + policy.fall() + (lastFailure == null ? "" : ", lastFailure=" + lastFailure) + '}';
    }

    /**
     * The effect of one check result.
     *
     * @param from the state before the result
     * @param to   the state after it
     */
    public record Step(CheckState from, CheckState to) {

        /** @return whether {@link Health} changed, i.e. the caller should act on (and log) a transition */
        public boolean changed() {
            return from.health() != to.health();
        }

        /** @return whether the target is now between thresholds: a transition may follow */
        public boolean pending() {
            return to.isTransitional();
        }
    }
}
