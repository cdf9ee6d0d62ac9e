package io.kodiak.health;

/**
 * Told when a checked target's {@link Health} changes.
 *
 * @param <T> the caller's target type, e.g. its upstream
 */
@FunctionalInterface
public interface HealthListener<T> {

    /**
     * Called once per transition, on the {@link HealthChecker}'s scheduler thread, after the checker
     * has logged it. Keep it short: checks of other targets wait while it runs. An exception is logged
     * and does not stop the checks.
     *
     * @param target the target whose health changed
     * @param from   its health before, never equal to {@code to}
     * @param to     its health now
     * @param reason the result of the check that completed the transition
     */
    void onTransition(T target, Health from, Health to, ProbeResult reason);

    /**
     * Called after every check of {@code target}, on the scheduler thread, after any transition it
     * caused was reported; for what a check reports besides pass or fail (the headers an HTTP check
     * was asked to capture). The same rules as for {@link #onTransition} apply.
     */
    default void onCheck(T target, ProbeResult result) {
    }
}
