package io.kodiak.balancer;

import io.kodiak.upstream.Upstream;

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
public final class SmoothWeightedRoundRobin implements Strategy {
    private final Upstream[] upstreams;
    /** The running scores, one per upstream; never written once published. */
    private final AtomicReference<long[]> current;

    public SmoothWeightedRoundRobin(List<Upstream> upstreams, RandomGenerator random) {
        this.upstreams = upstreams.toArray(new Upstream[0]);
        this.current = new AtomicReference<>(new long[this.upstreams.length]);
        int total = upstreams.stream().mapToInt(Upstream::weight).sum();
        int skip = total <= 1 ? 0 : random.nextInt(total);
        for (int i = 0; i < skip; i++) {
            pick(u -> true);
        }
    }

    @Override
    public Upstream pick(Predicate<Upstream> eligible) {
        while (true) {
            long[] before = current.get();
            long[] after = before.clone();
            long total = 0;
            int best = -1;
            for (int i = 0; i < upstreams.length; i++) {
                if (!eligible.test(upstreams[i])) {
                    continue;
                }
                int w = upstreams[i].effectiveWeight();
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
                return upstreams[best];
            }
        }
    }

    @Override
    public String toString() {
        return "SmoothWeightedRoundRobin" + java.util.Arrays.toString(upstreams);
    }
}
