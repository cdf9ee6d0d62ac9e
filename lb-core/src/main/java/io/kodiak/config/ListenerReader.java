package io.kodiak.config;

import io.kodiak.http.HttpException;
import io.kodiak.http.PathNormalizer;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** Reads the {@code listeners} section; routes are checked against the pools already read. */
final class ListenerReader {
    private static final List<String> LISTENER_KEYS = FeatureReader.keys(List.of(
            "name", "address", "routes", "timeouts", "limits", "forwarded-headers", "server-header",
            "underscores-in-headers", "request-id", "request-start", "access-log", "tls", "redirect-https",
            "proxy-protocol", "proxy-protocol-from", "real-ip"), // RealIpReader's
            FeatureReader.Scope.LISTENER);
    private static final List<String> REQUEST_ID_KEYS = List.of("header", "trust-client", "echo");
    private static final List<String> ROUTE_KEYS = FeatureReader.keys(RouteReader.KEYS, FeatureReader.Scope.ROUTE);
    private static final List<String> TIMEOUT_KEYS = List.of("request-header", "keep-alive", "body", "send", "body-min-rate", "body-total", "send-min-rate");
    private static final List<String> LIMIT_KEYS =
            List.of("max-request-line", "max-header-size", "max-headers", "max-connections", "max-connections-per-address");
    private static final List<String> FORWARDED_KEYS =
            List.of("x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "forwarded", "x-forwarded-port");

    private final Map<String, PoolConfig> pools;
    private final Set<String> poolNames;

    private final java.nio.file.Path baseDir;
    /** Routes that can never match, as {@code FILE:LINE: key.path: never matches: ...}. */
    private final List<String> warnings = new ArrayList<>();

    ListenerReader(Map<String, PoolConfig> pools, java.nio.file.Path baseDir) {
        this.pools = pools;
        this.poolNames = pools.keySet();
        this.baseDir = baseDir;
    }

    /** What {@link #read} found worth a warning (routes that can never match). */
    List<String> warnings() {
        return List.copyOf(warnings);
    }

    List<ListenerConfig> read(ConfigNode listenersNode) throws ConfigException {
        List<ConfigNode> items = listenersNode.sequence();
        if (items.isEmpty()) {
            throw listenersNode.error("must define at least one listener");
        }
        List<ListenerConfig> result = new ArrayList<>();
        List<ConfigNode> addressNodes = new ArrayList<>();
        Map<String, ConfigNode> byName = new HashMap<>();
        for (ConfigNode item : items) {
            ConfigMapping m = item.mapping(LISTENER_KEYS);
            ForwardAuthReader.checkPool(m, poolNames); // a pool of its own, which no route needs to use
            ConfigNode addressNode = m.require("address");
            InetSocketAddress address = addressNode.parse("host:port", Values::listenAddress);
            checkOverlap(addressNode, address, result, addressNodes);
            ConfigNode nameNode = m.get("name") == null ? addressNode : m.get("name");
            String name = nameNode.parse("a name", m.get("name") == null ? Values::defaultName : Values::name);
            ConfigNode first = byName.putIfAbsent(name, nameNode);
            if (first != null) {
                throw nameNode.error("listener name " + Values.quote(name) + " is already used by "
                        + first.path() + " (line " + first.line() + ")");
            }
            List<RouteConfig> routes = routes(m);
            ForwardedHeaders forwarded = m.get("forwarded-headers") == null ? ForwardedHeaders.DEFAULTS
                    : forwarded(m.get("forwarded-headers"));
            RequestTracing tracing = tracing(m);
            refuseWrittenFields(m, forwarded, tracing);
            boolean underscores = m.get("underscores-in-headers") != null
                    && underscores(m.get("underscores-in-headers"));
            if (!underscores) {
                checkHashHeaders(item, routes);
            }
            result.add(new ListenerConfig(name, address, routes,
                    m.get("timeouts") == null ? ClientTimeouts.DEFAULTS : timeouts(m.get("timeouts")),
                    m.get("limits") == null ? ClientLimits.DEFAULTS : limits(m.get("limits")),
                    forwarded,
                    m.get("server-header") == null ? ServerHeaderPolicy.DEFAULTS
                            : serverHeader(m.get("server-header")),
                    underscores, tracing,
                    m.get("access-log") == null ? null : AccessLogReader.read(m.get("access-log")),
                    m.get("tls") == null ? null : TlsReader.read(m.get("tls"), baseDir, java.time.Instant.now()))
                    .withRedirectHttps(redirectHttps(m))
                    .withClientAddress(RealIpReader.read(m, underscores, warnings))
                    .withFeatures(FeatureReader.read(m, FeatureReader.Scope.LISTENER, baseDir)));
            addressNodes.add(addressNode);
            LimitReader.refuseTwice(m, name, routeMappings(m));
        }
        return result;
    }

    /**
     * Two listeners cannot bind the same port on the same address, and a wildcard address takes
     * the port on every interface of its family ({@code ::} takes IPv4 too, as Java sockets are
     * dual-stack). Port 0 never collides: each bind gets its own ephemeral port.
     */
    private static void checkOverlap(ConfigNode node, InetSocketAddress address, List<ListenerConfig> earlier,
                                     List<ConfigNode> earlierNodes) throws ConfigException {
        if (address.getPort() == 0) {
            return;
        }
        for (int i = 0; i < earlier.size(); i++) {
            InetSocketAddress other = earlier.get(i).address();
            if (other.getPort() != address.getPort()) {
                continue;
            }
            String where = "listener " + Values.quote(earlier.get(i).name()) + " (line " + earlierNodes.get(i).line()
                    + ")";
            if (other.getAddress().equals(address.getAddress())) {
                throw node.error(Values.quote(text(address)) + " is already used by " + where);
            }
            if (covers(other, address) || covers(address, other)) {
                throw node.error(Values.quote(text(address)) + " overlaps " + where + " at "
                        + text(other) + ": a wildcard address takes the port on every interface");
            }
        }
    }

    private static boolean covers(InetSocketAddress wildcard, InetSocketAddress other) {
        if (!wildcard.getAddress().isAnyLocalAddress()) {
            return false;
        }
        return wildcard.getAddress().getAddress().length == 16
                || other.getAddress().getAddress().length == 4;
    }

    private static String text(InetSocketAddress address) {
        return new Values.HostPort(address.getAddress().getHostAddress(), address.getPort()).toString();
    }

    /** The listener's routes as mappings (once {@link #routes} has read them: they are well formed). */
    private static ConfigMapping[] routeMappings(ConfigMapping listener) throws ConfigException {
        if (listener.get("routes") == null) {
            return new ConfigMapping[0]; // the implicit route to the only pool has no features
        }
        List<ConfigNode> items = listener.get("routes").sequence();
        ConfigMapping[] out = new ConfigMapping[items.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = items.get(i).mapping(ROUTE_KEYS);
        }
        return out;
    }

    private List<RouteConfig> routes(ConfigMapping listener) throws ConfigException {
        ConfigNode routesNode = listener.get("routes");
        if (routesNode == null) {
            // The listener's own forward-auth pool is not a pool to route to.
            Set<String> routable = ForwardAuthReader.withoutAuthPool(listener, poolNames);
            if (routable.size() == 1) {
                return List.of(new RouteConfig(null, null, routable.iterator().next()));
            }
            throw listener.childError("routes", poolNames.isEmpty()
                    ? "required: there are no pools, so every route must answer by itself (respond, redirect, static)"
                    : "required when more than one pool is defined");
        }
        return RouteReader.read(routesNode, ROUTE_KEYS, poolNames, listener.get("tls") != null, baseDir, warnings);
    }

    /** Route hosts compare with the request's Host minus its port, so a port here could never match. */
    static String routeHost(String text) {
        if (text.startsWith("[") && text.endsWith("]")) {
            try {
                Values.upstreamAddress(text + ":1"); // validates the IPv6 literal
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(Values.quote(text) + " is not a valid IPv6 address", e);
            }
            return text.toLowerCase(Locale.ROOT);
        }
        if (text.indexOf(':') >= 0) {
            throw new IllegalArgumentException(Values.quote(text)
                    + " must not contain a port (routes match the Host field without its port)");
        }
        return withoutTrailingDot(Values.hostSyntax(text).toLowerCase(Locale.ROOT));
    }

    /**
     * {@code example.com.} (the fully qualified form) is {@code example.com}: requests are routed
     * by their Host without its trailing dot ({@link io.kodiak.http.RequestHead#host()}), so a
     * route's host is written down the same way.
     */
    static String withoutTrailingDot(String host) {
        return host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
    }

    static String pathPrefix(String text) {
        if (!text.startsWith("/")) {
            throw new IllegalArgumentException(Values.quote(text) + " must start with '/'");
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c <= 0x20 || c >= 0x7f || c == '?' || c == '#') {
                throw new IllegalArgumentException(Values.quote(text)
                        + " must be a plain path: no spaces, query ('?'), fragment ('#') or non-ASCII characters");
            }
        }
        String normal;
        try {
            normal = PathNormalizer.normalize(text);
        } catch (HttpException e) {
            throw new IllegalArgumentException(Values.quote(text) + " is not a valid path: " + e.getMessage(), e);
        }
        if (!normal.equals(text)) {
            throw new IllegalArgumentException(Values.quote(text) + " would never match: requests are routed on their"
                    + " normalised path; write " + Values.quote(normal));
        }
        return text;
    }

