package io.kodiak.config;

import java.time.Duration;

/**
 * The pool's queue for requests that find every upstream at its {@code max-connections}
 * (HAProxy {@code maxqueue} and {@code timeout queue}). Requests wait in arrival order and are
 * dispatched the moment a slot frees; a full queue or an expired wait answers 503 with
 * {@code Retry-After}.
 *
 * @param maxLength most requests waiting at once
 * @param timeout   longest wait
 */
public record QueueConfig(int maxLength, Duration timeout) {
    public static final QueueConfig DEFAULTS = new QueueConfig(1024, Duration.ofSeconds(3));
}
