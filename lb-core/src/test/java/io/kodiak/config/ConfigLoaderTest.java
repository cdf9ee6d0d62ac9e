package io.kodiak.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Valid files: every key honoured, defaults filled in, the shipped example loads. */
class ConfigLoaderTest {
    @TempDir
    Path dir;

    @Test
    void everyKeyIsHonoured() throws Exception {
        Files.createDirectories(dir.resolve("errors"));
        Files.writeString(dir.resolve("errors/503.html"), "<p>down</p>");
        Files.createDirectories(dir.resolve("spool"));
        Path file = dir.resolve("kodiak.yaml");
        Files.writeString(file, """
                listeners:
                  - name: public
                    address: 127.0.0.1:8080
                    routes:
                      - host: API.Example.com
                        path-prefix: /v1/
                        pool: api
                      - pool: web
                    timeouts: {request-header: 5s, keep-alive: 2m, body: 1500ms, send: 1h}
                    limits: {max-request-line: 4KiB, max-header-size: 16k, max-headers: 50, max-connections: 200}
                    forwarded-headers: {x-forwarded-for: false, x-forwarded-proto: false, x-forwarded-host: false, forwarded: true}
                    server-header: "Kodiak test"
                  - address: "[::1]:0"
                    server-header: pass
                    underscores-in-headers: pass
                    routes: [{pool: web}]
                  - address: :0
                    routes: [{pool: api}]
                pools:
                  web:
                    strategy: round-robin
                    upstreams:
                      - 127.0.0.1:9001
                      - {address: 127.0.0.1:9002, weight: 2, name: web-2}
                      - "[::1]:9003"
                      - app-3.internal:9004
                    timeouts: {connect: 1s, response: 30s, read: 45s, send: 15s}
                    connections: {max-idle: 0, idle-timeout: 900ms}
                    buffering: {request: false, response: false, memory: 8KiB, max-request-body: 2MB, max-temp-file: 3G, temp-dir: spool}
                    error-page: {status: 502, content-type: "text/plain", file: errors/503.html}
                  api:
                    upstreams: [127.0.0.1:9101]
                """);

        KodiakConfig config = ConfigLoader.load(file);

        assertEquals(file, config.source());
        assertEquals(List.of("public", "[::1]:0", ":0"), config.listeners().stream().map(ListenerConfig::name).toList());
        ListenerConfig pub = config.listeners().get(0);
        assertEquals(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 8080), pub.address());
        assertEquals(List.of(new RouteConfig("api.example.com", "/v1/", "api"), new RouteConfig(null, null, "web")),
                pub.routes());
        assertEquals(new ClientTimeouts(Duration.ofSeconds(5), Duration.ofMinutes(2), Duration.ofMillis(1500),
                Duration.ofHours(1)), pub.timeouts());
        assertEquals(new ClientLimits(4096, 16384, 50, 200), pub.limits());
        assertEquals(new ForwardedHeaders(false, false, false, true), pub.forwarded());
        assertEquals(new ServerHeaderPolicy(ServerHeaderPolicy.Mode.SET, "Kodiak test"), pub.serverHeader());
        assertFalse(pub.underscoresInHeaders(), "underscored fields are dropped by default");

        ListenerConfig v6 = config.listeners().get(1);
        assertEquals(new InetSocketAddress(InetAddress.getByName("::1"), 0), v6.address());
        assertEquals(new ServerHeaderPolicy(ServerHeaderPolicy.Mode.PASS, null), v6.serverHeader());
        assertTrue(v6.underscoresInHeaders());
        ListenerConfig any = config.listeners().get(2);
        assertTrue(any.address().getAddress().isAnyLocalAddress());
        assertEquals(4, any.address().getAddress().getAddress().length, ":port means 0.0.0.0");

