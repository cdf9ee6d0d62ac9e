package io.kodiak.balancer;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;

/**
 * The registry of strategies: each configuration name ({@code strategy:} in a pool) with the
 * factory that builds it over a pool's available upstreams. A pool's runtime builds its strategy
 * from here at every selection rebuild. Factories see the candidates only as {@link Backend}s;
 * {@link #create} hands the strategy back typed by the caller's own candidate type. A new strategy
 * is its class and one {@code register} line here, plus its name in {@code PoolConfig.Strategy},
 * where the configuration reader learns which names exist and which pool options each reads (the
 * config package sits below this one).
 */
public final class Strategies {
    /**
     * What a pool's configuration tells a strategy.
     *
     * @param choiceCount   how many random upstreams a pick compares ({@code choice-count}), at least 2
     * @param balanceFactor a hash ring's bound on load, in percent, 0 for none ({@code hash-balance-factor})
     */
    public record Settings(int choiceCount, int balanceFactor) {
    }

    /** Builds a strategy over {@code members} (at least one), drawing any seed it needs from {@code random}. */
    @FunctionalInterface
    public interface Factory {
        Strategy<Backend> create(List<Backend> members, RandomGenerator random, Settings settings);
    }

    private static final Map<String, Factory> BY_NAME = new LinkedHashMap<>();

    static {
        register("round-robin", (members, random, s) -> new SmoothWeightedRoundRobin<>(members, random));
        register("least-connections", (members, random, s) ->
                new LeastConnections<>(members, new LockFreeRandom(random.nextLong()), s.choiceCount()));
        register("latency-weighted", (members, random, s) ->
                new LatencyWeighted<>(members, new LockFreeRandom(random.nextLong()), s.choiceCount()));
        register("consistent-hash", (members, random, s) -> new ConsistentHash<>(members, s.balanceFactor()));
    }

    private Strategies() {
    }

    private static void register(String name, Factory factory) {
        if (BY_NAME.putIfAbsent(name, factory) != null) {
            throw new IllegalStateException("strategy " + name + " is registered twice");
        }
    }

    /** Every registered name, in registration order. */
    public static List<String> names() {
        return List.copyOf(BY_NAME.keySet());
    }

    /**
     * Builds the strategy named {@code name} over {@code members}; over none, a strategy that
     * never picks.
     *
     * @throws IllegalArgumentException if no strategy has that name
     */
    public static <B extends Backend> Strategy<B> create(String name, List<B> members, RandomGenerator random,
                                                         Settings settings) {
        Factory f = BY_NAME.get(name);
        if (f == null) {
            throw new IllegalArgumentException("no strategy is registered as \"" + name + "\" (registered: "
                    + String.join(", ", BY_NAME.keySet()) + ")");
        }
        if (members.isEmpty()) {
            return eligible -> null;
        }
        return typed(f.create(List.copyOf(members), random, settings));
    }

    /**
     * A strategy built over {@code B}s seen as {@link Backend}s, typed back as picking {@code B}s.
     * Sound because a strategy hands back only candidates it was built over (all {@code B}s) and
     * tests only those against the caller's predicate; this keeps factories plain lambdas (a
     * lambda cannot implement a generic method) with the one unchecked cast here.
     */
    @SuppressWarnings("unchecked")
    private static <B extends Backend> Strategy<B> typed(Strategy<Backend> strategy) {
        return (Strategy<B>) (Strategy<?>) strategy;
    }
}
