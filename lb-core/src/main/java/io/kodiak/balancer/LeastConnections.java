package io.kodiak.balancer;

import io.kodiak.upstream.Upstream;

import java.util.List;
import java.util.function.Predicate;
import java.util.random.RandomGenerator;

/**
 * Least outstanding requests, weighted: picks the eligible upstream with the lowest
 * {@code inFlight / weight}. Requests are counted, not TCP connections, because upstream
 * connections are pooled and one connection carries many requests over its life (HAProxy's
 * {@code leastconn} and nginx's {@code least_conn} count what is in progress the same way).
 *
 * <p>Ties are broken uniformly at random (reservoir sampling over the tied upstreams), never by
 * list order: with equal loads, which is the normal state of a lightly used pool, "first wins"
 * would send everything to the first upstream. By default the scan is a full one, as HAProxy's
 * and nginx's are; with a {@code choiceCount} d it compares only d upstreams drawn at random
 * (P2C for d = 2, Envoy's least request and nginx's {@code random two least_conn}), which costs
 * O(d) instead of O(n) in a large pool and keeps several Kodiak instances from herding onto the
 * same least-loaded upstream. Either way the pick is lock-free: it reads each counter once and
 * draws from a lock-free random source.
 */
public final class LeastConnections implements Strategy {
    private final Upstream[] upstreams;
    private final RandomGenerator random;
    private final int choiceCount;

    /** A full scan. */
    public LeastConnections(List<Upstream> upstreams, RandomGenerator random) {
        this(upstreams, random, Integer.MAX_VALUE);
    }

    /**
     * @param random      breaks ties and draws the choices; must be safe for concurrent use, e.g.
     *                    {@link LockFreeRandom}
     * @param choiceCount how many random upstreams each pick compares, at least 2;
     *                    {@link Integer#MAX_VALUE} for all of them
     */
    public LeastConnections(List<Upstream> upstreams, RandomGenerator random, int choiceCount) {
        if (choiceCount < 2) {
            throw new IllegalArgumentException("choiceCount must be at least 2, got " + choiceCount);
        }
        this.upstreams = upstreams.toArray(new Upstream[0]);
        this.random = random;
        this.choiceCount = choiceCount;
    }

    @Override
    public Upstream pick(Predicate<Upstream> eligible) {
        if (choiceCount < upstreams.length) {
            return RandomChoices.leastOf(upstreams, eligible, choiceCount, random, u -> (double) u.inFlight() / u.weight());
        }
        return scan(eligible);
    }

    /** The least loaded of all eligible upstreams, ties broken at random. */
    private Upstream scan(Predicate<Upstream> eligible) {
        Upstream best = null;
        long bestLoad = 0;
        int bestWeight = 1;
        int ties = 0;
        for (Upstream u : upstreams) {
            if (!eligible.test(u)) {
                continue;
            }
            long load = u.inFlight();
            int weight = u.weight();
            // load/weight < bestLoad/bestWeight, compared without division
            long cmp = best == null ? -1 : load * bestWeight - bestLoad * weight;
            if (cmp < 0) {
                best = u;
                bestLoad = load;
                bestWeight = weight;
                ties = 1;
            } else if (cmp == 0 && random.nextInt(++ties) == 0) {
                best = u;
            }
        }
        return best;
    }

    @Override
    public String toString() {
        return "LeastConnections(" + (choiceCount == Integer.MAX_VALUE ? "all" : "choices " + choiceCount) + ")"
                + java.util.Arrays.toString(upstreams);
    }
}
