package io.kodiak.balancer;

import java.util.List;
import java.util.function.Predicate;
import java.util.random.RandomGenerator;

/**
 * Power of two choices over peak-EWMA cost, as Finagle's {@code p2cPeakEwma} and Linkerd do:
 * draw two different eligible upstreams at random and take the one with the lower
 * {@code ewma × (inFlight + 1) / weight}. Latency and queueing both raise the cost, so a slow
 * instance sheds load within a few requests, while the random draw keeps several Kodiak instances
 * from all herding onto the same "best" upstream. {@code choiceCount} generalises the two to d
 * random choices (Envoy's {@code choice_count}); d at or above the number of eligible upstreams
 * compares them all.
 */
public final class LatencyWeighted<B extends Backend> implements Strategy<B> {
    private final List<B> upstreams;
    private final RandomGenerator random;
    private final int choiceCount;

    /** P2C: two choices. */
    public LatencyWeighted(List<? extends B> upstreams, RandomGenerator random) {
        this(upstreams, random, 2);
    }

    /**
     * @param random      draws the choices; must be safe for concurrent use, e.g. {@link LockFreeRandom}
     * @param choiceCount how many random upstreams each pick compares, at least 2
     */
    public LatencyWeighted(List<? extends B> upstreams, RandomGenerator random, int choiceCount) {
        if (choiceCount < 2) {
            throw new IllegalArgumentException("choiceCount must be at least 2, got " + choiceCount);
        }
        this.upstreams = List.copyOf(upstreams);
        this.random = random;
        this.choiceCount = choiceCount;
    }

    @Override
    public B pick(Predicate<? super B> eligible) {
        return RandomChoices.leastOf(upstreams, eligible, choiceCount, random, LatencyWeighted::cost);
    }

    static double cost(Backend u) {
        return u.latencyNanos() * (u.inFlight() + 1) / u.effectiveWeight();
    }

    @Override
    public String toString() {
        return "LatencyWeighted(choices " + choiceCount + ")" + upstreams;
    }
}
