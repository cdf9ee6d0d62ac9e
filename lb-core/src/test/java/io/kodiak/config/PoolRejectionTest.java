package io.kodiak.config;

import org.junit.jupiter.api.Test;

import java.util.List;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static io.kodiak.config.ConfigLoaderRejectionTest.ONE_POOL;
import static io.kodiak.config.ConfigLoaderRejectionTest.assertRejected;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Rejections in the {@code pools} section, with the exact message. */
class PoolRejectionTest {
    /** One pool named web with one upstream; %s is more of the pool's keys, indented by four. */
    private static final String WEB_POOL_WITH = """
            listeners: [{address: 127.0.0.1:8080}]
            pools:
              web:
                upstreams: [127.0.0.1:9001]
            %s
            """;

    @TempDir
    Path dir;

    @Test
    void noPools() {
        assertRejected("listeners: [{address: 127.0.0.1:8080}]\npools: {}\n",
                "kodiak.yaml:2: pools: must define at least one pool");
    }

    @Test
    void duplicatePoolName() {
        assertRejected("""
                listeners: [{address: 127.0.0.1:8080}]
                pools:
                  web:
                    upstreams: [127.0.0.1:9001]
                  web:
                    upstreams: [127.0.0.1:9002]
                """, "kodiak.yaml:5: pools.web: \"web\" is defined twice (first at line 3)");
    }

    @Test
    void invalidPoolName() {
        assertRejected("""
                listeners: [{address: 127.0.0.1:8080}]
                pools:
                  web/1:
                    upstreams: [127.0.0.1:9001]
                """, "kodiak.yaml:3: pools.web/1: \"web/1\" is not a valid name (use 1-100 letters, digits and . _ - : [ ])");
    }

    @Test
    void poolWithoutUpstreams() {
        assertRejected("""
                listeners: [{address: 127.0.0.1:8080}]
                pools:
                  web:
                    upstreams: []
                """, "kodiak.yaml:4: pools.web.upstreams: must list at least one upstream");
    }

    @Test
    void badUpstreamAddress() {
        assertRejected("""
                listeners: [{address: 127.0.0.1:8080}]
                pools:
                  web:
                    upstreams:
                      - 10.0.0.1:9001
                      - address: 10.0.0.1:99999
                """, "kodiak.yaml:6: pools.web.upstreams[1].address: \"10.0.0.1:99999\" is not host:port"
                + " (port must be 1-65535)");
        assertRejected("""
                listeners: [{address: 127.0.0.1:8080}]
                pools:
                  web:
                    upstreams: [":9001"]
                """, "kodiak.yaml:4: pools.web.upstreams[0]: \":9001\" is not host:port (the host is missing)");
    }

    @Test
    void duplicateUpstreamName() {
        assertRejected("""
                listeners: [{address: 127.0.0.1:8080}]
                pools:
                  web:
                    upstreams:
                      - {address: 127.0.0.1:9001, name: a}
                      - {address: 127.0.0.1:9002, name: a}
                """, "kodiak.yaml:6: pools.web.upstreams[1].name: upstream name \"a\" is already used by"
                + " pools.web.upstreams[0].name (line 5); give one of them a distinct name");
        assertRejected("""
                listeners: [{address: 127.0.0.1:8080}]
                pools:
                  web:
                    upstreams:
                      - 127.0.0.1:9001
                      - 127.0.0.1:9001
                """, "kodiak.yaml:6: pools.web.upstreams[1]: upstream name \"127.0.0.1:9001\" is already used by"
                + " pools.web.upstreams[0] (line 5); give one of them a distinct name");
    }

    @Test
    void weightOutOfRange() {
        for (String weight : new String[] {"0", "1001", "-1"}) {
            assertRejected("""
                    listeners: [{address: 127.0.0.1:8080}]
                    pools:
                      web:
                        upstreams:
                          - {address: 127.0.0.1:9001, weight: %s}
                    """.formatted(weight),
                    "kodiak.yaml:5: pools.web.upstreams[0].weight: " + weight + " is out of range (must be 1-1000)");
        }
    }

    @Test
    void badStrategy() {
        assertRejected("""
                listeners: [{address: 127.0.0.1:8080}]
                pools:
                  web:
                    strategy: least-conn
                    upstreams: [127.0.0.1:9001]
                """, "kodiak.yaml:4: pools.web.strategy: \"least-conn\" is not a strategy (valid: round-robin, least-connections, latency-weighted, consistent-hash)");
    }

