package io.kodiak.config;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads one pool's {@code upstreams:} list. An entry is one of:
 * <ul>
 *   <li>{@code host:port} (short form, or {@code address:}): one upstream, as before;</li>
 *   <li>{@code unix:/run/gunicorn.sock}: one upstream over a Unix-domain socket (nginx's
 *       {@code server unix:/path}), named {@code unix:} + the file name unless {@code name:} says;</li>
 *   <li>{@code {address: NAME:PORT, resolve: true}}: every A/AAAA address of the name (nginx's
 *       {@code server ... resolve}, HAProxy's {@code server-template});</li>
 *   <li>{@code {service: _http._tcp.NAME}}: the SRV record's targets (nginx's {@code service=});</li>
 *   <li>{@code {kubernetes: {service, namespace, port}}}: a Service's EndpointSlices.</li>
 * </ul>
 * The first two become {@link UpstreamConfig}s of the file's list; the others become
 * {@link UpstreamSource}s, whose upstreams ({@code ENTRY[ADDRESS]}) appear at run time. Upstream
 * names and source ids must each be unique within the pool; the names of sources' entries too,
 * because they prefix their upstreams' names.
 *
 * <p>One instance reads one list, on the loading thread; not thread-safe.
 */
final class UpstreamEntryReader {
    private static final List<String> KEYS =
            List.of("address", "name", "weight", "max-connections", "resolve", "resolver", "service", "kubernetes");
    private static final List<String> KUBERNETES_KEYS = List.of("service", "namespace", "port");
    /** The keys that say what an entry is; exactly one per entry. */
    private static final List<String> KINDS = List.of("address", "service", "kubernetes");

    /**
     * What a pool's list holds.
     *
     * @param upstreams the file's upstreams, in order
     * @param sources   the discovery sources, in order
     * @param firstUnix the first Unix-socket entry, or {@code null} (TLS cannot go there)
     */
    record Entries(List<UpstreamConfig> upstreams, List<UpstreamSource> sources, ConfigNode firstUnix) {
    }

    private final Set<String> resolvers;
    private final int defaultMaxConnections;
    private final List<UpstreamConfig> upstreams = new ArrayList<>();
    private final List<UpstreamSource> sources = new ArrayList<>();
    private final Map<String, ConfigNode> byName = new HashMap<>();
    private final Map<String, ConfigNode> bySourceId = new HashMap<>();
    private ConfigNode firstUnix;

    /**
     * @param resolvers             the names of the top-level {@code resolvers:} ({@code default} among them)
     * @param defaultMaxConnections the pool's {@code max-connections}, for entries without their own
     */
    private UpstreamEntryReader(Set<String> resolvers, int defaultMaxConnections) {
        this.resolvers = resolvers;
        this.defaultMaxConnections = defaultMaxConnections;
    }

    /** Reads {@code node}, which must list at least one entry. */
    static Entries read(ConfigNode node, Set<String> resolvers, int defaultMaxConnections) throws ConfigException {
        List<ConfigNode> items = node.sequence();
        if (items.isEmpty()) {
            throw node.error("must list at least one upstream");
        }
        UpstreamEntryReader reader = new UpstreamEntryReader(resolvers, defaultMaxConnections);
        for (ConfigNode item : items) {
            reader.entry(item);
        }
        return new Entries(reader.upstreams, reader.sources, reader.firstUnix);
    }

    private void entry(ConfigNode item) throws ConfigException {
        if (item.isScalar()) { // short form: "- host:port" or "- unix:/path"
            fixed(item, null, item, 1, defaultMaxConnections);
            return;
        }
        ConfigMapping m = item.mapping(KEYS);
        String kind = null;
        for (String k : KINDS) {
            if (m.get(k) != null) {
                if (kind != null) {
                    throw m.get(k).error("cannot be given with " + kind + " (an entry is one of address, service or kubernetes)");
                }
                kind = k;
            }
        }
        if (kind == null) {
            throw m.childError("address", "required key is missing (or service: for an SRV record, kubernetes: for a Service)");
        }
        ConfigNode explicitName = m.get("name");
        int maxConnections = m.get("max-connections") == null ? defaultMaxConnections
                : m.get("max-connections").integer(0, 1_000_000);
        switch (kind) {
            case "service" -> srv(m, explicitName, maxConnections);
            case "kubernetes" -> kubernetes(m, explicitName, maxConnections);
            default -> address(m, explicitName, maxConnections);
        }
    }

    /** {@code address:}: one upstream, or with {@code resolve: true} a DNS source. */
    private void address(ConfigMapping m, ConfigNode explicitName, int maxConnections) throws ConfigException {
        ConfigNode addressNode = m.get("address");
        int weight = weight(m);
        ConfigNode resolve = m.get("resolve");
        boolean resolves = resolve != null && resolve.bool();
        if (addressNode.isScalar() && DiscoveryValues.isUnix(addressNode.text())) {
            for (String key : List.of("resolve", "resolver")) {
                if (m.get(key) != null) {
                    throw m.get(key).error("does not apply to a Unix socket (nothing to resolve)");
                }
            }
        } else if (resolves) {
            Values.HostPort hp = addressNode.parse("host:port", Values::upstreamAddress);
            if (DiscoveryValues.isIpLiteral(hp.host())) {
                throw resolve.error(Values.quote(hp.host()) + " is an IP address: nothing to resolve"
                        + " (resolve: true follows a host name)");
            }
            String name = explicitName == null ? addressNode.parse("host:port", text -> Values.defaultName(hp.toString()))
                    : explicitName.parse("a name", Values::name);
            add(new DnsSource(name, hp.host(), hp.port(), false, resolver(m), weight, maxConnections),
                    m.get("address"), explicitName == null ? addressNode : explicitName);
            return;
        } else if (m.get("resolver") != null) {
            throw m.get("resolver").error("only applies with resolve: true (or to a service: entry)");
        }
        fixed(addressNode, explicitName, explicitName == null ? addressNode : explicitName, weight, maxConnections);
    }

