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
                "--timeout: unknown flag (flags are --to, --resolver, --listen, --strategy, --admin, --metrics, --access-log, --access-log-format, --tls-cert, --tls-key, -h/--help)");
        assertRejected(List.of("--to", "127.0.0.1:9001", "extra"),
                "\"extra\": unexpected argument (flags are --to, --resolver, --listen, --strategy, --admin, --metrics, --access-log, --access-log-format, --tls-cert, --tls-key, -h/--help)");
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

    @Test
    void aHostNameIsFollowedThroughDnsAndLiteralsStayListed() throws Exception {
        PoolConfig pool = QuickMode.fromArgs(List.of("--to", "app.test:8000,127.0.0.1:9001,[::1]:9002,localhost:9003"))
                .pools().get("default");
        assertEquals(List.of(new UpstreamConfig("127.0.0.1:9001", "127.0.0.1", 9001, 1),
                new UpstreamConfig("[::1]:9002", "::1", 9002, 1),
                new UpstreamConfig("localhost:9003", "localhost", 9003, 1)), pool.upstreams(),
                "localhost is /etc/hosts' and never moves: it stays a listed upstream");
        assertEquals(List.of(new DnsSource("app.test:8000", "app.test", 8000, false, "default", 1, 0)), pool.sources());
    }

    @Test
    void srvAndUnixEntries() throws Exception {
        KodiakConfig c = QuickMode.fromArgs(List.of("--to", "srv:_http._tcp.app.test, unix:/run/gunicorn.sock"));
        PoolConfig pool = c.pools().get("default");
        assertEquals(List.of(new DnsSource("_http._tcp.app.test", "_http._tcp.app.test", 0, true, "default", 1, 0)),
                pool.sources());
        assertEquals(List.of(new UpstreamConfig("unix:gunicorn.sock", "localhost", 0, 1, 0, null, null, "/run/gunicorn.sock", 0)),
                pool.upstreams());
        assertEquals(java.util.Map.of("default", io.kodiak.discovery.DnsSettings.DEFAULTS), c.resolvers(),
                "without --resolver: the system's");
    }

    @Test
    void resolverNamesTheDefaultResolversNameservers() throws Exception {
        KodiakConfig c = QuickMode.fromArgs(List.of("--to", "app.test:8000", "--resolver", "127.0.0.1:5353, [::1]:5354,10.0.0.2"));
        assertEquals(List.of(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 5353),
                new InetSocketAddress(InetAddress.getByName("::1"), 5354),
                new InetSocketAddress(InetAddress.getByName("10.0.0.2"), 53)), c.resolvers().get("default").nameservers());
        assertEquals(io.kodiak.discovery.DnsSettings.DEFAULTS.timeout(), c.resolvers().get("default").timeout());
        assertTrue(QuickMode.FLAGS.usage().contains("--resolver IP:PORT,..."), QuickMode.FLAGS.usage());
        assertTrue(QuickMode.FLAGS.usage().contains("srv:_SERVICE._PROTO.NAME"), QuickMode.FLAGS.usage());
    }

    @Test
    void discoveryRejections() {
        assertRejected(List.of("--to", "srv:x"), "--to: \"srv:x\" is not srv:_SERVICE._PROTO.NAME (e.g. srv:_http._tcp.app.internal)");
        assertRejected(List.of("--to", "srv:_http._tcp"),
                "--to: \"srv:_http._tcp\" is not srv:_SERVICE._PROTO.NAME (e.g. srv:_http._tcp.app.internal)");
        assertRejected(List.of("--to", "srv:_h._tcp.a,srv:_h._tcp.a"), "--to: \"srv:_h._tcp.a\" is listed twice");
        assertRejected(List.of("--to", "app.test:80,app.test:80"), "--to: \"app.test:80\" is listed twice");
        assertRejected(List.of("--to", "unix:run/g.sock"),
                "--to: \"unix:run/g.sock\": the socket path must be absolute (e.g. unix:/run/gunicorn.sock)");
        assertRejected(List.of("--to", "unix:/a/g.sock,unix:/b/g.sock"),
                "--to: \"unix:/a/g.sock\" and \"unix:/b/g.sock\" would both be named unix:g.sock (a configuration file can name them)");
        assertRejected(List.of("--to", "app.test:80", "--resolver", "dns.test:53"),
                "--resolver: \"dns.test:53\" is not an IP address (a nameserver named by a name would need DNS to find DNS)");
        assertRejected(List.of("--to", "app.test:80", "--resolver", "127.0.0.1:5353,,10.0.0.2"),
                "--resolver: \"127.0.0.1:5353,,10.0.0.2\" has an empty entry");
        assertRejected(List.of("--to", "app.test:80", "--resolver", "127.0.0.1,127.0.0.1:53"),
                "--resolver: 127.0.0.1:53 is listed twice");
        assertRejected(List.of("--to", "127.0.0.1:9001", "--resolver", "127.0.0.1:5353"),
                "--resolver: no --to entry is a name to resolve (--resolver is for --to NAME:PORT and srv: entries;"
                        + " IP addresses and unix: sockets need none)");
    }

    private static java.util.List<String> concat(java.util.List<String> a, String... b) {
        java.util.List<String> all = new java.util.ArrayList<>(a);
        all.addAll(java.util.List.of(b));
        return all;
    }
}