    @Test
    void badLatencyDecay() {
        assertRejected("""
                listeners: [{address: 127.0.0.1:8080}]
                pools:
                  web:
                    strategy: latency-weighted
                    latency-decay: 10
                    upstreams: [127.0.0.1:9001]
                """, "kodiak.yaml:5: pools.web.latency-decay: \"10\" has no unit (units are required: ms, s, m, h)");
    }

    @Test
    void latencyDecayIsReadAndDefaults() throws Exception {
        KodiakConfig c = ConfigLoader.parse("""
                listeners: [{address: 127.0.0.1:8080}]
                pools:
                  web:
                    strategy: latency-weighted
                    latency-decay: 2500ms
                    upstreams: [127.0.0.1:9001]
                  api:
                    upstreams: [127.0.0.1:9002]
                  # routes are required with two pools
                """.replace("listeners: [{address: 127.0.0.1:8080}]",
                "listeners: [{address: 127.0.0.1:8080, routes: [{pool: web}]}]"), java.nio.file.Path.of("kodiak.yaml"));
        assertEquals(java.time.Duration.ofMillis(2500), c.pools().get("web").latencyDecay());
        assertEquals(PoolConfig.DEFAULT_LATENCY_DECAY, c.pools().get("api").latencyDecay());
    }

    @Test
    void choiceCountIsReadDefaultsPerStrategyAndIsValidated() throws Exception {
        String base = """
                listeners: [{address: 127.0.0.1:8080}]
                pools:
                  web:
                    strategy: %s
                %s
                    upstreams: [127.0.0.1:9001]
                """;
        java.nio.file.Path file = java.nio.file.Path.of("kodiak.yaml");
        assertEquals(2, ConfigLoader.parse(base.formatted("least-connections", "    choice-count: 2"), file)
                .pools().get("web").choiceCount());
        assertEquals(PoolConfig.ALL_CHOICES, ConfigLoader.parse(base.formatted("latency-weighted", "    choice-count: all"), file)
                .pools().get("web").choiceCount());
        assertEquals(PoolConfig.ALL_CHOICES, ConfigLoader.parse(base.formatted("least-connections", ""), file)
                .pools().get("web").choiceCount(), "least-connections scans every upstream by default, as leastconn does");
        assertEquals(2, ConfigLoader.parse(base.formatted("latency-weighted", ""), file)
                .pools().get("web").choiceCount(), "latency-weighted is P2C by default");

        assertRejected(base.formatted("least-connections", "    choice-count: 1"),
                "kodiak.yaml:5: pools.web.choice-count: \"1\" must be 2-1000 (2 is the power of two choices) or all");
        assertRejected(base.formatted("least-connections", "    choice-count: two"),
                "kodiak.yaml:5: pools.web.choice-count: \"two\" is not an integer or \"all\"");
        assertRejected(base.formatted("round-robin", "    choice-count: 2"),
                "kodiak.yaml:5: pools.web.choice-count: only applies to strategies least-connections and latency-weighted");
    }

