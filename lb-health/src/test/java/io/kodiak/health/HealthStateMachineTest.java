package io.kodiak.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

class HealthStateMachineTest {

    private static final Duration INTER = Duration.ofSeconds(10);
    private static final Duration FAST = Duration.ofSeconds(1);
    private static final Duration DOWN_INTER = Duration.ofSeconds(30);

    private final AtomicLong clock = new AtomicLong(1_000);

    private HealthStateMachine machine(int rise, int fall, InitialState initial) {
        HealthCheckPolicy policy = HealthCheckPolicy.DEFAULTS.withThresholds(rise, fall)
                .withIntervals(INTER, FAST, DOWN_INTER).withJitter(0).withInitialState(initial);
        return new HealthStateMachine(policy, clock::get, new Random(1));
    }

    @Test
    void initialStatesFollowHaproxyInitState() {
        assertEquals(CheckState.UP, machine(2, 3, InitialState.FULLY_UP).state());
        assertEquals(CheckState.GOING_DOWN, machine(2, 3, InitialState.UP).state());
        assertEquals(CheckState.COMING_UP, machine(2, 3, InitialState.DOWN).state());
        assertEquals(CheckState.DOWN, machine(2, 3, InitialState.FULLY_DOWN).state());
        // With fall 1 "up" is already fully up; with rise 1 "down" is already fully down.
        assertEquals(CheckState.UP, machine(2, 1, InitialState.UP).state());
        assertEquals(CheckState.DOWN, machine(1, 3, InitialState.DOWN).state());
    }

    @Test
    void defaultThresholdsTakeThreeFailuresDownAndTwoSuccessesUp() {
        HealthStateMachine m = machine(2, 3, InitialState.FULLY_UP);

        assertStep(m.onFailure("f1"), CheckState.UP, CheckState.GOING_DOWN, false);
        assertStep(m.onFailure("f2"), CheckState.GOING_DOWN, CheckState.GOING_DOWN, false);
        assertStep(m.onFailure("f3"), CheckState.GOING_DOWN, CheckState.DOWN, true);
        assertStep(m.onFailure("f4"), CheckState.DOWN, CheckState.DOWN, false);
        assertStep(m.onSuccess(), CheckState.DOWN, CheckState.COMING_UP, false);
        assertStep(m.onSuccess(), CheckState.COMING_UP, CheckState.UP, true);
        assertStep(m.onSuccess(), CheckState.UP, CheckState.UP, false);
        assertEquals("f4", m.lastFailureReason());
    }

    @Test
    void oneSuccessWhileGoingDownRestoresFullyUp() {
        HealthStateMachine m = machine(2, 3, InitialState.FULLY_UP);
        m.onFailure("a");
        m.onFailure("b");

        assertStep(m.onSuccess(), CheckState.GOING_DOWN, CheckState.UP, false);
        assertEquals(4, m.counter());
        // So failures that alternate with successes never take it down.
        for (int i = 0; i < 10; i++) {
            assertFalse(m.onFailure("x").changed());
            assertFalse(m.onSuccess().changed());
        }
        assertEquals(Health.UP, m.health());
    }

    @Test
    void oneFailureWhileComingUpRestoresFullyDown() {
        HealthStateMachine m = machine(3, 2, InitialState.FULLY_DOWN);
        m.onSuccess();
        m.onSuccess();
        assertEquals(CheckState.COMING_UP, m.state());

        assertStep(m.onFailure("x"), CheckState.COMING_UP, CheckState.DOWN, false);
        assertEquals(0, m.counter());
    }

    @Test
    void initialUpGoesDownOnTheFirstFailureAndInitialDownUpOnTheFirstSuccess() {
        assertTrue(machine(2, 3, InitialState.UP).onFailure("x").changed());
        assertTrue(machine(2, 3, InitialState.DOWN).onSuccess().changed());
        assertFalse(machine(2, 3, InitialState.FULLY_UP).onFailure("x").changed());
        assertFalse(machine(2, 3, InitialState.FULLY_DOWN).onSuccess().changed());
    }

    /**
     * Every sequence of up to 8 results, for rise and fall 1..4 and every initial state, against an
     * independent model that counts the results still needed to flip instead of HAProxy's counter.
     */
    @Test
    void matchesTheRemainingCountModelOnEverySequence() {
        for (int rise = 1; rise <= 4; rise++) {
            for (int fall = 1; fall <= 4; fall++) {
                for (InitialState initial : InitialState.values()) {
                    // Each step is checked, so the 256 sequences of length 8 cover every shorter one as a prefix.
                    for (int bits = 0; bits < (1 << 8); bits++) {
                        checkSequence(rise, fall, initial, 8, bits);
                    }
                }
            }
        }
    }

    private void checkSequence(int rise, int fall, InitialState initial, int length, int bits) {
        HealthStateMachine m = machine(rise, fall, initial);
        Model model = new Model(rise, fall, initial);
        String where = "rise=" + rise + " fall=" + fall + " initial=" + initial + " sequence=";
        assertEquals(model.state(), m.state(), where);
        StringBuilder sequence = new StringBuilder();
        for (int i = 0; i < length; i++) {
            boolean success = (bits & (1 << i)) != 0;
            sequence.append(success ? 'S' : 'F');
            boolean modelChanged = model.apply(success);
            HealthStateMachine.Step step = success ? m.onSuccess() : m.onFailure("f");
            assertEquals(model.state(), step.to(), () -> where + sequence);
            assertEquals(modelChanged, step.changed(), () -> where + sequence);
            assertEquals(step.to().isTransitional(), step.pending(), () -> where + sequence);
            assertTrue(m.counter() >= 0 && m.counter() <= rise + fall - 1, () -> where + sequence);
        }
    }

