package io.kodiak.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;

import org.junit.jupiter.api.Test;

/** Virtual time throughout: {@link FakeScheduler} is both the scheduler and the clock. */
class HealthCheckerTest {

    private static final Duration INTER = Duration.ofSeconds(10);
    private static final Duration FAST = Duration.ofSeconds(1);
    private static final Duration DOWN_INTER = Duration.ofSeconds(30);
    private static final Duration TIMEOUT = Duration.ofSeconds(2);
    private static final HealthCheckPolicy POLICY = HealthCheckPolicy.DEFAULTS.withThresholds(2, 3)
            .withIntervals(INTER, FAST, DOWN_INTER).withTimeout(TIMEOUT).withJitter(0)
            .withInitialState(InitialState.FULLY_UP);

    private final FakeScheduler scheduler = new FakeScheduler();
    private final List<String> transitions = new ArrayList<>();
    private final HealthChecker<String> checker = new HealthChecker<>(scheduler, scheduler, new Random(42),
            (target, from, to, reason) -> transitions.add(target + " " + from + "->" + to + " " + reason.status()));

    @Test
    void reportsEachTransitionOnceAndChecksAtTheIntervalOfEachState() {
        ScriptedProbe probe = new ScriptedProbe("S F F F F S S S");
        checker.add("app1", probe, POLICY);

        scheduler.advance(Duration.ofSeconds(90));

        // UP: +10 s; going down: +1 s; DOWN: +30 s; coming up: +1 s; UP again: +10 s.
        assertEquals(List.of(0L, 10L, 11L, 12L, 42L, 72L, 73L, 83L), probe.startSeconds());
        assertEquals(List.of("app1 UP->DOWN REFUSED", "app1 DOWN->UP SUCCESS"), transitions);
        assertEquals(Health.UP, checker.health("app1"));
        assertEquals(CheckState.UP, checker.state("app1"));
    }

    @Test
    void jitterSpreadsTheIntervalsWithinBounds() {
        HealthChecker<String> jittered = new HealthChecker<>(scheduler, scheduler, new Random(12345L), (t, f, to, r) -> { });
        ScriptedProbe probe = new ScriptedProbe("S".repeat(200).replace("", " ").trim());
        jittered.add("app1", probe, POLICY.withJitter(0.1));

        scheduler.advance(Duration.ofSeconds(10 * 150));

        List<Long> starts = probe.startNanos;
        assertTrue(starts.size() > 100, "checks: " + starts.size());
        assertTrue(starts.get(0) <= INTER.toNanos() / 10, "first check within the jitter: " + starts.get(0));
        boolean differ = false;
        for (int i = 2; i < starts.size(); i++) {
            long gap = starts.get(i) - starts.get(i - 1);
            assertTrue(gap >= INTER.toNanos() * 9 / 10 && gap <= INTER.toNanos() * 11 / 10, "gap " + gap);
            differ |= gap != starts.get(1) - starts.get(0);
        }
        assertTrue(differ, "jitter drew the same interval every time");
    }

    @Test
    void removeStopsChecksAndDropsTheResultInFlight() {
        ScriptedProbe probe = new ScriptedProbe("");
        checker.add("app1", probe, POLICY.withInitialState(InitialState.UP));
        scheduler.runDue();
        assertEquals(1, probe.startNanos.size());

        assertTrue(checker.remove("app1"));
        probe.answer(ProbeStatus.REFUSED);
        scheduler.advance(Duration.ofHours(1));

        assertEquals(1, probe.startNanos.size());
        assertEquals(List.of(), transitions);
        assertNull(checker.health("app1"));
        assertEquals(List.of(), scheduler.pendingDelays());
        assertFalse(checker.remove("app1"));
    }

    @Test
    void probeThatNeverReportsTimesOutByTheWatchdogAndItsLateReportIsIgnored() {
        ScriptedProbe probe = new ScriptedProbe("");
        checker.add("app1", probe, POLICY.withInitialState(InitialState.UP));
        scheduler.runDue();
        Consumer<ProbeResult> late = probe.held;

        scheduler.advance(TIMEOUT.plusMillis(HealthChecker.WATCHDOG_GRACE_MILLIS));

        assertEquals(List.of("app1 UP->DOWN TIMEOUT"), transitions);
        assertEquals(List.of(DOWN_INTER), scheduler.pendingDelays());
        late.accept(new ProbeResult(ProbeStatus.SUCCESS, "too late", 0));
        scheduler.advance(Duration.ofSeconds(1));
        assertEquals(Health.DOWN, checker.health("app1"));
        assertEquals(1, probe.startNanos.size());
    }

