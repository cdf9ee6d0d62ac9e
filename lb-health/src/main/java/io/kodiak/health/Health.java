package io.kodiak.health;

/** Whether a target should receive traffic, as far as health checks can tell. */
public enum Health {
    UP,
    DOWN
}
