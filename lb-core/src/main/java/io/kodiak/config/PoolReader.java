package io.kodiak.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the {@code pools} section. Relative paths resolve against the config file's directory. The
 * {@code upstreams:} entries, listed or discovered, are {@link UpstreamEntryReader}'s.
 */
final class PoolReader {
    private static final List<String> POOL_KEYS =
            List.of("strategy", "choice-count", "latency-decay", "hash-key", "hash-balance-factor", "max-connections", "queue",
                    "health-check", "retries", "outlier-detection", "slow-start", "panic-threshold", "upstreams", "timeouts", "connections", "buffering", "error-page", "error-pages", "tls");
    private static final List<String> QUEUE_KEYS = List.of("max-length", "timeout");
    private static final List<String> OUTLIER_KEYS = List.of("consecutive-failures", "count-5xx", "base-ejection-time",
            "max-ejection-time", "max-ejection-percent");
    private static final List<String> RETRY_KEYS = List.of("attempts", "on", "budget", "min-per-second");
    private static final List<String> TIMEOUT_KEYS = List.of("connect", "response", "read", "send");
    private static final List<String> CONNECTION_KEYS = List.of("max-idle", "idle-timeout");
    private static final List<String> BUFFERING_KEYS =
            List.of("request", "response", "memory", "max-request-body", "max-temp-file", "temp-dir");
    private static final List<String> ERROR_PAGE_KEYS = List.of("status", "content-type", "file");

    /** Defaults of an {@code error-page} section that gives only a file. */
    static final int DEFAULT_ERROR_STATUS = 503;
    static final String DEFAULT_ERROR_CONTENT_TYPE = "text/html; charset=utf-8";
    /** The page is held in memory for the process's life; a bigger file is almost surely a mistake. */
    static final long MAX_ERROR_PAGE_BYTES = 1024 * 1024;

    private final Path baseDir;
    private final java.util.Set<String> resolvers;

    /** @param resolvers the names of the top-level {@code resolvers:} entries, which upstream entries may name */
    PoolReader(Path baseDir, java.util.Set<String> resolvers) {
        this.baseDir = baseDir;
        this.resolvers = resolvers;
    }

    Map<String, PoolConfig> read(ConfigNode poolsNode) throws ConfigException {
        ConfigMapping pools = poolsNode.freeMapping();
        if (pools.isEmpty()) {
            throw poolsNode.error("must define at least one pool");
        }
        Map<String, PoolConfig> result = new LinkedHashMap<>();
        for (String name : pools.keys()) {
            try {
                Values.name(name);
            } catch (IllegalArgumentException e) {
                throw pools.keyError(name, e.getMessage());
            }
            result.put(name, pool(name, pools.get(name)));
        }
        return result;
    }

    private PoolConfig pool(String name, ConfigNode node) throws ConfigException {
        ConfigMapping pool = node.mapping(POOL_KEYS);
        PoolConfig.Strategy strategy = PoolConfig.Strategy.ROUND_ROBIN;
        if (pool.get("strategy") != null) {
            strategy = pool.get("strategy").parse("a strategy name", Values::strategy);
        }
        int poolMaxConnections = pool.get("max-connections") == null ? 0 : pool.get("max-connections").integer(0, 1_000_000);
        UpstreamEntryReader.Entries entries = UpstreamEntryReader.read(pool.require("upstreams"), resolvers, poolMaxConnections);
        UpstreamTimeouts timeouts = pool.get("timeouts") == null ? UpstreamTimeouts.DEFAULTS
                : timeouts(pool.get("timeouts"));
        ConnectionPoolConfig connections = pool.get("connections") == null ? ConnectionPoolConfig.DEFAULTS
                : connections(pool.get("connections"));
        BufferingConfig buffering = pool.get("buffering") == null ? BufferingConfig.defaults()
                : buffering(pool.get("buffering"));
        ErrorPageConfig errorPage = pool.get("error-page") == null ? null : errorPage(pool.get("error-page"));
        Duration latencyDecay = PoolConfig.DEFAULT_LATENCY_DECAY;
        if (pool.get("latency-decay") != null) {
            latencyDecay = pool.get("latency-decay").parse("a duration", Values::duration);
        }
        HashConfig hash = hash(pool, strategy);
        QueueConfig queue = pool.get("queue") == null ? QueueConfig.DEFAULTS : queue(pool.get("queue"));
        UpstreamTlsConfig tls = pool.get("tls") == null ? null : UpstreamTlsReader.read(pool.get("tls"), baseDir, java.time.Instant.now());
        if (tls != null && entries.firstUnix() != null) {
            throw pool.get("tls").error("TLS to a Unix socket is not supported (" + entries.firstUnix().path() + " at line "
                    + entries.firstUnix().line() + " is one); put the TLS upstreams in a pool of their own");
        }
        return new PoolConfig(name, strategy, entries.upstreams(), timeouts, connections, buffering, errorPage, latencyDecay, hash,
                queue, choiceCount(pool, strategy),
                pool.get("health-check") == null ? HealthCheckConfig.DEFAULTS : HealthCheckReader.read(pool.get("health-check")),
                pool.get("retries") == null ? RetryConfig.DEFAULTS : retries(pool.get("retries")),
                pool.get("outlier-detection") == null ? OutlierConfig.DEFAULTS : outliers(pool.get("outlier-detection")),
                slowStart(pool, strategy),
                pool.get("panic-threshold") == null ? 0
                        : pool.get("panic-threshold").parse("a percentage", text -> Values.percent(text, 100)),
                tls, pool.get("error-pages") == null ? null : ErrorPagesReader.read(pool.get("error-pages"), baseDir, true),
                entries.sources());
    }

