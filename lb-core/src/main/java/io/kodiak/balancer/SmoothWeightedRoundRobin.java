package io.kodiak.balancer;

import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.util.random.RandomGenerator;

/**
 * nginx's smooth weighted round-robin. Each pick adds every eligible upstream's weight to its
 * running score, takes the highest score, and subtracts the total weight from the winner. Over
 * any window of {@code sum(weights)} picks each upstream is chosen exactly {@code weight} times,
 * and picks of a heavy upstream are spread out ({a:5,b:1,c:1} gives a a b a c a a, not a a a a a b c).
 *
 * <p>Only eligible upstreams take part in a pick, as in nginx, where a peer already tried for
 * the request or marked down is skipped: the others keep their proportions among themselves.
 *
 * <p>The sequence starts at a random phase, so that several Kodiak instances started together do
 * not all send their first requests to the same upstream.
 *
 * <p>Picks are lock-free: the scores are an immutable array that each pick replaces by
 * compare-and-set, retrying if another selector thread picked in between. The copy is one
 * small array per pick (a few longs per upstream), cheaper than making the other selector
 * thread wait.
 */
public final class SmoothWeightedRoundRobin<B extends Backend> implements Strategy<B> {
    private final List<B> upstreams;
    /** The running scores, one per upstream; never written once published. */
    private final AtomicReference<long[]> current;

    public SmoothWeightedRoundRobin(List<? extends B> upstreams, RandomGenerator random) {
        this.upstreams = List.copyOf(upstreams);
        this.current = new AtomicReference<>(new long[this.upstreams.size()]);
        int total = upstreams.stream().mapToInt(Backend::weight).sum();
        int skip = total <= 1 ? 0 : random.nextInt(total);
        for (int i = 0; i < skip; i++) {
            pick(u -> true);
        }
    }

    @Override
    public B pick(Predicate<? super B> eligible) {
        while (true) {
            long[] before = current.get();
            long[] after = before.clone();
            long total = 0;
            int best = -1;
            for (int i = 0; i < upstreams.size(); i++) {
                B u = upstreams.get(i);
                if (!eligible.test(u)) {
                    continue;
                }
                int w = u.effectiveWeight();
                after[i] += w;
                total += w;
                if (best < 0 || after[i] > after[best]) {
                    best = i;
                }
            }
            if (best < 0) {
                return null;
            }
            after[best] -= total;
            if (current.compareAndSet(before, after)) {
                return upstreams.get(best);
            }
        }
    }

    @Override
    public String toString() {
        return "SmoothWeightedRoundRobin" + upstreams;
    }
}
