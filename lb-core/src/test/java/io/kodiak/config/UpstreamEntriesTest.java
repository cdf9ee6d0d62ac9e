package io.kodiak.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static io.kodiak.config.ConfigLoaderRejectionTest.assertRejected;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The upstream entries that discovery added: {@code resolve: true}, {@code service:},
 * {@code kubernetes:} and {@code unix:/path}, what each becomes, and every rejection with its
 * {@code FILE:LINE: key.path: problem} text.
 */
class UpstreamEntriesTest {
    /** One pool named web; %s is its upstream entries, one per line, indented by six. */
    private static final String WEB = """
            listeners: [{address: 127.0.0.1:8080}]
            pools:
              web:
                upstreams:
            %s
            """;
    private static final Path FILE = Path.of("kodiak.yaml");

    @TempDir
    Path dir;

    private static PoolConfig web(String... entries) throws ConfigException {
        return ConfigLoader.parse(WEB.formatted(lines(entries)), FILE).pools().get("web");
    }

    private static String lines(String... entries) {
        StringBuilder sb = new StringBuilder();
        for (String e : entries) {
            sb.append(sb.length() == 0 ? "" : "\n").append("      - ").append(e);
        }
        return sb.toString();
    }

    /** Entries start at line 5. */
    private static void rejected(String expected, String... entries) {
        assertRejected(WEB.formatted(lines(entries)), "kodiak.yaml:" + expected);
    }

    @Test
    void resolveTrueMakesADnsSourceInsteadOfAnUpstream() throws Exception {
        PoolConfig p = web("{address: app.internal:8000, resolve: true}", "127.0.0.1:9001");
        assertEquals(List.of(new UpstreamConfig("127.0.0.1:9001", "127.0.0.1", 9001, 1)), p.upstreams());
        assertEquals(List.of(new DnsSource("app.internal:8000", "app.internal", 8000, false, "default", 1, 0)), p.sources());
        assertEquals("dns app.internal:8000", p.sources().get(0).id());
    }

    @Test
    void aDnsSourceTakesNameWeightMaxConnectionsAndResolver() throws Exception {
        String yaml = """
                resolvers:
                  local: {nameservers: ["127.0.0.1:5353"]}
                listeners: [{address: 127.0.0.1:8080}]
                pools:
                  web:
                    max-connections: 7
                    upstreams:
                      - {address: "app.internal:8000", resolve: true, resolver: local, name: app, weight: 2, max-connections: 4}
                      - {address: "api.internal:8000", resolve: true}
                """;
        PoolConfig p = ConfigLoader.parse(yaml, FILE).pools().get("web");
        assertEquals(List.of(new DnsSource("app", "app.internal", 8000, false, "local", 2, 4),
                new DnsSource("api.internal:8000", "api.internal", 8000, false, "default", 1, 7)), p.sources());
        assertTrue(p.upstreams().isEmpty(), "a pool may be all sources");
    }

    @Test
    void resolveFalseIsTheListedUpstreamOfBefore() throws Exception {
        PoolConfig p = web("{address: app.internal:8000, resolve: false}");
        assertEquals(List.of(new UpstreamConfig("app.internal:8000", "app.internal", 8000, 1)), p.upstreams());
        assertTrue(p.sources().isEmpty());
    }

    @Test
    void serviceIsAnSrvSourceWhoseRecordsGiveWeightsAndPorts() throws Exception {
        PoolConfig p = web("{service: _http._tcp.app.internal}", "{service: _api._tcp.app.internal, resolve: true,"
                + " name: api, max-connections: 3}");
        assertEquals(List.of(new DnsSource("_http._tcp.app.internal", "_http._tcp.app.internal", 0, true, "default", 1, 0),
                new DnsSource("api", "_api._tcp.app.internal", 0, true, "default", 1, 3)), p.sources());
        assertEquals("dns srv _http._tcp.app.internal", p.sources().get(0).id());
    }

    @Test
    void kubernetesIsAnEndpointSliceSource() throws Exception {
        PoolConfig p = web("{kubernetes: {service: web, namespace: shop, port: http}, weight: 1, max-connections: 4}",
                "{kubernetes: {service: api, port: 8000}, name: backend, weight: 3}",
                "{kubernetes: {service: other}}");
        assertEquals(List.of(new KubernetesSource("web", "shop", "web", "http", 1, 4),
                new KubernetesSource("backend", null, "api", "8000", 3, 0),
                new KubernetesSource("other", null, "other", null, 1, 0)), p.sources());
        assertEquals("kubernetes shop/web:http", p.sources().get(0).id());
    }