    /** The same rules stated as "results still needed to flip", with no shared counter. */
    private static final class Model {
        final int rise;
        final int fall;
        boolean up;
        int needed;

        Model(int rise, int fall, InitialState initial) {
            this.rise = rise;
            this.fall = fall;
            switch (initial) {
                case FULLY_UP -> { up = true; needed = fall; }
                case UP -> { up = true; needed = 1; }
                case DOWN -> { up = false; needed = 1; }
                case FULLY_DOWN -> { up = false; needed = rise; }
                default -> throw new AssertionError(initial);
            }
        }

        /** @return whether up/down flipped */
        boolean apply(boolean success) {
            if (success == up) {
                needed = up ? fall : rise; // a result agreeing with the current health resets the streak
                return false;
            }
            if (--needed > 0) {
                return false;
            }
            up = !up;
            needed = up ? fall : rise;
            return true;
        }

        CheckState state() {
            if (up) {
                return needed == fall ? CheckState.UP : CheckState.GOING_DOWN;
            }
            return needed == rise ? CheckState.DOWN : CheckState.COMING_UP;
        }
    }

    @Test
    void intervalFollowsTheState() {
        HealthStateMachine m = machine(2, 3, InitialState.FULLY_UP);
        assertEquals(INTER, m.baseInterval());
        m.onFailure("x");
        assertEquals(FAST, m.baseInterval());
        m.onFailure("x");
        m.onFailure("x");
        assertEquals(DOWN_INTER, m.baseInterval());
        m.onSuccess();
        assertEquals(FAST, m.baseInterval());
        m.onSuccess();
        assertEquals(INTER, m.baseInterval());
        assertEquals(INTER, m.nextInterval(), "no jitter configured");
    }

    @Test
    void jitterStaysWithinBoundsAndIsReproducibleFromTheSeed() {
        HealthCheckPolicy policy = HealthCheckPolicy.DEFAULTS.withIntervals(INTER, FAST, DOWN_INTER).withJitter(0.1)
                .withInitialState(InitialState.FULLY_UP);
        HealthStateMachine a = new HealthStateMachine(policy, clock::get, new Random(12345L));
        HealthStateMachine b = new HealthStateMachine(policy, clock::get, new Random(12345L));
        long low = INTER.toNanos() * 9 / 10;
        long high = INTER.toNanos() * 11 / 10;
        long min = Long.MAX_VALUE;
        long max = Long.MIN_VALUE;
        List<Duration> drawnByA = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            Duration d = a.nextInterval();
            drawnByA.add(d);
            assertTrue(d.toNanos() >= low && d.toNanos() <= high, d.toString());
            min = Math.min(min, d.toNanos());
            max = Math.max(max, d.toNanos());
        }
        // Both sides of the base interval are used, and most of the range (not a fixed offset).
        assertTrue(min < low + INTER.toNanos() / 100, "min " + min);
        assertTrue(max > high - INTER.toNanos() / 100, "max " + max);
        for (Duration d : drawnByA) {
            assertEquals(d, b.nextInterval());
        }
    }

    @Test
    void initialDelayIsWithinTheJitterOfTheInterval() {
        HealthCheckPolicy policy = HealthCheckPolicy.DEFAULTS.withIntervals(INTER, FAST, DOWN_INTER).withJitter(0.2);
        HealthStateMachine m = new HealthStateMachine(policy, clock::get, new Random(7));
        // Initial UP means GOING_DOWN, so the base is the fast interval.
        for (int i = 0; i < 1_000; i++) {
            long d = m.initialDelay().toNanos();
            assertTrue(d >= 0 && d <= FAST.toNanos() / 5, "delay " + d);
        }
        assertEquals(Duration.ZERO, machine(2, 3, InitialState.UP).initialDelay());
    }

    @Test
    void healthSinceMovesOnlyWhenHealthChanges() {
        HealthStateMachine m = machine(2, 3, InitialState.FULLY_UP);
        assertEquals(1_000, m.healthSinceNanos());
        clock.set(2_000);
        m.onFailure("x");
        assertEquals(1_000, m.healthSinceNanos());
        clock.set(3_000);
        m.onFailure("x");
        m.onFailure("x");
        assertEquals(3_000, m.healthSinceNanos());
        assertNull(machine(2, 3, InitialState.UP).lastFailureReason());
    }

    @Test
    void policyRejectsNonsense() {
        HealthCheckPolicy d = HealthCheckPolicy.DEFAULTS;
        assertThrows(IllegalArgumentException.class, () -> d.withThresholds(0, 3));
        assertThrows(IllegalArgumentException.class, () -> d.withThresholds(2, 0));
        assertThrows(IllegalArgumentException.class, () -> d.withIntervals(Duration.ZERO, FAST, DOWN_INTER));
        assertThrows(IllegalArgumentException.class, () -> d.withTimeout(Duration.ofMillis(-1)));
        assertThrows(IllegalArgumentException.class, () -> d.withJitter(1.0));
        assertThrows(IllegalArgumentException.class, () -> d.withJitter(Double.NaN));
        assertThrows(NullPointerException.class, () -> d.withInitialState(null));
    }

    private static void assertStep(HealthStateMachine.Step step, CheckState from, CheckState to, boolean changed) {
        assertEquals(from, step.from(), "from");
        assertEquals(to, step.to(), "to");
        assertEquals(changed, step.changed(), "changed");
    }
}
