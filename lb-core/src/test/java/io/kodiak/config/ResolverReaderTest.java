package io.kodiak.config;

import io.kodiak.discovery.DnsSettings;
import io.kodiak.discovery.KubernetesSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static io.kodiak.config.ConfigLoaderRejectionTest.ONE_POOL;
import static io.kodiak.config.ConfigLoaderRejectionTest.assertRejected;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The top-level {@code resolvers:} and {@code kubernetes:} sections, read and rejected. */
class ResolverReaderTest {
    private static final String LISTENER = "listeners: [{address: 127.0.0.1:8080}]\n";
    private static final Path FILE = Path.of("kodiak.yaml");

    @TempDir
    Path dir;

    /** A file whose resolver {@code r} has the keys {@code keys} (a flow mapping's inside); r is at line 2. */
    private static String resolver(String keys) {
        return "resolvers:\n  r: {" + keys + "}\n" + LISTENER + ONE_POOL;
    }

    private static DnsSettings read(String keys) throws ConfigException {
        return ConfigLoader.parse(resolver(keys), FILE).resolvers().get("r");
    }

    @Test
    void withoutTheSectionDefaultIsTheSystemResolver() throws Exception {
        KodiakConfig c = ConfigLoader.parse(LISTENER + ONE_POOL, FILE);
        assertEquals(Map.of("default", DnsSettings.DEFAULTS), c.resolvers());
        assertEquals(KubernetesSettings.DEFAULTS, c.kubernetes());
    }

    @Test
    void everyKeyIsRead() throws Exception {
        DnsSettings r = read("nameservers: ['127.0.0.1:5353', 10.0.0.2, '[::1]:5300', '::2', '[::3]'], timeout: 500ms,"
                + " attempts: 3, min-ttl: 2s, max-ttl: 5s, valid: 10s, hold-nx: forever, hold-obsolete: 0s, ipv4: true, ipv6: false");
        assertEquals(new DnsSettings("r", List.of(ns("127.0.0.1", 5353), ns("10.0.0.2", 53), ns("::1", 5300), ns("::2", 53),
                ns("::3", 53)), Duration.ofMillis(500), 3, Duration.ofSeconds(2), Duration.ofSeconds(5), Duration.ofSeconds(10),
                null, Duration.ZERO, true, false), r);
        assertEquals(Duration.ofSeconds(90), read("hold-nx: 90s").holdNx());
        assertEquals(Duration.ZERO, read("hold-nx: 0s").holdNx(), "0s: an empty answer applies at once");
    }

    @Test
    void keysLeftOutTakeTheDefaults() throws Exception {
        assertEquals(DnsSettings.DEFAULTS.withName("r"), read(""));
        assertEquals(DnsSettings.DEFAULTS.withName("r").withNameservers(List.of(ns("127.0.0.1", 5353))),
                read("nameservers: 127.0.0.1:5353"));
        assertEquals(List.of(), read("nameservers: []").nameservers(), "[]: the system's nameservers");
    }

    @Test
    void defaultMayBeRedefinedAndOthersAddToIt() throws Exception {
        KodiakConfig c = ConfigLoader.parse("""
                resolvers:
                  default: {nameservers: [127.0.0.1:5353]}
                  docker: {nameservers: [127.0.0.11], max-ttl: 5s}
                """ + LISTENER + ONE_POOL, FILE);
        assertEquals(List.of("default", "docker"), List.copyOf(c.resolvers().keySet()));
        assertEquals(List.of(ns("127.0.0.1", 5353)), c.resolvers().get("default").nameservers());
        assertEquals(Duration.ofSeconds(5), c.resolvers().get("docker").maxTtl());
        assertEquals(Map.of("default", DnsSettings.DEFAULTS, "only", DnsSettings.DEFAULTS.withName("only")),
                ConfigLoader.parse("resolvers: {only: {}}\n" + LISTENER + ONE_POOL, FILE).resolvers());
    }