    /** A listed upstream: {@code host:port} or {@code unix:/path}. */
    private void fixed(ConfigNode addressNode, ConfigNode explicitName, ConfigNode nameNode, int weight, int maxConnections)
            throws ConfigException {
        UpstreamConfig upstream;
        String text = addressNode.string();
        if (DiscoveryValues.isUnix(text)) {
            String path = addressNode.parse("unix:/PATH", DiscoveryValues::unixPath);
            String name = explicitName == null ? addressNode.parse("unix:/PATH", p -> DiscoveryValues.unixName(path))
                    : explicitName.parse("a name", Values::name);
            // host "localhost": the Host header and the name a check sends, as nginx's unix: upstreams send.
            upstream = new UpstreamConfig(name, "localhost", 0, weight, maxConnections, null, null, path, 0);
            if (firstUnix == null) {
                firstUnix = addressNode;
            }
        } else {
            Values.HostPort hp = addressNode.parse("host:port", Values::upstreamAddress);
            String name = explicitName == null ? addressNode.parse("host:port", t -> Values.defaultName(hp.toString()))
                    : explicitName.parse("a name", Values::name);
            upstream = new UpstreamConfig(name, hp.host(), hp.port(), weight, maxConnections);
        }
        claimName(upstream.name(), nameNode);
        upstreams.add(upstream);
    }

    /** {@code service: _http._tcp.NAME}: the SRV record's targets, ports, weights and priorities. */
    private void srv(ConfigMapping m, ConfigNode explicitName, int maxConnections) throws ConfigException {
        ConfigNode service = m.get("service");
        if (m.get("resolve") != null && !m.get("resolve").bool()) {
            throw m.get("resolve").error("a service: entry is always resolved (an SRV record); leave resolve out");
        }
        if (m.get("weight") != null) {
            throw m.get("weight").error("does not apply to a service: entry (its SRV records give each target's weight)");
        }
        String host = service.parse("_SERVICE._PROTO.NAME", DiscoveryValues::srvName);
        String name = explicitName == null ? service.parse("a name", Values::defaultName)
                : explicitName.parse("a name", Values::name);
        add(new DnsSource(name, host, 0, true, resolver(m), 1, maxConnections), service,
                explicitName == null ? service : explicitName);
    }

    /** {@code kubernetes: {service, namespace, port}}: a Service's ready endpoints. */
    private void kubernetes(ConfigMapping m, ConfigNode explicitName, int maxConnections) throws ConfigException {
        for (String key : List.of("resolve", "resolver")) {
            if (m.get(key) != null) {
                throw m.get(key).error("does not apply to a kubernetes: entry (its EndpointSlices give the addresses)");
            }
        }
        ConfigNode node = m.get("kubernetes");
        ConfigMapping k = node.mapping(KUBERNETES_KEYS);
        ConfigNode serviceNode = k.require("service");
        String service = serviceNode.parse("a Service name", DiscoveryValues::kubernetesService);
        String namespace = k.get("namespace") == null ? null
                : k.get("namespace").parse("a namespace", DiscoveryValues::kubernetesNamespace);
        String port = k.get("port") == null ? null : k.get("port").parse("a port name or number", DiscoveryValues::kubernetesPort);
        String name = explicitName == null ? service : explicitName.parse("a name", Values::name);
        add(new KubernetesSource(name, namespace, service, port, weight(m), maxConnections), node,
                explicitName == null ? serviceNode : explicitName);
    }

    private static int weight(ConfigMapping m) throws ConfigException {
        return m.get("weight") == null ? 1 : m.get("weight").integer(1, 1000);
    }

    /** {@code resolver:}, which must name a top-level {@code resolvers:} entry; {@code default} when absent. */
    private String resolver(ConfigMapping m) throws ConfigException {
        ConfigNode node = m.get("resolver");
        if (node == null) {
            return "default";
        }
        String name = node.string();
        if (!resolvers.contains(name)) {
            throw node.error(Values.quote(name) + " is not a resolver (defined: "
                    + String.join(", ", resolvers.stream().sorted().toList()) + "; add it under resolvers:)");
        }
        return name;
    }

    private void add(UpstreamSource source, ConfigNode where, ConfigNode nameNode) throws ConfigException {
        ConfigNode first = bySourceId.putIfAbsent(source.id(), where);
        if (first != null) {
            throw where.error(Values.quote(source.id()) + " is already listed at " + first.path() + " (line "
                    + first.line() + "); list each source once");
        }
        claimName(source.name(), nameNode);
        sources.add(source);
    }

    private void claimName(String name, ConfigNode nameNode) throws ConfigException {
        ConfigNode first = byName.putIfAbsent(name, nameNode);
        if (first != null) {
            throw nameNode.error("upstream name " + Values.quote(name) + " is already used by "
                    + first.path() + " (line " + first.line() + "); give one of them a distinct name");
        }
    }

    @Override
    public String toString() {
        return "UpstreamEntryReader[" + upstreams.size() + " upstreams, " + sources.size() + " sources]";
    }
}