    @Test
    void healthChecksDefaultToTcpWithHaproxyThresholdsAndAreRead() throws Exception {
        String base = WEB_POOL_WITH;
        java.nio.file.Path file = java.nio.file.Path.of("kodiak.yaml");
        HealthCheckConfig d = ConfigLoader.parse(base.formatted(""), file).pools().get("web").healthCheck();
        assertEquals(HealthCheckConfig.DEFAULTS, d);
        assertEquals(HealthCheckConfig.Type.TCP, d.type());
        assertEquals(2, d.policy().rise());
        assertEquals(3, d.policy().fall());
        assertEquals(java.time.Duration.ofSeconds(2), d.policy().interval());

        HealthCheckConfig h = ConfigLoader.parse(base.formatted("""
                    health-check:
                      type: http
                      interval: 5s
                      fast-interval: 1s
                      rise: 3
                      fall: 2
                      jitter: 20%
                      method: HEAD
                      path: /health?deep=1
                      host: app.internal
                      expect-status: [200, 204-206]
                      expect-body: ready
                """), file).pools().get("web").healthCheck();
        assertEquals(HealthCheckConfig.Type.HTTP, h.type());
        assertEquals(java.time.Duration.ofSeconds(5), h.policy().interval());
        assertEquals(java.time.Duration.ofSeconds(1), h.policy().fastInterval());
        assertEquals(java.time.Duration.ofSeconds(5), h.policy().downInterval(), "down-interval defaults to interval");
        assertEquals(java.time.Duration.ofSeconds(5), h.policy().timeout(), "timeout defaults to interval, as in HAProxy");
        assertEquals(3, h.policy().rise());
        assertEquals(2, h.policy().fall());
        assertEquals(0.2, h.policy().jitter(), 1e-9);
        assertEquals(new io.kodiak.health.HttpCheck("HEAD", "/health?deep=1", "app.internal",
                List.of(new io.kodiak.health.HttpCheck.StatusRange(200, 200), new io.kodiak.health.HttpCheck.StatusRange(204, 206)),
                "ready", HealthCheckConfig.NODE_HEADERS), h.http());

        HealthCheckConfig http = ConfigLoader.parse(base.formatted("    health-check: {type: http}"), file)
                .pools().get("web").healthCheck();
        assertEquals(new io.kodiak.health.HttpCheck("GET", "/", null, io.kodiak.health.HttpCheck.DEFAULT_STATUS, null,
                HealthCheckConfig.NODE_HEADERS), http.http(), "GET /, 2xx and 3xx, reading the node's state");
        assertEquals(HealthCheckConfig.Type.NONE, ConfigLoader.parse(base.formatted("    health-check: {type: none}"), file)
                .pools().get("web").healthCheck().type());
    }

    @Test
    void badHealthChecksAreRejectedNamingTheKey() throws Exception {
        String base = """
                listeners: [{address: 127.0.0.1:8080}]
                pools:
                  web:
                    upstreams: [127.0.0.1:9001]
                    health-check:
                %s
                """;
        assertRejected(base.formatted("      type: icmp"),
                "kodiak.yaml:6: pools.web.health-check.type: \"icmp\" is not a check type (valid: tcp, http, none)");
        assertRejected(base.formatted("      path: /health"),
                "kodiak.yaml:6: pools.web.health-check.path: only applies to type http");
        assertRejected(base.formatted("      type: http\n      path: health"),
                "kodiak.yaml:7: pools.web.health-check.path: \"health\" must start with / and hold no spaces or control characters");
        assertRejected(base.formatted("      type: http\n      method: DELETE"),
                "kodiak.yaml:7: pools.web.health-check.method: \"DELETE\" is not a check method (valid: GET, HEAD, OPTIONS, POST)");
        assertRejected(base.formatted("      type: http\n      expect-status: 2xx"),
                "kodiak.yaml:7: pools.web.health-check.expect-status: \"2xx\" is not a status or a range of statuses (e.g. 200 or 200-399)");
        assertRejected(base.formatted("      type: http\n      expect-status: 399-200"),
                "kodiak.yaml:7: pools.web.health-check.expect-status: \"399-200\": the range runs from low to high");
        assertRejected(base.formatted("      interval: 2"),
                "kodiak.yaml:6: pools.web.health-check.interval: \"2\" has no unit (units are required: ms, s, m, h)");
        assertRejected(base.formatted("      rise: 0"),
                "kodiak.yaml:6: pools.web.health-check.rise: 0 is out of range (must be 1-1000)");
        assertRejected(base.formatted("      jitter: 0.1"),
                "kodiak.yaml:6: pools.web.health-check.jitter: \"0.1\" is not a percentage (e.g. 10%)");
        assertRejected(base.formatted("      jitter: 60%"),
                "kodiak.yaml:6: pools.web.health-check.jitter: \"60%\" must be at most 50%");
        assertRejected(base.formatted("      interval: 2s\n      intervall: 2s"),
                "kodiak.yaml:7: pools.web.health-check.intervall: unknown key; did you mean \"interval\"? (allowed: type, interval, fast-interval, down-interval, timeout, rise, fall, jitter, method, path, host, expect-status, expect-body)");
    }