    @Test
    void upstreamEntriesNameDefinedResolvers() throws Exception {
        KodiakConfig c = ConfigLoader.parse("""
                resolvers:
                  local: {nameservers: [127.0.0.1:5353]}
                listeners: [{address: 127.0.0.1:8080}]
                pools:
                  web:
                    upstreams:
                      - {address: app.test:8000, resolve: true, resolver: local}
                      - {service: _http._tcp.app.test, resolver: default}
                """, FILE);
        assertEquals(List.of("local", "default"), c.pools().get("web").sources().stream()
                .map(s -> ((DnsSource) s).resolver()).toList());
        assertRejected("""
                resolvers:
                  local: {nameservers: [127.0.0.1:5353]}
                listeners: [{address: 127.0.0.1:8080}]
                pools:
                  web:
                    upstreams:
                      - {address: app.test:8000, resolve: true, resolver: lokal}
                """, "kodiak.yaml:7: pools.web.upstreams[0].resolver: \"lokal\" is not a resolver (defined: default, local;"
                + " add it under resolvers:)");
    }

    @Test
    void nameserversAreIpAddresses() {
        assertRejected(resolver("nameservers: [dns.example:53]"), "kodiak.yaml:2: resolvers.r.nameservers[0]:"
                + " \"dns.example:53\" is not an IP address (a nameserver named by a name would need DNS to find DNS)");
        assertRejected(resolver("nameservers: [localhost]"), "kodiak.yaml:2: resolvers.r.nameservers[0]:"
                + " \"localhost\" is not an IP address (a nameserver named by a name would need DNS to find DNS)");
        assertRejected(resolver("nameservers: ['127.0.0.1:0']"),
                "kodiak.yaml:2: resolvers.r.nameservers[0]: \"127.0.0.1:0\" is not host:port (port must be 1-65535)");
        assertRejected(resolver("nameservers: ['10.0.0.256']"), "kodiak.yaml:2: resolvers.r.nameservers[0]:"
                + " \"10.0.0.256\" is not an IP address (a nameserver named by a name would need DNS to find DNS)");
        assertRejected(resolver("nameservers: ['[fe::1::2]']"),
                "kodiak.yaml:2: resolvers.r.nameservers[0]: \"[fe::1::2]\" is not an IP address");
        assertRejected(resolver("nameservers: [10.0.0.2, '10.0.0.2:53']"),
                "kodiak.yaml:2: resolvers.r.nameservers[1]: 10.0.0.2:53 is already listed at resolvers.r.nameservers[0] (line 2)");
        assertRejected(resolver("nameservers: [" + "10.0.0.1, ".repeat(17) + "]"),
                "kodiak.yaml:2: resolvers.r.nameservers: 17 nameservers is more than 16");
    }

