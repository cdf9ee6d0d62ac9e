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
 * would send everything to the first upstream. The scan is a full one and lock-free: it reads
 * each upstream's counter once and draws from a lock-free random source.
 */
public final class LeastConnections implements Strategy {
    private final Upstream[] upstreams;
    private final RandomGenerator random;

    /** @param random breaks ties; must be safe for concurrent use, e.g. {@link LockFreeRandom} */
    public LeastConnections(List<Upstream> upstreams, RandomGenerator random) {
        this.upstreams = upstreams.toArray(new Upstream[0]);
        this.random = random;
    }

    @Override
    public Upstream pick(Predicate<Upstream> eligible) {
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
        return "LeastConnections" + java.util.Arrays.toString(upstreams);
    }
}