    private static RequestTracing tracing(ConfigMapping listener) throws ConfigException {
        RequestTracing d = RequestTracing.DEFAULTS;
        String header = d.idHeader();
        boolean trust = d.trustClientId();
        boolean echo = d.echoId();
        ConfigNode idNode = listener.get("request-id");
        if (idNode != null) {
            ConfigMapping m = idNode.mapping(REQUEST_ID_KEYS);
            if (m.get("header") != null) {
                ConfigNode h = m.get("header");
                header = h.string();
                if (!header.matches("[A-Za-z0-9-]{1,64}")) {
                    throw h.error(Values.quote(header) + " is not a field name (letters, digits and '-')");
                }
            }
            trust = m.get("trust-client") == null ? trust : m.get("trust-client").bool();
            echo = m.get("echo") == null ? echo : m.get("echo").bool();
        }
        boolean start = listener.get("request-start") == null ? d.requestStart() : listener.get("request-start").bool();
        return new RequestTracing(header, trust, echo, start);
    }

    private static ClientTimeouts timeouts(ConfigNode node) throws ConfigException {
        ConfigMapping m = node.mapping(TIMEOUT_KEYS);
        ClientTimeouts d = ClientTimeouts.DEFAULTS;
        return new ClientTimeouts(
                m.get("request-header") == null ? d.requestHeader() : m.get("request-header").duration(),
                m.get("keep-alive") == null ? d.keepAlive() : m.get("keep-alive").duration(),
                m.get("body") == null ? d.body() : m.get("body").duration(),
                m.get("send") == null ? d.send() : m.get("send").duration(),
                m.get("body-min-rate") == null ? d.bodyMinRate()
                        : m.get("body-min-rate").parse("a rate such as 500/s or 1KiB/s (0 turns it off)", ListenerReader::rate),
                m.get("body-total") == null ? d.bodyTotal()
                        : m.get("body-total").parse("a duration such as 2m, or off", ListenerReader::durationOrOff),
                m.get("send-min-rate") == null ? d.sendMinRate()
                        : m.get("send-min-rate").parse("a rate such as 100/s or 1KiB/s (0 turns it off)", ListenerReader::rate));
    }

