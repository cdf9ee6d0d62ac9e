package io.kodiak.balancer;

/**
 * What a strategy sees of an upstream: its name, its weights and its load, nothing of its health,
 * admin state, address or connections. Health and admin state filter before a pick (the pool's
 * selection holds only available upstreams, and the caller's eligibility test does the rest), so
 * strategies never need them. {@code upstream.Upstream} implements this; keeping the view in this
 * package lets the strategies be written, and tested, without depending on the upstream package.
 *
 * <p>Every method may be called from several selector threads at once and must not block.
 */
public interface Backend {
    /** A name unique within the pool and stable across reloads: a hash ring lays out its points by it. */
    String name();

    /** The weight the operator set (configured or through the admin API), in configured units. */
    int weight();

    /**
     * The weight to balance by now, at least 1: {@link #weight()} scaled up and reduced during a
     * slow start or by the node's own request. Strategies only compare it with other upstreams'.
     */
    int effectiveWeight();

    /** Requests dispatched here that have not completed yet. */
    int inFlight();

    /** The current round-trip estimate in nanoseconds (a {@link PeakEwma}'s). */
    double latencyNanos();
}
