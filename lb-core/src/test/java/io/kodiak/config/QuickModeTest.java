package io.kodiak.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code kodiak proxy --listen ... --to ...}. */
class QuickModeTest {
    @TempDir
    Path dir;

    private static void assertRejected(List<String> args, String expected) {
        ConfigException e = assertThrows(ConfigException.class, () -> QuickMode.fromArgs(args));
        assertEquals(expected, e.getMessage());
    }

    @Test
    void acceptsEveryStrategyByItsConfigName() throws Exception {
        for (PoolConfig.Strategy strategy : PoolConfig.Strategy.values()) {
            KodiakConfig config = QuickMode.fromArgs(List.of("--to", "127.0.0.1:9001", "--strategy", strategy.configName()));
            assertEquals(strategy, config.pools().get("default").strategy());
        }
    }

    @Test
    void buildsOneListenerAndOnePoolWithDefaults() throws Exception {
        KodiakConfig config = QuickMode.fromArgs(List.of("--listen", "127.0.0.1:9000",
                "--to", "127.0.0.1:9001,[::1]:9002", "--strategy", "round-robin"));

        assertNull(config.source());
        ListenerConfig listener = config.listeners().get(0);
        assertEquals(1, config.listeners().size());
        assertEquals("quick", listener.name());
        assertEquals(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 9000), listener.address());
        assertEquals(List.of(new RouteConfig(null, null, "default")), listener.routes());
        assertEquals(ClientTimeouts.DEFAULTS, listener.timeouts());
        assertEquals(ClientLimits.DEFAULTS, listener.limits());
        assertEquals(ForwardedHeaders.DEFAULTS, listener.forwarded());
        assertEquals(ServerHeaderPolicy.DEFAULTS, listener.serverHeader());
        assertEquals(List.of("default"), List.copyOf(config.pools().keySet()));
        PoolConfig pool = config.pools().get("default");
        assertEquals(PoolConfig.Strategy.ROUND_ROBIN, pool.strategy());
        assertEquals(List.of(new UpstreamConfig("127.0.0.1:9001", "127.0.0.1", 9001, 1),
                new UpstreamConfig("[::1]:9002", "::1", 9002, 1)), pool.upstreams());
        assertEquals(UpstreamTimeouts.DEFAULTS, pool.timeouts());
        assertEquals(ConnectionPoolConfig.DEFAULTS, pool.connections());
        assertEquals(BufferingConfig.defaults(), pool.buffering());
        assertNull(pool.errorPage());
        // Defaults that protect, even without a file: a killed upstream costs nothing here either.
        assertEquals(HealthCheckConfig.DEFAULTS, pool.healthCheck());
        assertEquals(HealthCheckConfig.Type.TCP, pool.healthCheck().type());
        assertEquals(OutlierConfig.DEFAULTS, pool.outlierDetection());
        assertEquals(RetryConfig.DEFAULTS, pool.retries());
    }

    @Test
    void equalsFormAndDefaultListen() throws Exception {
        KodiakConfig config = QuickMode.fromArgs(List.of("--to=127.0.0.1:9001, 127.0.0.1:9002"));

        assertEquals(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 8080),
                config.listeners().get(0).address());
        assertEquals(2, config.pools().get("default").upstreams().size());
    }

    @Test
    void wildcardListen() throws Exception {
        KodiakConfig config = QuickMode.fromArgs(List.of("--listen=:0", "--to", "127.0.0.1:9001"));

        assertTrue(config.listeners().get(0).address().getAddress().isAnyLocalAddress());
    }

    @Test
    void rejections() {
        assertRejected(List.of(), "--to: required (the upstreams, comma-separated host:port)");
        assertRejected(List.of("--to", "x"), "--to: \"x\" is not host:port (the port is missing)");
        assertRejected(List.of("--to", "127.0.0.1:9001,,127.0.0.1:9002"),
                "--to: \"127.0.0.1:9001,,127.0.0.1:9002\" has an empty entry");
        assertRejected(List.of("--to", "127.0.0.1:9001,127.0.0.1:9001"), "--to: \"127.0.0.1:9001\" is listed twice");
        assertRejected(List.of("--to"), "--to: needs a value (--to HOST:PORT,...)");
        assertRejected(List.of("--to", "--listen", ":0"), "--to: needs a value (--to HOST:PORT,...)");
        assertRejected(List.of("--to="), "--to: needs a value (--to HOST:PORT,...)");
        assertRejected(List.of("--to", "127.0.0.1:9001", "--to", "127.0.0.1:9002"), "--to: given more than once");
        assertRejected(List.of("--to", "127.0.0.1:9001", "--listen", "127.0.0.1:70000"),
                "--listen: \"127.0.0.1:70000\" is not host:port (port must be 0-65535)");
        assertRejected(List.of("--to", "127.0.0.1:9001", "--strategy", "random"),
                "--strategy: \"random\" is not a strategy (valid: round-robin, least-connections, latency-weighted, consistent-hash)");
        assertRejected(List.of("--to", "127.0.0.1:9001", "--timeout", "5s"),
                "--timeout: unknown flag (flags are --to, --listen, --strategy, --admin, --metrics, --access-log, --access-log-format, --tls-cert, --tls-key, -h/--help)");
        assertRejected(List.of("--to", "127.0.0.1:9001", "extra"),
                "\"extra\": unexpected argument (flags are --to, --listen, --strategy, --admin, --metrics, --access-log, --access-log-format, --tls-cert, --tls-key, -h/--help)");
    }

    @Test
    void usageMentionsEveryFlagAndItsDefault() {
        String usage = QuickMode.FLAGS.usage();
        for (String text : List.of("--to HOST:PORT,...", "(required)", "--listen HOST:PORT", "(default 127.0.0.1:8080)",
                "--strategy NAME", "(default round-robin; valid: round-robin, least-connections, latency-weighted, consistent-hash)",
                "--admin HOST:PORT|off", "(default 127.0.0.1:9090", "--metrics HOST:PORT|off", "(default 127.0.0.1:9404",
                "-h, --help")) {
            assertTrue(usage.contains(text), text);
        }
    }

    @Test
    void helpIsAskedForWhateverElseTheLineHolds() throws ConfigException {
        assertTrue(QuickMode.FLAGS.parse(List.of("--to", "x", "--help")).help());
        assertTrue(QuickMode.FLAGS.parse(List.of("--frob", "-h")).help());
    }

    @Test
    void theAdminApiIsOnByDefaultAndCanMoveOrBeTurnedOff() throws ConfigException {
        KodiakConfig c = QuickMode.fromArgs(java.util.List.of("--to", "127.0.0.1:9001"));
        assertEquals(AdminConfig.DEFAULT_LISTEN, c.admin().listen());
        assertEquals(null, c.admin().stateFile(), "quick mode has no file to put a state file next to");
        assertEquals(9911, QuickMode.fromArgs(java.util.List.of("--to", "127.0.0.1:9001", "--admin", "127.0.0.1:9911"))
                .admin().listen().getPort());
        assertEquals(false, QuickMode.fromArgs(java.util.List.of("--to", "127.0.0.1:9001", "--admin", "off")).admin().enabled());
        assertRejected(java.util.List.of("--to", "127.0.0.1:9001", "--admin", "127.0.0.1:8080"),
                "--admin: 127.0.0.1:8080 is also the --listen address: the admin API needs its own");
    }

    @Test
    void metricsAreServedOnLoopback9404ByDefaultAndCanMoveOrBeTurnedOff() throws ConfigException {
        KodiakConfig c = QuickMode.fromArgs(java.util.List.of("--to", "127.0.0.1:9001"));
        assertEquals(MetricsConfig.DEFAULT, c.metrics());
        assertEquals(9405, QuickMode.fromArgs(java.util.List.of("--to", "127.0.0.1:9001", "--metrics", "127.0.0.1:9405"))
                .metrics().listen().getPort());
        assertEquals(MetricsConfig.OFF, QuickMode.fromArgs(java.util.List.of("--to", "127.0.0.1:9001", "--metrics", "off")).metrics());
        assertRejected(java.util.List.of("--to", "127.0.0.1:9001", "--metrics", "127.0.0.1:8080"),
                "--metrics: 127.0.0.1:8080 is also the --listen address: /metrics needs its own");
        assertRejected(java.util.List.of("--to", "127.0.0.1:9001", "--metrics", "127.0.0.1:9090"),
                "--metrics: 127.0.0.1:9090 is also the --admin address: /metrics needs its own");
        assertRejected(java.util.List.of("--to", "127.0.0.1:9001", "--metrics", "soon"),
                "--metrics: \"soon\" is not host:port (the port is missing)");
    }

    @Test
    void accessLogTakesAPathStdoutOrOffAndResolvesARelativePathFromTheWorkingDirectory() throws Exception {
        java.util.List<String> to = java.util.List.of("--to", "127.0.0.1:9001");
        assertNull(QuickMode.fromArgs(to).listeners().get(0).accessLog(), "off by default");
        assertNull(QuickMode.fromArgs(concat(to, "--access-log", "off")).listeners().get(0).accessLog());
        assertEquals(AccessLogConfig.STDOUT, QuickMode.fromArgs(concat(to, "--access-log", "stdout")).listeners().get(0).accessLog());
        Path log = dir.resolve("quick.log");
        assertEquals(log, QuickMode.fromArgs(concat(to, "--access-log=" + log)).listeners().get(0).accessLog().path());
        assertEquals(Path.of("").toAbsolutePath().resolve("target/quick.log"),
                QuickMode.fromArgs(concat(to, "--access-log", "target/quick.log")).listeners().get(0).accessLog().path());
        ConfigException e = assertThrows(ConfigException.class,
                () -> QuickMode.fromArgs(concat(to, "--access-log", dir.resolve("nope/x.log").toString())));
        assertEquals("--access-log: the directory " + dir.resolve("nope") + " does not exist (Kodiak does not create it;"
                + " create it, writable by the user Kodiak runs as)", e.getMessage());
        e = assertThrows(ConfigException.class, () -> QuickMode.fromArgs(concat(to, "--access-log")));
        assertEquals("--access-log: needs a value (--access-log PATH|stdout|off)", e.getMessage());
        assertTrue(QuickMode.FLAGS.usage().contains("--access-log PATH|stdout|off"), QuickMode.FLAGS.usage());
    }

    @Test
    void tlsCertAndKeyServeHttpsAndComeTogether() throws Exception {
        io.kodiak.testing.Tools.require("openssl", "version", "openssl");
        io.kodiak.tls.TestCerts certs = new io.kodiak.tls.TestCerts(dir);
        Path[] leaf = certs.leaf("ec", "example.test");
        List<String> to = List.of("--to", "127.0.0.1:9001");
        assertNull(QuickMode.fromArgs(to).listeners().get(0).tls());
        ListenerConfig l = QuickMode.fromArgs(concat(to, "--tls-cert", leaf[0].toString(), "--tls-key", leaf[1].toString()))
                .listeners().get(0);
        assertEquals(List.of("example.test"), l.tls().certificates().get(0).names());
        assertEquals("https", l.scheme());
        ConfigException e = assertThrows(ConfigException.class, () -> QuickMode.fromArgs(concat(to, "--tls-cert", leaf[0].toString())));
        assertEquals("--tls-cert: needs --tls-key too", e.getMessage());
        e = assertThrows(ConfigException.class, () -> QuickMode.fromArgs(concat(to, "--tls-key", leaf[1].toString())));
        assertEquals("--tls-key: needs --tls-cert too", e.getMessage());
        e = assertThrows(ConfigException.class, () -> QuickMode.fromArgs(concat(to, "--tls-cert", leaf[0].toString(),
                "--tls-key", leaf[0].toString())));
        assertEquals("--tls-key: " + leaf[0] + ": no private key in it (expected -----BEGIN PRIVATE KEY-----)", e.getMessage());
        assertTrue(QuickMode.FLAGS.usage().contains("--tls-cert FILE"), QuickMode.FLAGS.usage());
    }

    @Test
    void accessLogFormatIsCombinedJsonOrATemplateAndNeedsALog() throws Exception {
        java.util.List<String> to = java.util.List.of("--to", "127.0.0.1:9001", "--access-log", "stdout");
        assertEquals("combined", QuickMode.fromArgs(to).listeners().get(0).accessLog().format());
        assertEquals("json", QuickMode.fromArgs(concat(to, "--access-log-format", "json")).listeners().get(0).accessLog().format());
        assertEquals("$status $request_id", QuickMode.fromArgs(concat(to, "--access-log-format", "$status $request_id"))
                .listeners().get(0).accessLog().format());
        ConfigException e = assertThrows(ConfigException.class,
                () -> QuickMode.fromArgs(concat(to, "--access-log-format", "$no_such_var")));
        assertTrue(e.getMessage().startsWith("--access-log-format: "), e.getMessage());
        e = assertThrows(ConfigException.class, () -> QuickMode.fromArgs(java.util.List.of("--to", "127.0.0.1:9001",
                "--access-log-format", "json")));
        assertEquals("--access-log-format: needs --access-log PATH|stdout|syslog://...", e.getMessage());
    }

    private static java.util.List<String> concat(java.util.List<String> a, String... b) {
        java.util.List<String> all = new java.util.ArrayList<>(a);
        all.addAll(java.util.List.of(b));
        return all;
    }
}