    @Test
    void probeThatThrowsOnStartCountsAsAnError() {
        Probe broken = (timeout, callback) -> {
            throw new IllegalStateException("probe resources closed (expected in this test)");
        };
        checker.add("app1", broken, POLICY.withInitialState(InitialState.UP));

        scheduler.runDue();

        assertEquals(List.of("app1 UP->DOWN ERROR"), transitions);
    }

    @Test
    void aProbeThatFailsToStartBecauseTheCheckerClosedMeanwhileEndsQuietly() {
        List<java.util.logging.LogRecord> warnings = new ArrayList<>();
        java.util.logging.Handler capture = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                if (r.getLevel().intValue() >= java.util.logging.Level.WARNING.intValue()) {
                    warnings.add(r);
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        // What a shutdown on another thread does while a check is starting: the checker closes,
        // then its owner closes the probe's loop, and the probe refuses the connect.
        Probe closing = (timeout, callback) -> {
            checker.close();
            throw new IllegalStateException("kodiak-connect-probe-1 is closed");
        };
        checker.add("app1", closing, POLICY.withInitialState(InitialState.UP));
        java.util.logging.Logger log = java.util.logging.Logger.getLogger(HealthChecker.class.getName());
        log.addHandler(capture);
        try {
            scheduler.runDue();
        } finally {
            log.removeHandler(capture);
        }

        assertEquals(List.of(), warnings.stream().map(java.util.logging.LogRecord::getMessage).toList());
        assertEquals(List.of(), transitions);
        assertEquals(List.of(), scheduler.pendingDelays(), "no watchdog or next check left behind");
    }

    @Test
    void failingListenerDoesNotStopChecks() {
        HealthChecker<String> withBadListener = new HealthChecker<>(scheduler, scheduler, new Random(1), (t, f, to, r) -> {
            throw new IllegalStateException("listener bug (expected in this test)");
        });
        ScriptedProbe probe = new ScriptedProbe("F S S S");
        withBadListener.add("app1", probe, POLICY.withInitialState(InitialState.UP));

        // F at 0 s (DOWN: the listener throws), S at 30 s, S at 31 s (UP: it throws again), S at 41 s.
        scheduler.advance(Duration.ofSeconds(45));

        assertEquals(List.of(0L, 30L, 31L, 41L), probe.startSeconds());
        assertEquals(Health.UP, withBadListener.health("app1"));
    }

    @Test
    void targetsAreIndependent() {
        ScriptedProbe failing = new ScriptedProbe("F F F");
        ScriptedProbe passing = new ScriptedProbe("S S S S");
        checker.add("bad", failing, POLICY);
        checker.add("good", passing, POLICY);

        scheduler.advance(Duration.ofSeconds(15));

        assertEquals(List.of("bad UP->DOWN REFUSED"), transitions);
        assertEquals(Health.DOWN, checker.health("bad"));
        assertEquals(Health.UP, checker.health("good"));
        assertEquals(java.util.Set.of("bad", "good"), checker.targets());
    }

    @Test
    void addingTwiceOrAfterCloseIsRejectedAndCloseLeavesTheSchedulerRunning() {
        checker.add("app1", new ScriptedProbe(""), POLICY);
        assertThrows(IllegalArgumentException.class, () -> checker.add("app1", new ScriptedProbe(""), POLICY));
        scheduler.runDue();

        checker.close();

        assertThrows(IllegalStateException.class, () -> checker.add("app2", new ScriptedProbe(""), POLICY));
        assertEquals(java.util.Set.of(), checker.targets());
        assertEquals(List.of(), scheduler.pendingDelays());
        assertFalse(scheduler.isShutdown());
    }

    /** Answers each check from a script of S(uccess)/F(ailure); once the script is used up, holds the callback. */
    private final class ScriptedProbe implements Probe {
        final Deque<ProbeStatus> script = new ArrayDeque<>();
        final List<Long> startNanos = new ArrayList<>();
        Consumer<ProbeResult> held;

        ScriptedProbe(String script) {
            for (String step : script.trim().split("\\s+")) {
                if (!step.isEmpty()) {
                    this.script.add(step.equals("S") ? ProbeStatus.SUCCESS : ProbeStatus.REFUSED);
                }
            }
        }

        @Override
        public void start(Duration timeout, Consumer<ProbeResult> callback) {
            assertEquals(TIMEOUT, timeout);
            startNanos.add(scheduler.getAsLong());
            ProbeStatus next = script.poll();
            if (next == null) {
                held = callback;
            } else {
                callback.accept(new ProbeResult(next, "scripted", 0));
            }
        }

        void answer(ProbeStatus status) {
            held.accept(new ProbeResult(status, "scripted", 0));
        }

        List<Long> startSeconds() {
            return startNanos.stream().map(n -> Duration.ofNanos(n).toSeconds()).toList();
        }

        @Override
        public String toString() {
            return "scripted";
        }
    }
}
