package io.kodiak.balancer;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.random.RandomGenerator;

/**
 * Least outstanding requests, weighted: picks the eligible upstream with the lowest
 * {@code inFlight / weight}. Requests are counted, not TCP connections, because upstream
 * connections are pooled and one connection carries many requests over its life (HAProxy's
 * {@code leastconn} and nginx's {@code least_conn} count what is in progress the same way).
 *
 * <p>Ties are broken in turn, never by list order: with equal loads, which is the normal state of
 * a lightly used pool, "first wins" would send everything to the first upstream. Each scan
 * starts one upstream further round the list (from a random first offset, so that several
 * Kodiak instances do not start together), and the first of equal loads wins, so tied upstreams
 * take turns, as with nginx's {@code least_conn} (weighted round-robin among ties) and HAProxy's
 * {@code leastconn} (a used server goes behind its equals). Turns spread a burst of tied picks
 * exactly evenly; a random tie-break would now and then put two of them on one upstream while
 * another stays idle, which a sync Gunicorn worker pays for in queueing. By default the scan is
 * a full one, as HAProxy's and nginx's are; with a {@code choiceCount} d it compares only d upstreams drawn at random
 * (P2C for d = 2, Envoy's least request and nginx's {@code random two least_conn}), which costs
 * O(d) instead of O(n) in a large pool and keeps several Kodiak instances from herding onto the
 * same least-loaded upstream. Either way the pick is lock-free: it reads each counter once, and
 * the turn is an atomic counter.
 */
public final class LeastConnections<B extends Backend> implements Strategy<B> {
    private final List<B> upstreams;
    private final RandomGenerator random;
    private final int choiceCount;
    /** Where the next full scan starts; only its value modulo the pool size matters. */
    private final AtomicInteger turn;

    /** A full scan. */
    public LeastConnections(List<? extends B> upstreams, RandomGenerator random) {
        this(upstreams, random, Integer.MAX_VALUE);
    }

    /**
     * @param random      draws the first turn and the choices; must be safe for concurrent use, e.g.
     *                    {@link LockFreeRandom}
     * @param choiceCount how many random upstreams each pick compares, at least 2;
     *                    {@link Integer#MAX_VALUE} for all of them
     */
    public LeastConnections(List<? extends B> upstreams, RandomGenerator random, int choiceCount) {
        if (choiceCount < 2) {
            throw new IllegalArgumentException("choiceCount must be at least 2, got " + choiceCount);
        }
        this.upstreams = List.copyOf(upstreams);
        this.random = random;
        this.choiceCount = choiceCount;
        this.turn = new AtomicInteger(this.upstreams.isEmpty() ? 0 : random.nextInt(this.upstreams.size()));
    }

    @Override
    public B pick(Predicate<? super B> eligible) {
        if (choiceCount < upstreams.size()) {
            return RandomChoices.leastOf(upstreams, eligible, choiceCount, random, u -> (double) u.inFlight() / u.effectiveWeight());
        }
        return scan(eligible);
    }

    /** The least loaded of all eligible upstreams; of equal ones, the first from this scan's turn on. */
    private B scan(Predicate<? super B> eligible) {
        int n = upstreams.size();
        if (n == 0) {
            return null;
        }
        int start = Math.floorMod(turn.getAndIncrement(), n);
        B best = null;
        long bestLoad = 0;
        int bestWeight = 1;
        for (int k = 0; k < n; k++) {
            B u = upstreams.get((start + k) % n);
            if (!eligible.test(u)) {
                continue;
            }
            long load = u.inFlight();
            int weight = u.effectiveWeight();
            // load/weight < bestLoad/bestWeight, compared without division
            if (best == null || load * bestWeight < bestLoad * weight) {
                best = u;
                bestLoad = load;
                bestWeight = weight;
            }
        }
        return best;
    }

    @Override
    public String toString() {
        return "LeastConnections(" + (choiceCount == Integer.MAX_VALUE ? "all" : "choices " + choiceCount) + ")"
                + upstreams;
    }
}
