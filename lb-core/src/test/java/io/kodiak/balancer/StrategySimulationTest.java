package io.kodiak.balancer;

import io.kodiak.config.PoolConfig;
import io.kodiak.config.UpstreamConfig;
import io.kodiak.upstream.Upstream;
import org.junit.jupiter.api.Test;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A deterministic simulation, in virtual time and without sockets, of four upstreams of which one
 * becomes ten times slower (a GC-bound or noisy-neighbour instance). Each upstream behaves like a
 * sync Gunicorn instance: a fixed number of workers and a FIFO backlog behind them. Requests
 * arrive as a Poisson process at 70 % of the healthy fleet's capacity; service times are
 * exponential. Every strategy sees the same seeded arrivals and service draws. The test prints
 * each strategy's latency distribution and the slow upstream's share, and asserts that the
 * load-aware strategies shift load away from the slow one (latency-weighted's p99 at most a third
 * of round-robin's, as issue #3 requires).
 */
class StrategySimulationTest {
    private static final long MS = 1_000_000L;
    private static final int UPSTREAMS = 4;
    private static final int WORKERS = 4;
    private static final double FAST_MEAN_MS = 10;
    private static final double SLOW_MEAN_MS = 100;
    private static final int REQUESTS = 200_000;

    record Result(PoolConfig.Strategy strategy, double mean, long p50, long p99, long p999, double slowShare) {
    }

    @Test
    void loadAwareStrategiesShiftLoadAwayFromASlowUpstream() {
        Map<PoolConfig.Strategy, Result> results = new EnumMap<>(PoolConfig.Strategy.class);
        for (PoolConfig.Strategy s : PoolConfig.Strategy.values()) {
            results.put(s, simulate(s, 42));
        }
        System.out.println(table(results.values()));
        Result rr = results.get(PoolConfig.Strategy.ROUND_ROBIN);
        Result lc = results.get(PoolConfig.Strategy.LEAST_CONNECTIONS);
        Result lw = results.get(PoolConfig.Strategy.LATENCY_WEIGHTED);
        assertTrue(lw.p99() * 3 <= rr.p99(), "latency-weighted p99 must be at most 1/3 of round-robin's\n" + table(results.values()));
        assertTrue(lc.p99() < rr.p99(), "least-connections must beat round-robin's p99\n" + table(results.values()));
        assertTrue(lw.slowShare() < rr.slowShare() && lc.slowShare() < rr.slowShare(), table(results.values()));
    }

    /** One simulated upstream: workers busy until given times, and a FIFO backlog of arrival times. */
    private static final class Server {
        final Upstream upstream;
        final double meanMs;
        int busy;
        final ArrayDeque<Waiting> backlog = new ArrayDeque<>();

        Server(Upstream upstream, double meanMs) {
            this.upstream = upstream;
            this.meanMs = meanMs;
        }
    }

    /** A request in a backlog: when it arrived and its index in the latency array. */
    private record Waiting(long arrived, int index) {
    }

    private record Completion(long at, Server server, long arrived, int index) {
    }

    static Result simulate(PoolConfig.Strategy strategy, long seed) {
        AtomicLong clock = new AtomicLong();
        List<Upstream> ups = new ArrayList<>();
        List<Server> servers = new ArrayList<>();
        for (int i = 0; i < UPSTREAMS; i++) {
            Upstream u = new Upstream("sim", new UpstreamConfig("u" + i, "127.0.0.1", 9000 + i, 1), clock::get);
            ups.add(u);
            servers.add(new Server(u, i == UPSTREAMS - 1 ? SLOW_MEAN_MS : FAST_MEAN_MS));
        }
        Strategy<Upstream> picker = switch (strategy) {
            case ROUND_ROBIN -> new SmoothWeightedRoundRobin<>(ups, new SplittableRandom(seed));
            case LEAST_CONNECTIONS -> new LeastConnections<>(ups, new SplittableRandom(seed));
            case LATENCY_WEIGHTED -> new LatencyWeighted<>(ups, new SplittableRandom(seed));
            case CONSISTENT_HASH -> new ConsistentHash<>(ups, 125);
        };
        SplittableRandom keys = new SplittableRandom(seed + 3); // one key per request, e.g. a user id
        SplittableRandom arrivals = new SplittableRandom(seed + 1);
        SplittableRandom service = new SplittableRandom(seed + 2);
        double capacityPerMs = (UPSTREAMS - 1) * WORKERS / FAST_MEAN_MS; // the healthy three
        double meanGapMs = 1 / (0.7 * capacityPerMs);

        PriorityQueue<Completion> completions = new PriorityQueue<>((a, b) -> Long.compare(a.at(), b.at()));
        long[] latencies = new long[REQUESTS];
        int slowCount = 0;
        long now = 0;
        for (int i = 0; i < REQUESTS; i++) {
            now += (long) (-Math.log(1 - arrivals.nextDouble()) * meanGapMs * MS);
            while (!completions.isEmpty() && completions.peek().at() <= now) {
                complete(completions.poll(), clock, completions, service, latencies);
            }
            clock.set(now);
            Upstream u = picker.pick(keys.nextLong(), x -> true);
            Server s = servers.get(ups.indexOf(u));
            if (s == servers.get(UPSTREAMS - 1)) {
                slowCount++;
            }
            u.begin();
            if (s.busy < WORKERS) {
                s.busy++;
                completions.add(new Completion(now + serviceTime(s, service), s, now, i));
            } else {
                s.backlog.add(new Waiting(now, i));
            }
        }
        while (!completions.isEmpty()) {
            complete(completions.poll(), clock, completions, service, latencies);
        }
        long[] sorted = Arrays.stream(latencies).sorted().toArray();
        return new Result(strategy, Arrays.stream(sorted).average().orElse(0) / MS, sorted[sorted.length / 2] / MS,
                sorted[(int) (sorted.length * 0.99)] / MS, sorted[(int) (sorted.length * 0.999)] / MS,
                slowCount / (double) REQUESTS);
    }

    private static void complete(Completion c, AtomicLong clock, PriorityQueue<Completion> completions,
                                 SplittableRandom service, long[] latencies) {
        clock.set(c.at());
        long rtt = c.at() - c.arrived();
        c.server().upstream.end();
        c.server().upstream.responded(200, rtt);
        latencies[c.index()] = rtt;
        Server s = c.server();
        Waiting next = s.backlog.poll();
        if (next == null) {
            s.busy--;
        } else {
            completions.add(new Completion(c.at() + serviceTime(s, service), s, next.arrived(), next.index()));
        }
    }

    private static long serviceTime(Server s, SplittableRandom service) {
        return (long) (-Math.log(1 - service.nextDouble()) * s.meanMs * MS);
    }

    private static String table(java.util.Collection<Result> results) {
        StringBuilder sb = new StringBuilder(String.format(
                "%n4 upstreams x %d workers, one %.0fx slower, Poisson arrivals at 70%% of the healthy capacity, %d requests%n",
                WORKERS, SLOW_MEAN_MS / FAST_MEAN_MS, REQUESTS));
        sb.append(String.format("%-18s %9s %7s %7s %8s %11s%n", "strategy", "mean ms", "p50", "p99", "p99.9", "slow share"));
        for (Result r : results) {
            sb.append(String.format("%-18s %9.1f %7d %7d %8d %10.1f%%%n", r.strategy().configName(), r.mean(), r.p50(),
                    r.p99(), r.p999(), 100 * r.slowShare()));
        }
        return sb.toString();
    }
}
