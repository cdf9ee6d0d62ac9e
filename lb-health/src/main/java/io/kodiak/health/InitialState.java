package io.kodiak.health;

/**
 * Where a newly checked target starts, with HAProxy's {@code init-state} semantics. It applies when a
 * target is first added (at start-up, on a config reload that adds it, or when it leaves maintenance).
 */
public enum InitialState {
    /** Up; it takes {@code fall} failures in a row to take it down. */
    FULLY_UP,
    /** Up, but the first failed check takes it down (HAProxy's default). */
    UP,
    /** Down, but the first passed check brings it up. */
    DOWN,
    /** Down; it takes {@code rise} successes in a row to bring it up. */
    FULLY_DOWN
}