    @Test
    void boundsAndUnits() {
        assertRejected(resolver("timeout: 50ms"), "kodiak.yaml:2: resolvers.r.timeout: 50ms is out of range (must be 100ms-1m)");
        assertRejected(resolver("timeout: 2m"), "kodiak.yaml:2: resolvers.r.timeout: 2m is out of range (must be 100ms-1m)");
        assertRejected(resolver("timeout: 2"),
                "kodiak.yaml:2: resolvers.r.timeout: \"2\" has no unit (units are required: ms, s, m, h)");
        assertRejected(resolver("attempts: 0"), "kodiak.yaml:2: resolvers.r.attempts: 0 is out of range (must be 1-10)");
        assertRejected(resolver("attempts: 11"), "kodiak.yaml:2: resolvers.r.attempts: 11 is out of range (must be 1-10)");
        assertRejected(resolver("max-ttl: 25h"), "kodiak.yaml:2: resolvers.r.max-ttl: 25h is out of range (must be 100ms-24h)");
        assertRejected(resolver("min-ttl: 10ms"), "kodiak.yaml:2: resolvers.r.min-ttl: 10ms is out of range (must be 100ms-24h)");
        assertRejected(resolver("min-ttl: 0s"), "kodiak.yaml:2: resolvers.r.min-ttl: \"0s\" must be greater than 0");
        assertRejected(resolver("min-ttl: 10m, max-ttl: 5m"),
                "kodiak.yaml:2: resolvers.r.min-ttl: min-ttl (10m) is longer than max-ttl (5m)");
        assertRejected(resolver("min-ttl: 10m"),
                "kodiak.yaml:2: resolvers.r.min-ttl: min-ttl (10m) is longer than max-ttl (5m)");
        assertRejected(resolver("valid: 50ms"), "kodiak.yaml:2: resolvers.r.valid: 50ms is out of range (must be 100ms-24h)");
        assertRejected(resolver("hold-nx: never"),
                "kodiak.yaml:2: resolvers.r.hold-nx: \"never\" is not a duration (use e.g. 500ms, 10s, 2m, 1h)");
        assertRejected(resolver("hold-obsolete: forever"),
                "kodiak.yaml:2: resolvers.r.hold-obsolete: \"forever\" is not a duration (use e.g. 500ms, 10s, 2m, 1h)");
        assertRejected(resolver("ipv4: false, ipv6: false"),
                "kodiak.yaml:2: resolvers.r.ipv6: ipv4 and ipv6 are both false: there would be nothing to ask");
        assertRejected(resolver("nameserver: [10.0.0.2]"), "kodiak.yaml:2: resolvers.r.nameserver: unknown key; did you mean"
                + " \"nameservers\"? (allowed: nameservers, timeout, attempts, min-ttl, max-ttl, valid, hold-nx, hold-obsolete,"
                + " ipv4, ipv6)");
        assertRejected("resolvers:\n  a/b: {}\n" + LISTENER + ONE_POOL,
                "kodiak.yaml:2: resolvers.a/b: \"a/b\" is not a valid name (use 1-100 letters, digits and . _ - : [ ])");
        assertRejected("resolvers: [a]\n" + LISTENER + ONE_POOL, "kodiak.yaml:1: resolvers: expected a mapping, got a list");
    }

    @Test
    void kubernetesSectionIsReadAndItsKubeconfigChecked() throws Exception {
        Path kubeconfig = Files.writeString(dir.resolve("kube.yaml"), "apiVersion: v1\nkind: Config\n");
        Path file = dir.resolve("kodiak.yaml");
        KodiakConfig c = ConfigLoader.parse("kubernetes: {kubeconfig: kube.yaml, context: kind-kind, namespace: shop}\n"
                + LISTENER + ONE_POOL, file);
        assertEquals(new KubernetesSettings(kubeconfig, "kind-kind", "shop"), c.kubernetes());
        KubernetesSettings bare = ConfigLoader.parse("kubernetes: {namespace: shop}\n" + LISTENER + ONE_POOL, file).kubernetes();
        assertNull(bare.kubeconfig(), "in a cluster: the service account");

        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigLoader.parse("kubernetes: {kubeconfig: nope.yaml}\n" + LISTENER + ONE_POOL, file));
        assertEquals(file + ":1: kubernetes.kubeconfig: " + dir.resolve("nope.yaml") + " does not exist", e.getMessage());
        e = assertThrows(ConfigException.class,
                () -> ConfigLoader.parse("kubernetes: {kubeconfig: .}\n" + LISTENER + ONE_POOL, file));
        assertEquals(file + ":1: kubernetes.kubeconfig: " + dir + " is not a file", e.getMessage());
        assertRejected("kubernetes: {namespace: Shop}\n" + LISTENER + ONE_POOL,
                "kodiak.yaml:1: kubernetes.namespace: \"Shop\" is not a namespace (1-63 lower-case letters, digits and '-')");
        assertRejected("kubernetes: {cluster: x}\n" + LISTENER + ONE_POOL,
                "kodiak.yaml:1: kubernetes.cluster: unknown key (allowed: kubeconfig, context, namespace)");
    }

    @Test
    void kubernetesEntriesNeedNoKubernetesSection() throws Exception {
        KodiakConfig c = ConfigLoader.parse(LISTENER + "pools:\n  web:\n    upstreams: [{kubernetes: {service: web}}]\n", FILE);
        assertEquals(KubernetesSettings.DEFAULTS, c.kubernetes());
        assertEquals(1, c.pools().get("web").sources().size());
    }

    private static InetSocketAddress ns(String ip, int port) throws Exception {
        return new InetSocketAddress(InetAddress.getByName(ip), port);
    }
}