    /** A duration, or {@code off} (ZERO: no limit). */
    private static java.time.Duration durationOrOff(String text) {
        return "off".equals(text) ? java.time.Duration.ZERO : Values.duration(text);
    }

    /** Bytes per second: a size, optionally followed by "/s". */
    private static long rate(String text) {
        String size = text.endsWith("/s") ? text.substring(0, text.length() - 2) : text;
        return "0".equals(size) || "off".equals(size) ? 0 : Values.size(size, 1L << 40);
    }

    private static ClientLimits limits(ConfigNode node) throws ConfigException {
        ConfigMapping m = node.mapping(LIMIT_KEYS);
        ClientLimits d = ClientLimits.DEFAULTS;
        int requestLine = m.get("max-request-line") == null ? d.maxRequestLine()
                : (int) m.get("max-request-line").size(Integer.MAX_VALUE);
        int headerBytes = m.get("max-header-size") == null ? d.maxHeaderBytes()
                : (int) m.get("max-header-size").size(Integer.MAX_VALUE);
        if (requestLine > headerBytes) {
            // The request line is part of the head, so the head limit would always fire first.
            ConfigNode at = m.get("max-request-line") != null ? m.get("max-request-line") : m.get("max-header-size");
            throw at.error("max-request-line (" + requestLine + " bytes) exceeds max-header-size ("
                    + headerBytes + " bytes), which bounds the whole request head");
        }
        return new ClientLimits(requestLine, headerBytes,
                m.get("max-headers") == null ? d.maxHeaders() : m.get("max-headers").integer(1, 100_000),
                m.get("max-connections") == null ? d.maxConnections()
                        : m.get("max-connections").integer(1, 10_000_000),
                m.get("max-connections-per-address") == null ? d.maxConnectionsPerAddress()
                        : m.get("max-connections-per-address").integer(0, 10_000_000));
    }