    private static QueueConfig queue(ConfigNode node) throws ConfigException {
        ConfigMapping m = node.mapping(QUEUE_KEYS);
        QueueConfig d = QueueConfig.DEFAULTS;
        int maxLength = m.get("max-length") == null ? d.maxLength() : m.get("max-length").integer(0, 1_000_000);
        Duration timeout = m.get("timeout") == null ? d.timeout() : m.get("timeout").parse("a duration", Values::duration);
        return new QueueConfig(maxLength, timeout);
    }

    /** {@code slow-start}: weighted strategies only; a hash ring cannot shift a share gradually (nginx refuses it too). */
    private static Duration slowStart(ConfigMapping pool, PoolConfig.Strategy strategy) throws ConfigException {
        ConfigNode node = pool.get("slow-start");
        if (node == null) {
            return Duration.ZERO;
        }
        if (strategy.hashes()) {
            throw node.error("does not apply to strategy " + strategy.configName() + " (a ring moves keys, not shares)");
        }
        return node.duration();
    }

    private static OutlierConfig outliers(ConfigNode node) throws ConfigException {
        ConfigMapping m = node.mapping(OUTLIER_KEYS);
        OutlierConfig d = OutlierConfig.DEFAULTS;
        int consecutive = m.get("consecutive-failures") == null ? d.consecutiveFailures()
                : m.get("consecutive-failures").integer(0, 1_000_000);
        boolean count5xx = m.get("count-5xx") == null ? d.count5xx() : m.get("count-5xx").bool();
        Duration base = m.get("base-ejection-time") == null ? d.baseEjectionTime() : m.get("base-ejection-time").duration();
        Duration max = m.get("max-ejection-time") == null ? d.maxEjectionTime() : m.get("max-ejection-time").duration();
        if (max.compareTo(base) < 0) {
            throw m.get(m.get("max-ejection-time") != null ? "max-ejection-time" : "base-ejection-time")
                    .error("max-ejection-time (" + Values.format(max) + ") is shorter than base-ejection-time ("
                            + Values.format(base) + ")");
        }
        int percent = m.get("max-ejection-percent") == null ? d.maxEjectionPercent()
                : m.get("max-ejection-percent").parse("a percentage", text -> Values.percent(text, 100));
        return new OutlierConfig(consecutive, count5xx, base, max, percent);
    }

    private static RetryConfig retries(ConfigNode node) throws ConfigException {
        ConfigMapping m = node.mapping(RETRY_KEYS);
        RetryConfig d = RetryConfig.DEFAULTS;
        int attempts = m.get("attempts") == null ? d.attempts() : m.get("attempts").integer(0, 10);
        boolean reset = d.onReset();
        boolean timeout = d.onTimeout();
        java.util.Set<Integer> statuses = d.onStatus();
        boolean nonIdempotent = d.nonIdempotent();
        ConfigNode on = m.get("on");
        if (on != null) {
            reset = false;
            timeout = false;
            statuses = new java.util.HashSet<>();
            for (ConfigNode item : on.isScalar() ? List.of(on) : on.sequence()) {
                String cause = item.string();
                switch (cause) {
                    case "reset" -> reset = true;
                    case "timeout" -> timeout = true;
                    case "502", "503", "504" -> statuses.add(Integer.parseInt(cause));
                    case "non-idempotent" -> nonIdempotent = true;
                    default -> throw item.error(Values.quote(cause)
                            + " is not a retry cause (valid: reset, timeout, 502, 503, 504, non-idempotent)");
                }
            }
        }
        int budget = m.get("budget") == null ? d.budgetPercent()
                : m.get("budget").parse("a percentage", text -> Values.percent(text, 100));
        int minPerSecond = m.get("min-per-second") == null ? d.minPerSecond() : m.get("min-per-second").integer(0, 1_000_000);
        return new RetryConfig(attempts, reset, timeout, statuses, budget, minPerSecond, nonIdempotent);
    }

