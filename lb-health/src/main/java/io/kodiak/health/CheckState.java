package io.kodiak.health;

/**
 * Where a target stands between its rise and fall thresholds (HAProxy's single health counter).
 * Two of the states are transitional: a check result has moved the target towards the other
 * {@link Health} but not yet across, and checks run at the fast interval until it settles.
 */
public enum CheckState {
    /** Fully up: the last check passed, or no failure since it came up. */
    UP(Health.UP, false),
    /** Up, with at least one failure since the last success; {@code fall} failures in a row take it down. */
    GOING_DOWN(Health.UP, true),
    /** Fully down: the last check failed, or no success since it went down. */
    DOWN(Health.DOWN, false),
    /** Down, with at least one success since the last failure; {@code rise} successes in a row bring it up. */
    COMING_UP(Health.DOWN, true);

    private final Health health;
    private final boolean transitional;

    CheckState(Health health, boolean transitional) {
        this.health = health;
        this.transitional = transitional;
    }

    /** @return whether traffic should go to a target in this state */
    public Health health() {
        return health;
    }

    /** @return whether the target is between thresholds (checked at the fast interval) */
    public boolean isTransitional() {
        return transitional;
    }
}