    @Test
    void retriesAreOnByDefaultAndAreReadAndValidated() throws Exception {
        String base = WEB_POOL_WITH;
        java.nio.file.Path file = java.nio.file.Path.of("kodiak.yaml");
        assertEquals(RetryConfig.DEFAULTS, ConfigLoader.parse(base.formatted(""), file).pools().get("web").retries());
        RetryConfig r = ConfigLoader.parse(base.formatted("    retries: {attempts: 1, on: [timeout, 503], budget: 10%, min-per-second: 5}"),
                file).pools().get("web").retries();
        assertEquals(new RetryConfig(1, false, true, java.util.Set.of(503), 10, 5), r);
        assertEquals(0, ConfigLoader.parse(base.formatted("    retries: {attempts: 0}"), file).pools().get("web").retries().attempts());
        assertEquals(new RetryConfig(2, true, false, java.util.Set.of(), 20, 3, true),
                ConfigLoader.parse(base.formatted("    retries: {on: [reset, non-idempotent]}"), file).pools().get("web").retries());

        assertRejected(base.formatted("    retries: {on: [reset, 500]}"),
                "kodiak.yaml:5: pools.web.retries.on[1]: \"500\" is not a retry cause (valid: reset, timeout, 502, 503, 504, non-idempotent)");
        assertRejected(base.formatted("    retries: {attempts: 11}"),
                "kodiak.yaml:5: pools.web.retries.attempts: 11 is out of range (must be 0-10)");
        assertRejected(base.formatted("    retries: {budget: 20}"),
                "kodiak.yaml:5: pools.web.retries.budget: \"20\" is not a percentage (e.g. 10%)");
    }

    @Test
    void outlierDetectionIsOnByDefaultAndIsReadAndValidated() throws Exception {
        String base = WEB_POOL_WITH;
        java.nio.file.Path file = java.nio.file.Path.of("kodiak.yaml");
        assertEquals(OutlierConfig.DEFAULTS, ConfigLoader.parse(base.formatted(""), file).pools().get("web").outlierDetection());
        OutlierConfig o = ConfigLoader.parse(base.formatted(
                "    outlier-detection: {consecutive-failures: 3, count-5xx: true, base-ejection-time: 10s, max-ejection-time: 1m, max-ejection-percent: 34%}"),
                file).pools().get("web").outlierDetection();
        assertEquals(new OutlierConfig(3, true, java.time.Duration.ofSeconds(10), java.time.Duration.ofMinutes(1), 34), o);

        assertRejected(base.formatted("    outlier-detection: {base-ejection-time: 10m}"),
                "kodiak.yaml:5: pools.web.outlier-detection.base-ejection-time: max-ejection-time (5m) is shorter than base-ejection-time (10m)");
        assertRejected(base.formatted("    outlier-detection: {max-ejection-percent: 101%}"),
                "kodiak.yaml:5: pools.web.outlier-detection.max-ejection-percent: \"101%\" must be at most 100%");
    }

    @Test
    void panicThresholdIsOffByDefault() throws Exception {
        java.nio.file.Path file = java.nio.file.Path.of("kodiak.yaml");
        assertEquals(0, ConfigLoader.parse(WEB_POOL_WITH.formatted(""), file).pools().get("web").panicThreshold());
        assertEquals(50, ConfigLoader.parse(WEB_POOL_WITH.formatted("    panic-threshold: 50%"), file).pools().get("web").panicThreshold());
        assertRejected(WEB_POOL_WITH.formatted("    panic-threshold: 0.5"),
                "kodiak.yaml:5: pools.web.panic-threshold: \"0.5\" is not a percentage (e.g. 10%)");
    }

    @Test
    void slowStartIsOffByDefaultAndNotForHashing() throws Exception {
        java.nio.file.Path file = java.nio.file.Path.of("kodiak.yaml");
        assertEquals(java.time.Duration.ZERO, ConfigLoader.parse(WEB_POOL_WITH.formatted(""), file).pools().get("web").slowStart());
        assertEquals(java.time.Duration.ofSeconds(30),
                ConfigLoader.parse(WEB_POOL_WITH.formatted("    slow-start: 30s"), file).pools().get("web").slowStart());
        assertRejected(WEB_POOL_WITH.formatted("    strategy: consistent-hash\n    slow-start: 30s"),
                "kodiak.yaml:6: pools.web.slow-start: does not apply to strategy consistent-hash (a ring moves keys, not shares)");
    }