    /** {@code choice-count}, which only strategies that draw choices read ({@code least-connections}, {@code latency-weighted}). */
    private static int choiceCount(ConfigMapping pool, PoolConfig.Strategy strategy) throws ConfigException {
        ConfigNode node = pool.get("choice-count");
        if (node == null) {
            return strategy.defaultChoiceCount();
        }
        if (!strategy.drawsChoices()) {
            throw node.error("only applies to " + PoolConfig.Strategy.describe(PoolConfig.Strategy::drawsChoices));
        }
        return node.parse("an integer of at least 2, or all", Values::choiceCount);
    }

    /** {@code hash-key} and {@code hash-balance-factor}, which only strategies that hash read ({@code consistent-hash}). */
    private static HashConfig hash(ConfigMapping pool, PoolConfig.Strategy strategy) throws ConfigException {
        for (String key : List.of("hash-key", "hash-balance-factor")) {
            if (pool.get(key) != null && !strategy.hashes()) {
                throw pool.get(key).error("only applies to " + PoolConfig.Strategy.describe(PoolConfig.Strategy::hashes));
            }
        }
        HashConfig.Source source = HashConfig.DEFAULTS.source();
        String name = null;
        if (pool.get("hash-key") != null) {
            HashConfig parsed = pool.get("hash-key").parse("client-ip, header:NAME or cookie:NAME", Values::hashKey);
            source = parsed.source();
            name = parsed.name();
        }
        int factor = HashConfig.DEFAULTS.balanceFactor();
        if (pool.get("hash-balance-factor") != null) {
            factor = pool.get("hash-balance-factor").parse("a percentage", text -> Values.balanceFactor(text));
        }
        return new HashConfig(source, name, factor);
    }

    private static UpstreamTimeouts timeouts(ConfigNode node) throws ConfigException {
        ConfigMapping m = node.mapping(TIMEOUT_KEYS);
        UpstreamTimeouts d = UpstreamTimeouts.DEFAULTS;
        return new UpstreamTimeouts(duration(m, "connect", d.connect()), duration(m, "response", d.response()),
                duration(m, "read", d.read()), duration(m, "send", d.send()));
    }

    private static ConnectionPoolConfig connections(ConfigNode node) throws ConfigException {
        ConfigMapping m = node.mapping(CONNECTION_KEYS);
        ConnectionPoolConfig d = ConnectionPoolConfig.DEFAULTS;
        int maxIdle = m.get("max-idle") == null ? d.maxIdle() : m.get("max-idle").integer(0, 100_000);
        return new ConnectionPoolConfig(maxIdle, duration(m, "idle-timeout", d.idleTimeout()));
    }

    private BufferingConfig buffering(ConfigNode node) throws ConfigException {
        ConfigMapping m = node.mapping(BUFFERING_KEYS);
        BufferingConfig d = BufferingConfig.defaults();
        Path tempDir = d.tempDir();
        if (m.get("temp-dir") != null) {
            ConfigNode dirNode = m.get("temp-dir");
            tempDir = resolve(dirNode.string());
            if (!Files.isDirectory(tempDir)) {
                throw dirNode.error(tempDir + " is not a directory");
            }
            if (!Files.isWritable(tempDir)) {
                throw dirNode.error(tempDir + " is not writable");
            }
        }
        return new BufferingConfig(
                m.get("request") == null ? d.request() : m.get("request").bool(),
                m.get("response") == null ? d.response() : m.get("response").bool(),
                size(m, "memory", d.memory()), size(m, "max-request-body", d.maxRequestBody()),
                size(m, "max-temp-file", d.maxTempFile()), tempDir);
    }

    private ErrorPageConfig errorPage(ConfigNode node) throws ConfigException {
        ConfigMapping m = node.mapping(ERROR_PAGE_KEYS);
        int status = m.get("status") == null ? DEFAULT_ERROR_STATUS : m.get("status").integer(500, 599);
        String contentType = m.get("content-type") == null ? DEFAULT_ERROR_CONTENT_TYPE
                : m.get("content-type").parse("a media type", Values::fieldValue);
        ConfigNode fileNode = m.require("file");
        Path file = resolve(fileNode.string());
        return new ErrorPageConfig(status, contentType, file, ErrorPagesReader.readFile(fileNode, file));
    }

    private Path resolve(String path) {
        return baseDir.resolve(path).normalize();
    }

    private static Duration duration(ConfigMapping m, String key, Duration fallback) throws ConfigException {
        return m.get(key) == null ? fallback : m.get(key).duration();
    }

    private static long size(ConfigMapping m, String key, long fallback) throws ConfigException {
        return m.get(key) == null ? fallback : m.get(key).size(Long.MAX_VALUE);
    }

    @Override
    public String toString() {
        return "PoolReader[" + baseDir + "]";
    }
}
