package io.kodiak.balancer;

import java.util.List;
import java.util.function.Predicate;
import java.util.function.ToDoubleFunction;
import java.util.random.RandomGenerator;

/**
 * The draw behind "power of d choices": {@code d} different eligible upstreams at random, every
 * set of {@code d} equally likely, of which the caller takes the least loaded. With d = 2 it is
 * P2C (Mitzenmacher; Finagle, Envoy's least request, HAProxy's {@code random(2)}, nginx's
 * {@code random two}); a larger d approaches a full scan.
 */
final class RandomChoices {
    private RandomChoices() {
    }

    /**
     * The upstream of lowest {@code cost} among {@code d} eligible ones drawn at random (all of them
     * if fewer are eligible). The draw is in random order and the first of equal costs wins, so a
     * tie is broken at random too. Each cost is read once.
     *
     * @return the upstream, or {@code null} if none is eligible
     */
    static <B extends Backend> B leastOf(List<B> upstreams, Predicate<? super B> eligible, int d, RandomGenerator random,
                                         ToDoubleFunction<? super B> cost) {
        int[] candidates = new int[upstreams.size()];
        int n = eligible(upstreams, eligible, candidates);
        if (n == 0) {
            return null;
        }
        int draws = Math.min(d, n);
        draw(candidates, n, draws, random);
        B best = upstreams.get(candidates[0]);
        double bestCost = cost.applyAsDouble(best);
        for (int i = 1; i < draws; i++) {
            B u = upstreams.get(candidates[i]);
            double c = cost.applyAsDouble(u);
            if (c < bestCost) {
                best = u;
                bestCost = c;
            }
        }
        return best;
    }

    /**
     * Fills {@code into} with the indexes of the eligible upstreams, in list order.
     *
     * @return how many there are
     */
    private static <B> int eligible(List<B> upstreams, Predicate<? super B> eligible, int[] into) {
        int n = 0;
        for (int i = 0; i < upstreams.size(); i++) {
            if (eligible.test(upstreams.get(i))) {
                into[n++] = i;
            }
        }
        return n;
    }

    /**
     * Moves {@code d} of the first {@code n} entries of {@code indexes}, chosen at random, to its
     * front: the first {@code d} steps of a Fisher-Yates shuffle, so each d-subset is equally likely
     * and in random order.
     */
    private static void draw(int[] indexes, int n, int d, RandomGenerator random) {
        for (int i = 0; i < d; i++) {
            int j = i + random.nextInt(n - i);
            int t = indexes[i];
            indexes[i] = indexes[j];
            indexes[j] = t;
        }
    }
}