    @Test
    void hashKeysAreReadAndValidated() throws Exception {
        String base = """
                listeners: [{address: 127.0.0.1:8080}]
                pools:
                  web:
                    strategy: consistent-hash
                %s
                    upstreams: [127.0.0.1:9001]
                """;
        PoolConfig header = ConfigLoader.parse(base.formatted("    hash-key: header:X-User-Id\n    hash-balance-factor: 150"),
                java.nio.file.Path.of("kodiak.yaml")).pools().get("web");
        assertEquals(new HashConfig(HashConfig.Source.HEADER, "x-user-id", 150), header.hash());
        PoolConfig cookie = ConfigLoader.parse(base.formatted("    hash-key: cookie:session"),
                java.nio.file.Path.of("kodiak.yaml")).pools().get("web");
        assertEquals(new HashConfig(HashConfig.Source.COOKIE, "session", 125), cookie.hash());
        PoolConfig defaults = ConfigLoader.parse(base.formatted(""), java.nio.file.Path.of("kodiak.yaml")).pools().get("web");
        assertEquals(HashConfig.DEFAULTS, defaults.hash());

        assertRejected(base.formatted("    hash-key: body"),
                "kodiak.yaml:5: pools.web.hash-key: \"body\" is not a hash key (valid: client-ip, header:NAME, cookie:NAME)");
        assertRejected(base.formatted("    hash-key: \"header:bad name\""),
                "kodiak.yaml:5: pools.web.hash-key: \"header:bad name\": header name must be a token (letters, digits, -_.!#$%&'*+^`|~)");
        assertRejected(base.formatted("    hash-balance-factor: 50"),
                "kodiak.yaml:5: pools.web.hash-balance-factor: \"50\" must be 0 (no bound) or 100-10000 (percent of the average load)");
        assertRejected("""
                listeners: [{address: 127.0.0.1:8080}]
                pools:
                  web:
                    hash-key: client-ip
                    upstreams: [127.0.0.1:9001]
                """, "kodiak.yaml:4: pools.web.hash-key: only applies to strategy consistent-hash");
    }

    @Test
    void maxConnectionsAndQueueAreReadWithPoolDefaultsAndPerUpstreamOverrides() throws Exception {
        PoolConfig p = ConfigLoader.parse("""
                listeners: [{address: 127.0.0.1:8080}]
                pools:
                  web:
                    max-connections: 4
                    queue: {max-length: 50, timeout: 2s}
                    upstreams:
                      - 127.0.0.1:9001
                      - {address: 127.0.0.1:9002, max-connections: 8}
                """, java.nio.file.Path.of("kodiak.yaml")).pools().get("web");
        assertEquals(List.of(4, 8), p.upstreams().stream().map(UpstreamConfig::maxConnections).toList());
        assertEquals(new QueueConfig(50, java.time.Duration.ofSeconds(2)), p.queue());
        PoolConfig d = ConfigLoader.parse(ONE_POOL_FILE, java.nio.file.Path.of("kodiak.yaml")).pools().get("web");
        assertEquals(0, d.upstreams().get(0).maxConnections(), "no limit by default");
        assertEquals(QueueConfig.DEFAULTS, d.queue());

        assertRejected("""
                listeners: [{address: 127.0.0.1:8080}]
                pools:
                  web:
                    queue: {length: 5}
                    upstreams: [127.0.0.1:9001]
                """, "kodiak.yaml:4: pools.web.queue.length: unknown key (allowed: max-length, timeout)");
        assertRejected("""
                listeners: [{address: 127.0.0.1:8080}]
                pools:
                  web:
                    upstreams: [{address: 127.0.0.1:9001, max-connections: -1}]
                """, "kodiak.yaml:4: pools.web.upstreams[0].max-connections: -1 is out of range (must be 0-1000000)");
    }

    private static final String ONE_POOL_FILE = """
            listeners: [{address: 127.0.0.1:8080}]
            pools:
              web:
                upstreams: [127.0.0.1:9001]
            """;

    @Test
    void badDurations() {
        assertRejected("""
                listeners: [{address: 127.0.0.1:8080}]
                pools:
                  web:
                    upstreams: [127.0.0.1:9001]
                    timeouts: {connect: 3}
                """, "kodiak.yaml:5: pools.web.timeouts.connect: \"3\" has no unit (units are required: ms, s, m, h)");
        assertRejected("""
                listeners: [{address: 127.0.0.1:8080, timeouts: {body: 0s}}]
                """ + ONE_POOL, "kodiak.yaml:1: listeners[0].timeouts.body: \"0s\" must be greater than 0");
        assertRejected("""
                listeners: [{address: 127.0.0.1:8080}]
                pools:
                  web:
                    upstreams: [127.0.0.1:9001]
                    connections: {idle-timeout: 2 days}
                """, "kodiak.yaml:5: pools.web.connections.idle-timeout: \"2 days\" is not a duration"
                + " (use e.g. 500ms, 10s, 2m, 1h)");
    }

