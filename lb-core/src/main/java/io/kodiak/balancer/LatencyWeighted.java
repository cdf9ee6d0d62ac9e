package io.kodiak.balancer;

import io.kodiak.upstream.Upstream;

import java.util.List;
import java.util.function.Predicate;
import java.util.random.RandomGenerator;

/**
 * Power of two choices over peak-EWMA cost, as Finagle's {@code p2cPeakEwma} and Linkerd do:
 * draw two different eligible upstreams at random and take the one with the lower
 * {@code ewma × (inFlight + 1) / weight}. Latency and queueing both raise the cost, so a slow
 * instance sheds load within a few requests, while the random draw keeps several Kodiak instances
 * from all herding onto the same "best" upstream.
 */
public final class LatencyWeighted implements Strategy {
    private final Upstream[] upstreams;
    private final RandomGenerator random;

    /** @param random draws the two choices; must be safe for concurrent use, e.g. {@link LockFreeRandom} */
    public LatencyWeighted(List<Upstream> upstreams, RandomGenerator random) {
        this.upstreams = upstreams.toArray(new Upstream[0]);
        this.random = random;
    }

    @Override
    public Upstream pick(Predicate<Upstream> eligible) {
        int[] candidates = new int[upstreams.length];
        int n = 0;
        for (int i = 0; i < upstreams.length; i++) {
            if (eligible.test(upstreams[i])) {
                candidates[n++] = i;
            }
        }
        if (n == 0) {
            return null;
        }
        if (n == 1) {
            return upstreams[candidates[0]];
        }
        int first = random.nextInt(n);
        int second = random.nextInt(n - 1);
        if (second >= first) {
            second++; // two different upstreams, each pair equally likely
        }
        Upstream a = upstreams[candidates[first]];
        Upstream b = upstreams[candidates[second]];
        return cost(a) <= cost(b) ? a : b;
    }

    static double cost(Upstream u) {
        return u.latency().nanos() * (u.inFlight() + 1) / u.weight();
    }

    @Override
    public String toString() {
        return "LatencyWeighted" + java.util.Arrays.toString(upstreams);
    }
}
