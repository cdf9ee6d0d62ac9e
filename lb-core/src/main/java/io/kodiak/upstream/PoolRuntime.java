package io.kodiak.upstream;

import io.kodiak.balancer.ConsistentHash;
import io.kodiak.balancer.LatencyWeighted;
import io.kodiak.balancer.LeastConnections;
import io.kodiak.balancer.LockFreeRandom;
import io.kodiak.balancer.SmoothWeightedRoundRobin;
import io.kodiak.balancer.Strategy;
import io.kodiak.config.PoolConfig;
import io.kodiak.config.UpstreamConfig;

import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;

/** A pool as it runs: its configuration, its upstreams and the strategy that picks among them. */
public final class PoolRuntime {
    private final PoolConfig config;
    private final List<Upstream> upstreams;
    private final Strategy strategy;

    public PoolRuntime(PoolConfig config, RandomGenerator random) {
        this.config = config;
        List<Upstream> list = new ArrayList<>();
        for (UpstreamConfig u : config.upstreams()) {
            list.add(new Upstream(config.name(), u, System::nanoTime, config.latencyDecay()));
        }
        this.upstreams = List.copyOf(list);
        this.strategy = switch (config.strategy()) {
            case ROUND_ROBIN -> new SmoothWeightedRoundRobin(upstreams, random);
            case LEAST_CONNECTIONS ->
                    new LeastConnections(upstreams, new LockFreeRandom(random.nextLong()), config.choiceCount());
            case LATENCY_WEIGHTED ->
                    new LatencyWeighted(upstreams, new LockFreeRandom(random.nextLong()), config.choiceCount());
            case CONSISTENT_HASH -> new ConsistentHash(upstreams, config.hash().balanceFactor());
        };
    }

    public PoolConfig config() {
        return config;
    }

    public String name() {
        return config.name();
    }

    public List<Upstream> upstreams() {
        return upstreams;
    }

    public Strategy strategy() {
        return strategy;
    }

    @Override
    public String toString() {
        return "Pool[" + config.name() + ", " + config.strategy().configName() + ", " + upstreams.size() + " upstreams]";
    }
}
