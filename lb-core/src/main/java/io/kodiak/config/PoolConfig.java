package io.kodiak.config;

import java.time.Duration;
import java.util.List;

/**
 * A pool of interchangeable upstreams and how to reach them.
 *
 * @param name        unique pool name
 * @param strategy    how a request picks an upstream
 * @param upstreams   the upstreams, in file order (at least one)
 * @param timeouts    upstream-side timeouts
 * @param connections the upstream keep-alive connection pool
 * @param buffering   request and response buffering
 * @param errorPage   the response sent when no upstream can take the request, or {@code null}
 *                    for the built-in plain-text page
 * @param choiceCount how many random upstreams {@code least-connections} and {@code latency-weighted}
 *                    compare per pick, at least 2; {@link #ALL_CHOICES} for all of them
 * @param healthCheck the active check every upstream of the pool gets
 * @param retries     when a failed request goes to another upstream
 * @param outlierDetection when live traffic takes an upstream out for a while
 * @param slowStart   how long an upstream that came back takes to reach its full weight and
 *                    max-connections; zero for at once
 * @param panicThreshold below this percentage of upstreams available, all of them are used
 *                    regardless (Envoy's panic mode); 0 for never
 * @param tls         TLS to the upstreams, or {@code null} for plain HTTP
 * @param errorPages  pages for Kodiak's own answers on behalf of the pool, by status or class
 *                    ({@code error-pages}), or {@code null}; {@code errorPage} answers "no
 *                    upstream" before them, as it did before they existed
 * @param sources     where the pool finds more upstreams at run time (DNS, Kubernetes); their
 *                    upstreams are not in {@code upstreams}, which stays the file's list
 */