    @Test
    void unixSocketsAreListedUpstreamsNamedByTheirFile() throws Exception {
        PoolConfig p = web("unix:/run/gunicorn.sock", "{address: \"unix:/run/other/app.sock\", name: g, weight: 2}");
        assertEquals(List.of(new UpstreamConfig("unix:gunicorn.sock", "localhost", 0, 1, 0, null, null, "/run/gunicorn.sock", 0),
                new UpstreamConfig("g", "localhost", 0, 2, 0, null, null, "/run/other/app.sock", 0)), p.upstreams());
        assertEquals("unix:/run/gunicorn.sock", p.upstreams().get(0).address());
        assertNull(p.upstreams().get(0).unresolvable(), "nothing to resolve: a reload does not look it up");
    }

    @Test
    void everyFormTogetherInOnePool() throws Exception {
        PoolConfig p = web("127.0.0.1:9001", "unix:/run/g.sock", "{address: app:8000, resolve: true}",
                "{service: _http._tcp.app}", "{kubernetes: {service: web}}");
        assertEquals(2, p.upstreams().size());
        assertEquals(List.of("dns app:8000", "dns srv _http._tcp.app", "kubernetes web"),
                p.sources().stream().map(UpstreamSource::id).toList());
    }

    @Test
    void resolveRejections() {
        rejected("5: pools.web.upstreams[0].resolve: \"10.0.0.1\" is an IP address: nothing to resolve"
                + " (resolve: true follows a host name)", "{address: 10.0.0.1:8000, resolve: true}");
        rejected("5: pools.web.upstreams[0].resolve: \"::1\" is an IP address: nothing to resolve"
                + " (resolve: true follows a host name)", "{address: \"[::1]:8000\", resolve: true}");
        rejected("5: pools.web.upstreams[0].resolve: expected true or false, got \"yes\"",
                "{address: app:8000, resolve: yes}");
        rejected("5: pools.web.upstreams[0].resolver: only applies with resolve: true (or to a service: entry)",
                "{address: app:8000, resolver: default}");
        rejected("5: pools.web.upstreams[0].resolver: \"other\" is not a resolver (defined: default; add it under resolvers:)",
                "{address: app:8000, resolve: true, resolver: other}");
        rejected("5: pools.web.upstreams[0].address: \"app\" is not host:port (the port is missing)",
                "{address: app, resolve: true}");
    }

    @Test
    void serviceRejections() {
        rejected("5: pools.web.upstreams[0].service: cannot be given with address (an entry is one of address, service or kubernetes)",
                "{address: app:8000, service: _http._tcp.app}");
        rejected("5: pools.web.upstreams[0].resolve: a service: entry is always resolved (an SRV record); leave resolve out",
                "{service: _http._tcp.app, resolve: false}");
        rejected("5: pools.web.upstreams[0].weight: does not apply to a service: entry (its SRV records give each target's weight)",
                "{service: _http._tcp.app, weight: 2}");
        rejected("5: pools.web.upstreams[0].service: \"app.internal\" is not an SRV name (_SERVICE._PROTO.NAME,"
                + " e.g. _http._tcp.app.internal)", "{service: app.internal}");
        rejected("5: pools.web.upstreams[0].service: \"_http._tcp.a b\" is not an SRV name"
                + " (\"_http._tcp.a b\" is not a valid host name)", "{service: \"_http._tcp.a b\"}");
        rejected("5: pools.web.upstreams[0].resolver: \"x\" is not a resolver (defined: default; add it under resolvers:)",
                "{service: _http._tcp.app, resolver: x}");
    }

    @Test
    void kubernetesRejections() {
        rejected("5: pools.web.upstreams[0].kubernetes.service: required key is missing", "{kubernetes: {namespace: shop}}");
        rejected("5: pools.web.upstreams[0].kubernetes.service: \"Web\" is not a Service name (1-63 lower-case letters,"
                + " digits and '-', starting with a letter)", "{kubernetes: {service: Web}}");
        rejected("5: pools.web.upstreams[0].kubernetes.namespace: \"shop_1\" is not a namespace (1-63 lower-case letters,"
                + " digits and '-')", "{kubernetes: {service: web, namespace: shop_1}}");
        rejected("5: pools.web.upstreams[0].kubernetes.port: \"70000\" is not a port (1-65535)",
                "{kubernetes: {service: web, port: 70000}}");
        rejected("5: pools.web.upstreams[0].kubernetes.port: \"HTTP\" is not a port name (1-15 lower-case letters,"
                + " digits and '-', at least one letter) or number", "{kubernetes: {service: web, port: HTTP}}");
        rejected("5: pools.web.upstreams[0].kubernetes.ports: unknown key; did you mean \"port\"? (allowed: service, namespace, port)",
                "{kubernetes: {service: web, ports: http}}");
        rejected("5: pools.web.upstreams[0].resolve: does not apply to a kubernetes: entry (its EndpointSlices give the addresses)",
                "{kubernetes: {service: web}, resolve: true}");
        rejected("5: pools.web.upstreams[0].kubernetes: cannot be given with address (an entry is one of address, service or kubernetes)",
                "{address: app:80, kubernetes: {service: web}}");
        rejected("5: pools.web.upstreams[0].kubernetes: expected a mapping, got \"web\"", "{kubernetes: web}");
    }