        assertEquals(List.of("web", "api"), List.copyOf(config.pools().keySet()));
        PoolConfig web = config.pools().get("web");
        assertEquals("web", web.name());
        assertEquals(PoolConfig.Strategy.ROUND_ROBIN, web.strategy());
        assertEquals(List.of(
                new UpstreamConfig("127.0.0.1:9001", "127.0.0.1", 9001, 1),
                new UpstreamConfig("web-2", "127.0.0.1", 9002, 2),
                new UpstreamConfig("[::1]:9003", "::1", 9003, 1),
                new UpstreamConfig("app-3.internal:9004", "app-3.internal", 9004, 1)), web.upstreams());
        assertEquals(new UpstreamTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(30), Duration.ofSeconds(45),
                Duration.ofSeconds(15)), web.timeouts());
        assertEquals(new ConnectionPoolConfig(0, Duration.ofMillis(900)), web.connections());
        assertEquals(new BufferingConfig(false, false, 8192, 2L << 20, 3L << 30, dir.resolve("spool")),
                web.buffering());
        ErrorPageConfig page = web.errorPage();
        assertEquals(502, page.status());
        assertEquals("text/plain", page.contentType());
        assertEquals(dir.resolve("errors/503.html"), page.file());
        assertArrayEquals("<p>down</p>".getBytes(StandardCharsets.UTF_8), page.body());
    }

    @Test
    void missingSectionsTakeTheDefaults() throws Exception {
        KodiakConfig config = ConfigLoader.parse("""
                listeners:
                  - address: 127.0.0.1:0
                pools:
                  only:
                    upstreams: [127.0.0.1:9001]
                """, Path.of("kodiak.yaml"));

        ListenerConfig listener = config.listeners().get(0);
        assertEquals("127.0.0.1:0", listener.name());
        assertEquals(List.of(new RouteConfig(null, null, "only")), listener.routes(),
                "one pool and no routes: a catch-all route to it");
        assertEquals(ClientTimeouts.DEFAULTS, listener.timeouts());
        assertEquals(ClientLimits.DEFAULTS, listener.limits());
        assertEquals(ForwardedHeaders.DEFAULTS, listener.forwarded());
        assertEquals(ServerHeaderPolicy.DEFAULTS, listener.serverHeader());
        PoolConfig pool = config.pools().get("only");
        assertEquals(PoolConfig.Strategy.ROUND_ROBIN, pool.strategy());
        assertEquals(UpstreamTimeouts.DEFAULTS, pool.timeouts());
        assertEquals(ConnectionPoolConfig.DEFAULTS, pool.connections());
        assertEquals(BufferingConfig.defaults(), pool.buffering());
        assertNull(pool.errorPage());
    }

    @Test
    void partialSectionsKeepTheOtherDefaults() throws Exception {
        KodiakConfig config = parseWith("""
                listeners:
                  - address: 127.0.0.1:0
                    timeouts: {keep-alive: 5s}
                    limits: {max-headers: 20}
                    forwarded-headers: {forwarded: true}
                pools:
                  p:
                    upstreams: [127.0.0.1:9001]
                    timeouts: {connect: 250ms}
                    connections: {max-idle: 4}
                    buffering: {response: false}
                    error-page: {file: page.html}
                """, dir.resolve("kodiak.yaml"), "page.html");

        ListenerConfig l = config.listeners().get(0);
        ClientTimeouts ct = ClientTimeouts.DEFAULTS;
        assertEquals(new ClientTimeouts(ct.requestHeader(), Duration.ofSeconds(5), ct.body(), ct.send()), l.timeouts());
        ClientLimits cl = ClientLimits.DEFAULTS;
        assertEquals(new ClientLimits(cl.maxRequestLine(), cl.maxHeaderBytes(), 20, cl.maxConnections()), l.limits());
        assertEquals(new ForwardedHeaders(true, true, true, true), l.forwarded());
        PoolConfig p = config.pools().get("p");
        UpstreamTimeouts ut = UpstreamTimeouts.DEFAULTS;
        assertEquals(new UpstreamTimeouts(Duration.ofMillis(250), ut.response(), ut.read(), ut.send()), p.timeouts());
        assertEquals(new ConnectionPoolConfig(4, ConnectionPoolConfig.DEFAULTS.idleTimeout()), p.connections());
        BufferingConfig b = BufferingConfig.defaults();
        assertEquals(new BufferingConfig(true, false, b.memory(), b.maxRequestBody(), b.maxTempFile(), b.tempDir()),
                p.buffering());
        assertEquals(PoolReader.DEFAULT_ERROR_STATUS, p.errorPage().status());
        assertEquals(PoolReader.DEFAULT_ERROR_CONTENT_TYPE, p.errorPage().contentType());
    }

    @Test
    void acceptsAliasesAndAnExplicitDocumentMarker() throws Exception {
        KodiakConfig config = ConfigLoader.parse("""
                ---
                listeners:
                  - address: 127.0.0.1:0
                    routes: [{pool: a}]
                pools:
                  a:
                    upstreams: [127.0.0.1:9001]
                    timeouts: &slow {response: 5m}
                  b:
                    upstreams: [127.0.0.1:9002]
                    timeouts: *slow
                """, Path.of("kodiak.yaml"));

        assertEquals(Duration.ofMinutes(5), config.pools().get("b").timeouts().response());
    }

    @Test
    void routeHostsAreLowerCasedLoseATrailingDotAndMayBeIpLiterals() throws Exception {
        KodiakConfig config = ConfigLoader.parse("""
                listeners:
                  - address: 127.0.0.1:0
                    routes:
                      - {host: "[FE80::1]", pool: p}
                      - {host: 10.0.0.1, pool: p}
                      - {host: WWW.Example.COM., path-prefix: /, pool: p}
                pools:
                  p: {upstreams: [127.0.0.1:9001]}
                """, Path.of("kodiak.yaml"));

        assertEquals(List.of(new RouteConfig("[fe80::1]", null, "p"), new RouteConfig("10.0.0.1", null, "p"),
                new RouteConfig("www.example.com", "/", "p")), config.listeners().get(0).routes());
    }

    @Test
    void theShippedExampleLoads() throws Exception {
        Path example = Path.of("../examples/kodiak.yaml");

        KodiakConfig config = ConfigLoader.load(example);

        assertEquals(List.of("public", "127.0.0.1:8081"),
                config.listeners().stream().map(ListenerConfig::name).toList());
        assertEquals(List.of("web", "api"), List.copyOf(config.pools().keySet()));
        ErrorPageConfig page = config.pools().get("web").errorPage();
        assertEquals(example.toAbsolutePath().getParent().resolve("errors/503.html").normalize(), page.file());
        assertTrue(page.body().length > 0);
        assertEquals(3, config.pools().get("web").upstreams().size());
    }

    @Test
    void aRelativeFileNameResolvesPathsAgainstTheWorkingDirectory() throws Exception {
        Path name = Path.of("kodiak.yaml");
        KodiakConfig config = ConfigLoader.parse("""
                listeners: [{address: "127.0.0.1:0"}]
                pools:
                  p:
                    upstreams: [127.0.0.1:9001]
                    buffering: {temp-dir: .}
                """, name);

        assertEquals(name.toAbsolutePath().getParent(), config.pools().get("p").buffering().tempDir());
        assertEquals(name, config.source());
    }

    /** Writes an empty file for each of {@code files} next to {@code name}, then parses. */
    private static KodiakConfig parseWith(String yaml, Path name, String... files) throws IOException,
            ConfigException {
        for (String f : files) {
            Files.writeString(name.resolveSibling(f), "page");
        }
        return ConfigLoader.parse(yaml, name);
    }

    @Test
    void withoutPoolsEveryRouteAnswersByItself() throws Exception {
        Files.createDirectories(dir.resolve("site"));
        KodiakConfig c = ConfigLoader.parse("""
                listeners:
                  - address: 127.0.0.1:0
                    routes:
                      - {path-prefix: /static/, static: site}
                      - {path: /health, respond: 200}
                      - {redirect: https://example.com/}
                """, dir.resolve("kodiak.yaml"));
        assertTrue(c.pools().isEmpty());
        assertEquals(3, c.listeners().get(0).routes().size());
        assertNull(c.listeners().get(0).routes().get(0).pool());

        ConfigException noRoutes = org.junit.jupiter.api.Assertions.assertThrows(ConfigException.class,
                () -> ConfigLoader.parse("listeners:\n  - address: 127.0.0.1:0\n", dir.resolve("kodiak.yaml")));
        assertEquals("kodiak.yaml:2: listeners[0].routes: required: there are no pools, so every route must answer"
                + " by itself (respond, redirect, static)", noRoutes.getMessage().replace(dir + "/", ""));
    }
}