    @Test
    void badSizes() {
        assertRejected("""
                listeners: [{address: 127.0.0.1:8080}]
                pools:
                  web:
                    upstreams: [127.0.0.1:9001]
                    buffering: {memory: -1KiB}
                """, "kodiak.yaml:5: pools.web.buffering.memory: \"-1KiB\" must not be negative");
        assertRejected("""
                listeners: [{address: 127.0.0.1:8080}]
                pools:
                  web:
                    upstreams: [127.0.0.1:9001]
                    buffering: {max-temp-file: 9000000000GiB}
                """, "kodiak.yaml:5: pools.web.buffering.max-temp-file: \"9000000000GiB\" is too large"
                + " (at most 9223372036854775807 bytes)");
        assertRejected("""
                listeners: [{address: 127.0.0.1:8080}]
                pools:
                  web:
                    upstreams: [127.0.0.1:9001]
                    buffering: {max-request-body: 10TB}
                """, "kodiak.yaml:5: pools.web.buffering.max-request-body: \"10TB\" is not a size"
                + " (use bytes or a unit: 512, 64KiB, 100MiB, 1GiB; k, M, GB also work)");
    }

    @Test
    void maxIdleOutOfRange() {
        assertRejected("""
                listeners: [{address: 127.0.0.1:8080}]
                pools:
                  web:
                    upstreams: [127.0.0.1:9001]
                    connections: {max-idle: -1}
                """, "kodiak.yaml:5: pools.web.connections.max-idle: -1 is out of range (must be 0-100000)");
    }

    @Test
    void tempDirMustBeADirectory() throws Exception {
        Files.writeString(dir.resolve("file"), "x");
        Path name = dir.resolve("kodiak.yaml");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse("""
                listeners: [{address: 127.0.0.1:8080}]
                pools:
                  web:
                    upstreams: [127.0.0.1:9001]
                    buffering: {temp-dir: file}
                """, name));
        assertEquals(name + ":5: pools.web.buffering.temp-dir: " + dir.resolve("file") + " is not a directory",
                e.getMessage());
    }

    // --- error pages

    private static String errorPagePool(String errorPage) {
        return """
                listeners: [{address: 127.0.0.1:8080}]
                pools:
                  web:
                    upstreams: [127.0.0.1:9001]
                    error-page: %s
                """.formatted(errorPage);
    }

    @Test
    void errorPageFileMissingNamesTheResolvedPath() {
        Path name = dir.resolve("kodiak.yaml");
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigLoader.parse(errorPagePool("{file: errors/../errors/503.html}"), name));
        assertEquals(name + ":5: pools.web.error-page.file: cannot read " + dir.resolve("errors/503.html")
                + ": no such file", e.getMessage());
    }

    @Test
    void errorPageFileIsADirectory() throws Exception {
        Files.createDirectories(dir.resolve("errors"));
        Path name = dir.resolve("kodiak.yaml");
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigLoader.parse(errorPagePool("{file: errors}"), name));
        assertEquals(name + ":5: pools.web.error-page.file: cannot read " + dir.resolve("errors")
                + ": is a directory", e.getMessage());
    }

    @Test
    void errorPageFileTooLarge() throws Exception {
        Files.write(dir.resolve("big.html"), new byte[(int) PoolReader.MAX_ERROR_PAGE_BYTES + 1]);
        Path name = dir.resolve("kodiak.yaml");
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigLoader.parse(errorPagePool("{file: big.html}"), name));
        assertEquals(name + ":5: pools.web.error-page.file: " + dir.resolve("big.html")
                + " is larger than 1048576 bytes", e.getMessage());
    }

    @Test
    void errorPageStatusOutOfRange() {
        assertRejected(errorPagePool("{status: 404, file: x.html}"),
                "kodiak.yaml:5: pools.web.error-page.status: 404 is out of range (must be 500-599)");
        assertRejected(errorPagePool("{status: 600, file: x.html}"),
                "kodiak.yaml:5: pools.web.error-page.status: 600 is out of range (must be 500-599)");
    }

    @Test
    void errorPageNeedsAFile() {
        assertRejected(errorPagePool("{status: 503}"), "kodiak.yaml:5: pools.web.error-page.file: required key is missing");
    }
}