    /**
     * The listener's and its routes' {@code request-headers} cannot set or add a field this
     * listener writes itself (forwarding fields, the request ID, {@code X-Request-Start}): it
     * would go upstream twice, and an app reading the first would trust a value Kodiak never vouched for.
     */
    private static void refuseWrittenFields(ConfigMapping listener, ForwardedHeaders f, RequestTracing t)
            throws ConfigException {
        Map<String, String> written = new HashMap<>();
        if (f.xForwardedFor()) {
            written.put("x-forwarded-for", "forwarded-headers.x-forwarded-for");
        }
        if (f.xForwardedProto()) {
            written.put("x-forwarded-proto", "forwarded-headers.x-forwarded-proto");
        }
        if (f.xForwardedHost()) {
            written.put("x-forwarded-host", "forwarded-headers.x-forwarded-host");
        }
        if (f.xForwardedPort()) {
            written.put("x-forwarded-port", "forwarded-headers.x-forwarded-port");
        }
        if (f.forwarded()) {
            written.put("forwarded", "forwarded-headers.forwarded");
        }
        if (t.requestStart()) {
            written.put("x-request-start", "request-start");
        }
        written.put(t.idHeaderLower(), "request-id.header");
        if (listener.get("request-headers") != null) {
            HeaderRulesReader.refuseWritten(listener.get("request-headers"), written);
        }
        if (listener.get("routes") != null) {
            for (ConfigNode route : listener.get("routes").sequence()) {
                ConfigMapping m = route.mapping(ROUTE_KEYS);
                if (m.get("request-headers") != null) {
                    HeaderRulesReader.refuseWritten(m.get("request-headers"), written);
                }
                if (t.echoId() && m.get("respond") != null && !m.get("respond").isScalar()) {
                    RespondReader.refuseEchoedId(m.get("respond"), t.idHeader());
                }
            }
        }
    }

    private static ForwardedHeaders forwarded(ConfigNode node) throws ConfigException {
        ConfigMapping m = node.mapping(FORWARDED_KEYS);
        ForwardedHeaders d = ForwardedHeaders.DEFAULTS;
        return new ForwardedHeaders(
                m.get("x-forwarded-for") == null ? d.xForwardedFor() : m.get("x-forwarded-for").bool(),
                m.get("x-forwarded-proto") == null ? d.xForwardedProto() : m.get("x-forwarded-proto").bool(),
                m.get("x-forwarded-host") == null ? d.xForwardedHost() : m.get("x-forwarded-host").bool(),
                m.get("forwarded") == null ? d.forwarded() : m.get("forwarded").bool(),
                m.get("x-forwarded-port") == null ? d.xForwardedPort() : m.get("x-forwarded-port").bool());
    }

    private static ServerHeaderPolicy serverHeader(ConfigNode node) throws ConfigException {
        String value = node.parse("strip, pass or a value", Values::fieldValue);
        return switch (value) {
            case "strip" -> ServerHeaderPolicy.DEFAULTS;
            case "pass" -> new ServerHeaderPolicy(ServerHeaderPolicy.Mode.PASS, null);
            default -> new ServerHeaderPolicy(ServerHeaderPolicy.Mode.SET, value);
        };
    }

    /** {@code underscores-in-headers}: {@code drop} (nginx {@code underscores_in_headers off}) or {@code pass}. */
    private static boolean underscores(ConfigNode node) throws ConfigException {
        return switch (node.string()) {
            case "drop" -> false;
            case "pass" -> true;
            default -> throw node.error("expected drop or pass, got " + Values.quote(node.string()));
        };
    }

    /**
     * A listener that drops fields named with '_' never lets a pool hash on such a header: the
     * field is gone before the hash key is read, so every request would fall back to its client
     * address without a word.
     */
    private void checkHashHeaders(ConfigNode listener, List<RouteConfig> routes) throws ConfigException {
        for (RouteConfig r : routes) {
            if (r.pool() == null) {
                continue;
            }
            HashConfig hash = pools.get(r.pool()).hash();
            if (hash.source() == HashConfig.Source.HEADER && hash.name().indexOf('_') >= 0) {
                throw listener.error("routes to pool " + Values.quote(r.pool()) + ", whose hash-key "
                        + hash.key() + " would never be found: this listener drops request fields whose"
                        + " name holds '_' (underscores-in-headers: pass keeps them)");
            }
        }
    }

    @Override
    public String toString() {
        return "ListenerReader[pools=" + poolNames + "]";
    }

    /** {@code redirect-https: true} (to port 443) or a port; only on a plain listener. */
    private static int redirectHttps(ConfigMapping m) throws ConfigException {
        ConfigNode node = m.get("redirect-https");
        if (node == null) {
            return 0;
        }
        int port = node.string().matches("[0-9]+") ? node.integer(1, 65535) : node.bool() ? 443 : 0;
        if (port != 0 && m.get("tls") != null) {
            throw node.error("is for a plain HTTP listener: this one has tls");
        }
        return port;
    }
}
