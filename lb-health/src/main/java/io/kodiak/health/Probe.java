package io.kodiak.health;

import java.time.Duration;
import java.util.function.Consumer;

/**
 * One kind of check against one target, such as a TCP connect ({@link TcpConnectProbe}) or, later, an
 * HTTP request.
 *
 * <p><b>Contract.</b> {@link #start} must not block: it starts the check and returns. It must then
 * call {@code callback} exactly once, on any thread, with the outcome, and within about
 * {@code timeout} (a check that ran out of time reports {@link ProbeStatus#TIMEOUT}). The callback
 * must be quick; the one {@link HealthChecker} passes only hands the result to its scheduler.
 */
@FunctionalInterface
public interface Probe {

    /**
     * Starts one check.
     *
     * @param timeout  how long the check may take
     * @param callback receives the result exactly once
     * @throws IllegalStateException if the probe can no longer run checks (its resources were closed)
     */
    void start(Duration timeout, Consumer<ProbeResult> callback);
}