    @Test
    void unixRejections() {
        rejected("5: pools.web.upstreams[0]: \"unix:run/g.sock\": the socket path must be absolute (e.g. unix:/run/gunicorn.sock)",
                "unix:run/g.sock");
        rejected("5: pools.web.upstreams[0].address: \"unix:\" has no socket path (e.g. unix:/run/gunicorn.sock)",
                "{address: \"unix:\"}");
        rejected("5: pools.web.upstreams[0]: \"unix://run/g.sock\" is not unix:/PATH (one slash after unix:, as nginx writes it:"
                + " unix:/run/gunicorn.sock)", "unix://run/g.sock");
        String longPath = "/tmp/" + "d".repeat(103);
        rejected("5: pools.web.upstreams[0]: \"unix:" + longPath + "\": the socket path is 108 bytes; a Unix socket's path"
                + " holds at most 107", "unix:" + longPath);
        rejected("5: pools.web.upstreams[0]: \"unix:/run/g\\x00.sock\": the socket path must not contain NUL",
                "\"unix:/run/g\\0.sock\"");
        rejected("5: pools.web.upstreams[0].resolve: does not apply to a Unix socket (nothing to resolve)",
                "{address: \"unix:/run/g.sock\", resolve: true}");
        rejected("6: pools.web.upstreams[1]: upstream name \"unix:g.sock\" is already used by pools.web.upstreams[0]"
                + " (line 5); give one of them a distinct name", "unix:/run/a/g.sock", "unix:/run/b/g.sock");
        rejected("5: pools.web.upstreams[0]: \"unix:g sock\" cannot serve as the default name (use 1-100 letters,"
                + " digits and . _ - : [ ]); set name:", "\"unix:/run/g sock\"");
    }

    @Test
    void tlsCannotReachAUnixSocket() {
        assertRejected("""
                listeners: [{address: 127.0.0.1:8080}]
                pools:
                  web:
                    tls: {verify: false}
                    upstreams:
                      - 127.0.0.1:9001
                      - unix:/run/g.sock
                """, "kodiak.yaml:4: pools.web.tls: TLS to a Unix socket is not supported (pools.web.upstreams[1] at line 7"
                + " is one); put the TLS upstreams in a pool of their own");
    }

    @Test
    void sourcesAndNamesAreUniqueWithinAPool() {
        rejected("6: pools.web.upstreams[1].address: \"dns app:8000\" is already listed at pools.web.upstreams[0].address"
                + " (line 5); list each source once", "{address: app:8000, resolve: true}",
                "{address: app:8000, resolve: true, name: other}");
        rejected("6: pools.web.upstreams[1].service: \"dns srv _h._tcp.app\" is already listed at pools.web.upstreams[0].service"
                + " (line 5); list each source once", "{service: _h._tcp.app}", "{service: _h._tcp.app, name: b}");
        rejected("6: pools.web.upstreams[1].kubernetes: \"kubernetes shop/web\" is already listed at"
                + " pools.web.upstreams[0].kubernetes (line 5); list each source once",
                "{kubernetes: {service: web, namespace: shop}}", "{kubernetes: {service: web, namespace: shop}, name: b}");
        // Entry names prefix their upstreams' names (web[10.0.0.5:8000]), so two entries cannot share one.
        rejected("6: pools.web.upstreams[1].kubernetes.service: upstream name \"web\" is already used by"
                + " pools.web.upstreams[0].kubernetes.service (line 5); give one of them a distinct name",
                "{kubernetes: {service: web, namespace: a}}", "{kubernetes: {service: web, namespace: b}}");
        rejected("6: pools.web.upstreams[1].name: upstream name \"app\" is already used by pools.web.upstreams[0].name"
                + " (line 5); give one of them a distinct name",
                "{address: a:80, resolve: true, name: app}", "{service: _h._tcp.b, name: app}");
    }

    @Test
    void anEntryNeedsAnAddressAServiceOrAKubernetesService() {
        rejected("5: pools.web.upstreams[0].address: required key is missing (or service: for an SRV record,"
                + " kubernetes: for a Service)", "{weight: 2}");
        rejected("5: pools.web.upstreams[0].services: unknown key; did you mean \"service\"? (allowed: address, name, weight,"
                + " max-connections, resolve, resolver, service, kubernetes)", "{services: _h._tcp.b}");
    }
}
