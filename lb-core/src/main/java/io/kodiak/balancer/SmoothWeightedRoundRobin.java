package io.kodiak.balancer;

import io.kodiak.upstream.Upstream;

import java.util.List;
import java.util.function.Predicate;
import java.util.random.RandomGenerator;

/**
 * nginx's smooth weighted round-robin. Each pick adds every eligible upstream's weight to its
 * running score, takes the highest score, and subtracts the total weight from the winner. Over
 * any window of {@code sum(weights)} picks each upstream is chosen exactly {@code weight} times,
 * and picks of a heavy upstream are spread out ({a:5,b:1,c:1} gives a a b a c a a, not a a a a a b c).
 *
 * <p>The sequence starts at a random phase, so that several Kodiak instances started together do
 * not all send their first requests to the same upstream. Picks are serialised on a lock: the
 * work inside is a few additions per upstream.
 */
public final class SmoothWeightedRoundRobin implements Strategy {
    private final Upstream[] upstreams;
    private final long[] current;

    public SmoothWeightedRoundRobin(List<Upstream> upstreams, RandomGenerator random) {
        this.upstreams = upstreams.toArray(new Upstream[0]);
        this.current = new long[this.upstreams.length];
        int total = upstreams.stream().mapToInt(Upstream::weight).sum();
        int skip = total <= 1 ? 0 : random.nextInt(total);
        for (int i = 0; i < skip; i++) {
            pick(u -> true);
        }
    }

    @Override
    public synchronized Upstream pick(Predicate<Upstream> eligible) {
        long total = 0;
        int best = -1;
        for (int i = 0; i < upstreams.length; i++) {
            if (!eligible.test(upstreams[i])) {
                continue;
            }
            int w = upstreams[i].weight();
            current[i] += w;
            total += w;
            if (best < 0 || current[i] > current[best]) {
                best = i;
            }
        }
        if (best < 0) {
            return null;
        }
        current[best] -= total;
        return upstreams[best];
    }

    @Override
    public String toString() {
        return "SmoothWeightedRoundRobin" + java.util.Arrays.toString(upstreams);
    }
}