public record PoolConfig(String name, Strategy strategy, List<UpstreamConfig> upstreams, UpstreamTimeouts timeouts,
                         ConnectionPoolConfig connections, BufferingConfig buffering, ErrorPageConfig errorPage,
                         Duration latencyDecay, HashConfig hash, QueueConfig queue, int choiceCount,
                         HealthCheckConfig healthCheck, RetryConfig retries, OutlierConfig outlierDetection,
                         Duration slowStart, int panicThreshold, UpstreamTlsConfig tls, ErrorPagesConfig errorPages,
                         List<UpstreamSource> sources) {
    /** The default decay of the latency estimate: Finagle's and Linkerd's 10 s. */
    public static final Duration DEFAULT_LATENCY_DECAY = Duration.ofSeconds(10);
    /** {@code choice-count: all}: compare every eligible upstream. */
    public static final int ALL_CHOICES = Integer.MAX_VALUE;

    public PoolConfig {
        upstreams = List.copyOf(upstreams);
        sources = List.copyOf(sources);
        if (choiceCount < 2) {
            throw new IllegalArgumentException("choiceCount must be at least 2, got " + choiceCount);
        }
        java.util.Objects.requireNonNull(healthCheck, "healthCheck");
        java.util.Objects.requireNonNull(retries, "retries");
        java.util.Objects.requireNonNull(outlierDetection, "outlierDetection");
        if (panicThreshold < 0 || panicThreshold > 100) {
            throw new IllegalArgumentException("panicThreshold must be 0-100: " + panicThreshold);
        }
        if (slowStart == null || slowStart.isNegative()) {
            throw new IllegalArgumentException("slowStart must be zero or positive: " + slowStart);
        }
    }

    /** A pool without discovery sources. */
    public PoolConfig(String name, Strategy strategy, List<UpstreamConfig> upstreams, UpstreamTimeouts timeouts,
                      ConnectionPoolConfig connections, BufferingConfig buffering, ErrorPageConfig errorPage,
                      Duration latencyDecay, HashConfig hash, QueueConfig queue, int choiceCount,
                      HealthCheckConfig healthCheck, RetryConfig retries, OutlierConfig outlierDetection,
                      Duration slowStart, int panicThreshold, UpstreamTlsConfig tls, ErrorPagesConfig errorPages) {
        this(name, strategy, upstreams, timeouts, connections, buffering, errorPage, latencyDecay, hash, queue, choiceCount,
                healthCheck, retries, outlierDetection, slowStart, panicThreshold, tls, errorPages, List.of());
    }

    /** A pool without {@code error-pages}. */
    public PoolConfig(String name, Strategy strategy, List<UpstreamConfig> upstreams, UpstreamTimeouts timeouts,
                      ConnectionPoolConfig connections, BufferingConfig buffering, ErrorPageConfig errorPage,
                      Duration latencyDecay, HashConfig hash, QueueConfig queue, int choiceCount,
                      HealthCheckConfig healthCheck, RetryConfig retries, OutlierConfig outlierDetection,
                      Duration slowStart, int panicThreshold, UpstreamTlsConfig tls) {
        this(name, strategy, upstreams, timeouts, connections, buffering, errorPage, latencyDecay, hash, queue, choiceCount,
                healthCheck, retries, outlierDetection, slowStart, panicThreshold, tls, null);
    }

    /** A pool that speaks plain HTTP to its upstreams. */
    public PoolConfig(String name, Strategy strategy, List<UpstreamConfig> upstreams, UpstreamTimeouts timeouts,
                      ConnectionPoolConfig connections, BufferingConfig buffering, ErrorPageConfig errorPage,
                      Duration latencyDecay, HashConfig hash, QueueConfig queue, int choiceCount,
                      HealthCheckConfig healthCheck, RetryConfig retries, OutlierConfig outlierDetection,
                      Duration slowStart, int panicThreshold) {
        this(name, strategy, upstreams, timeouts, connections, buffering, errorPage, latencyDecay, hash, queue, choiceCount,
                healthCheck, retries, outlierDetection, slowStart, panicThreshold, null);
    }

    /** This pool with {@code t} for its TLS to the upstreams. */
    public PoolConfig withTls(UpstreamTlsConfig t) {
        return new PoolConfig(name, strategy, upstreams, timeouts, connections, buffering, errorPage, latencyDecay, hash,
                queue, choiceCount, healthCheck, retries, outlierDetection, slowStart, panicThreshold, t, errorPages, sources);
    }

    /** This pool with {@code u} for the file's list of upstreams (its sources kept). */
    public PoolConfig withUpstreams(List<UpstreamConfig> u) {
        return new PoolConfig(name, strategy, u, timeouts, connections, buffering, errorPage, latencyDecay, hash,
                queue, choiceCount, healthCheck, retries, outlierDetection, slowStart, panicThreshold, tls, errorPages, sources);
    }

    /** This pool with {@code s} for its discovery sources. */
    public PoolConfig withSources(List<UpstreamSource> s) {
        return new PoolConfig(name, strategy, upstreams, timeouts, connections, buffering, errorPage, latencyDecay, hash,
                queue, choiceCount, healthCheck, retries, outlierDetection, slowStart, panicThreshold, tls, errorPages, s);
    }

    /**
     * {@code choice-count} when the file does not say: least-connections scans all upstreams, as
     * HAProxy's {@code leastconn} and nginx's {@code least_conn} do; latency-weighted draws two, as
     * Finagle and Linkerd do. The other strategies do not read it.
     */
    public static int defaultChoiceCount(Strategy strategy) {
        return strategy.defaultChoiceCount();
    }

    /** A pool with the defaults for latency decay, hashing, queue, choices, health checks, retries and outlier detection. */
    public PoolConfig(String name, Strategy strategy, List<UpstreamConfig> upstreams, UpstreamTimeouts timeouts,
                      ConnectionPoolConfig connections, BufferingConfig buffering, ErrorPageConfig errorPage) {
        this(name, strategy, upstreams, timeouts, connections, buffering, errorPage, DEFAULT_LATENCY_DECAY,
                HashConfig.DEFAULTS, QueueConfig.DEFAULTS, defaultChoiceCount(strategy), HealthCheckConfig.DEFAULTS,
                RetryConfig.DEFAULTS, OutlierConfig.DEFAULTS, Duration.ZERO, 0);
    }

    /**
     * The balancing strategies as the configuration file names them, and which of the pool's
     * strategy options each reads, so that the reader can refuse an option that would do nothing.
     * Each name has its algorithm registered in {@code io.kodiak.balancer.Strategies}: a new
     * strategy is its class, one line there and one constant here.
     */
    public enum Strategy {
        ROUND_ROBIN("round-robin", 0, false),
        LEAST_CONNECTIONS("least-connections", ALL_CHOICES, false),
        LATENCY_WEIGHTED("latency-weighted", 2, false),
        CONSISTENT_HASH("consistent-hash", 0, true);

        private final String configName;
        private final int choices;
        private final boolean hashes;

        /**
         * @param choices the default {@code choice-count}, or 0 if the strategy draws no choices
         *                (then {@code choice-count} does not apply)
         * @param hashes  whether it picks by a request's hash key: {@code hash-key} and
         *                {@code hash-balance-factor} apply, {@code slow-start} does not (a ring
         *                moves keys, not shares)
         */
        Strategy(String configName, int choices, boolean hashes) {
            this.configName = configName;
            this.choices = choices;
            this.hashes = hashes;
        }

        public String configName() {
            return configName;
        }

        /** Whether {@code choice-count} applies: the strategy compares that many random upstreams per pick. */
        public boolean drawsChoices() {
            return choices != 0;
        }

        /** {@code choice-count} when the file does not say; {@link #ALL_CHOICES} for strategies that draw none. */
        public int defaultChoiceCount() {
            return choices == 0 ? ALL_CHOICES : choices;
        }

        /** Whether the strategy picks by a request's hash key. */
        public boolean hashes() {
            return hashes;
        }

        /** @return the strategy with this configuration name, or {@code null} */
        public static Strategy byConfigName(String name) {
            for (Strategy s : values()) {
                if (s.configName.equals(name)) {
                    return s;
                }
            }
            return null;
        }

        /**
         * The strategies {@code which} holds for, as an error message names them: {@code "strategy a"},
         * {@code "strategies a and b"}, {@code "strategies a, b and c"}.
         */
        public static String describe(java.util.function.Predicate<Strategy> which) {
            List<String> names = java.util.Arrays.stream(values()).filter(which).map(Strategy::configName).toList();
            if (names.size() < 2) {
                return "strategy " + String.join("", names);
            }
            return "strategies " + String.join(", ", names.subList(0, names.size() - 1)) + " and " + names.get(names.size() - 1);
        }
    }
}
