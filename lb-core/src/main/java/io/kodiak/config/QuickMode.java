package io.kodiak.config;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Builds a configuration from command-line flags, for {@code bin/kodiak proxy --listen ADDR --to
 * A,B [--strategy S]} ({@link #FLAGS} lists them all): one listener named {@value #LISTENER}, one
 * pool named {@value #POOL} routing everything, defaults everywhere else. Errors read {@code --to: "x" is not host:port}.
 *
 * <p>A {@code --to} entry is what a file's upstream entry would be: an IP literal is a listed
 * upstream; a host name is followed through DNS ({@code resolve: true}: every address, re-resolved
 * on its TTL, as nginx's {@code server NAME resolve}), except {@code localhost}, which is in
 * /etc/hosts rather than DNS and does not move; {@code srv:_SERVICE._PROTO.NAME} is an SRV record
 * ({@code service:}); {@code unix:/PATH} a Unix socket. {@code --resolver} names the nameservers of
 * the {@code default} resolver; without it, the system's.
 */
public final class QuickMode {
    /** The name of the single listener. */
    public static final String LISTENER = "quick";
    /** The name of the single pool. */
    public static final String POOL = "default";
    /** The listen address when {@code --listen} is not given. */
    public static final String DEFAULT_LISTEN = "127.0.0.1:8080";

    /** {@code --listen}, also the demo's. */
    public static final Flags.Flag LISTEN = Flags.Flag.value("--listen", "HOST:PORT",
            "address to accept clients on (default " + DEFAULT_LISTEN + "); :PORT listens on all IPv4 interfaces");
    /** {@code --admin}, also the demo's. */
    public static final Flags.Flag ADMIN = Flags.Flag.value("--admin", "HOST:PORT|off",
            "the admin API that kodiak ctl drives (default " + text(AdminConfig.DEFAULT_LISTEN)
                    + "; off: none; a non-loopback address needs KODIAK_ADMIN_TOKEN)");
    /** {@code --metrics}, also the demo's. */
    public static final Flags.Flag METRICS = Flags.Flag.value("--metrics", "HOST:PORT|off",
            "Prometheus /metrics (default " + text(MetricsConfig.DEFAULT_LISTEN) + "; off: record nothing)");

    /** {@code --access-log}: the quick listener's access log, in combined format. */
    public static final Flags.Flag ACCESS_LOG = Flags.Flag.value("--access-log", "PATH|stdout|off",
            "log each request in nginx's combined format to a file (appended; SIGUSR1 or kodiak ctl reopen-logs reopens it),"
                    + " stdout or syslog://HOST[:PORT] (default off)");

    /** {@code --access-log-format}: combined (default), json, or a template of $variables. */
    public static final Flags.Flag ACCESS_LOG_FORMAT = Flags.Flag.value("--access-log-format", "combined|json|TEMPLATE",
            "the access log's format (default combined; a template names variables as nginx's log_format, e.g."
                    + " '$remote_addr $status $request_time $upstream_name')");

    /** {@code --tls-cert}: the quick listener serves HTTPS with this PEM chain (certbot's fullchain.pem). */
    public static final Flags.Flag TLS_CERT = Flags.Flag.value("--tls-cert", "FILE",
            "serve HTTPS (TLS 1.2 and 1.3) with this PEM certificate chain, leaf first (certbot's fullchain.pem); needs --tls-key"
                    + " (default none: plain HTTP)");

    /** {@code --tls-key}: the private key of {@link #TLS_CERT}. */
    public static final Flags.Flag TLS_KEY = Flags.Flag.value("--tls-key", "FILE",
            "the PEM private key of --tls-cert (certbot's privkey.pem: PKCS#8, PKCS#1 RSA or SEC 1 EC, not encrypted) (default none)");

    /** {@code --to}'s prefix for an SRV record. */
    static final String SRV_PREFIX = "srv:";

    /** The {@code proxy} command's flags and usage. */
    public static final Flags FLAGS = Flags.of("kodiak proxy",
                    "--to HOST:PORT[,HOST:PORT...] [--resolver IP:PORT[,IP:PORT]] [--listen HOST:PORT] [--strategy NAME] [--admin HOST:PORT|off] [--metrics HOST:PORT|off] [--access-log PATH|stdout|off] [--access-log-format combined|json|TEMPLATE] [--tls-cert FILE --tls-key FILE]",
                    "Balance across upstreams without a configuration file: one listener \"" + LISTENER + "\", one pool \""
                            + POOL + "\".",
                    Flags.Flag.value("--to", "HOST:PORT,...", "the upstreams, comma-separated (required); IPv6 as [::1]:9001;"
                            + " a host name is followed through DNS (every address, re-resolved on its TTL; localhost stays as it is);"
                            + " srv:_SERVICE._PROTO.NAME for an SRV record; unix:/PATH for a Unix socket"),
                    Flags.Flag.value("--resolver", "IP:PORT,...", "the nameservers that resolve --to's names and srv: records,"
                            + " comma-separated (default: the system's, from /etc/resolv.conf); port 53 if left out"),
                    LISTEN,
                    Flags.Flag.value("--strategy", "NAME", "balancing strategy (default round-robin; valid: " + strategies() + ")"),
                    ADMIN,
                    METRICS,
                    ACCESS_LOG,
                    ACCESS_LOG_FORMAT,
                    TLS_CERT,
                    TLS_KEY)
            .withNotes("Flags take their value as the next argument or after '=' (--to=127.0.0.1:9001).",
                    "Everything else takes its default (docs/configuration.md); a configuration file (kodiak run) changes it.");

    private QuickMode() {
    }

    /**
     * Parses the arguments that follow the word {@code proxy} (see {@link #FLAGS}); {@code --help}
     * is the caller's to answer before this.
     *
     * @throws ConfigException for an unknown flag, a missing or repeated flag or value, or a bad value
     */
    public static KodiakConfig fromArgs(List<String> args) throws ConfigException {
        return from(FLAGS.parse(args));
    }

    /** The configuration that {@link #FLAGS}' parsed flags describe. */
    public static KodiakConfig from(Flags.Parsed values) throws ConfigException {
        InetSocketAddress address = listen(values.value("--listen"));
        PoolConfig.Strategy strategy = values.value("--strategy") != null
                ? parse("--strategy", () -> Values.strategy(values.value("--strategy")))
                : PoolConfig.Strategy.ROUND_ROBIN;
        String to = values.value("--to");
        if (to == null) {
            throw new ConfigException("--to: required (the upstreams, comma-separated host:port)");
        }
        List<UpstreamConfig> upstreams = new ArrayList<>();
        List<UpstreamSource> sources = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (String item : to.split(",", -1)) {
            String text = item.strip();
            if (text.isEmpty()) {
                throw new ConfigException("--to: " + Values.quote(to) + " has an empty entry");
            }
            String key = entry(text, upstreams, sources);
            if (!seen.add(key)) {
                throw new ConfigException("--to: " + Values.quote(key) + " is listed twice");
            }
        }
        Map<String, io.kodiak.discovery.DnsSettings> resolvers = resolvers(values.value("--resolver"), !sources.isEmpty());
        ListenerConfig listener = new ListenerConfig(LISTENER, address, List.of(new RouteConfig(null, null, POOL)),
                ClientTimeouts.DEFAULTS, ClientLimits.DEFAULTS, ForwardedHeaders.DEFAULTS,
                ServerHeaderPolicy.DEFAULTS).withAccessLog(accessLog(values.value("--access-log"),
                values.value("--access-log-format"))).withTls(tls(values.value("--tls-cert"), values.value("--tls-key")));
        PoolConfig pool = new PoolConfig(POOL, strategy, upstreams, UpstreamTimeouts.DEFAULTS,
                ConnectionPoolConfig.DEFAULTS, BufferingConfig.defaults(), null).withSources(sources);
        AdminConfig admin = admin(values.value("--admin"));
        if (admin.enabled() && admin.listen().equals(address)) {
            throw new ConfigException("--admin: " + values.value("--admin") + " is also the --listen address: the admin API needs its own");
        }
        MetricsConfig metrics = metrics(values.value("--metrics"));
        if (metrics.serves() && (metrics.listen().equals(address) || metrics.listen().equals(admin.listen()))) {
            throw new ConfigException("--metrics: " + values.value("--metrics") + " is also the "
                    + (metrics.listen().equals(address) ? "--listen" : "--admin") + " address: /metrics needs its own");
        }
        return new KodiakConfig(null, List.of(listener), Map.of(POOL, pool)).withAdmin(admin).withMetrics(metrics)
                .withResolvers(resolvers);
    }

    /**
     * Adds one {@code --to} entry to {@code upstreams} or {@code sources}, as a file's entry of the
     * same text would be read (see the class comment).
     *
     * @return what identifies it among the entries, to refuse one listed twice
     */
    private static String entry(String text, List<UpstreamConfig> upstreams, List<UpstreamSource> sources)
            throws ConfigException {
        if (text.startsWith(SRV_PREFIX)) {
            String service = text.substring(SRV_PREFIX.length());
            try {
                DiscoveryValues.srvName(service);
            } catch (IllegalArgumentException e) {
                throw new ConfigException("--to: " + Values.quote(text) + " is not srv:_SERVICE._PROTO.NAME"
                        + " (e.g. srv:_http._tcp.app.internal)");
            }
            String name = parse("--to", () -> Values.defaultName(service));
            sources.add(new DnsSource(name, service, 0, true, "default", 1, 0));
            return text;
        }
        if (DiscoveryValues.isUnix(text)) {
            String path = parse("--to", () -> DiscoveryValues.unixPath(text));
            String name = parse("--to", () -> DiscoveryValues.unixName(path));
            for (UpstreamConfig u : upstreams) {
                if (u.name().equals(name)) {
                    throw new ConfigException("--to: " + Values.quote(u.address()) + " and " + Values.quote(text)
                            + " would both be named " + name + " (a configuration file can name them)");
                }
            }
            upstreams.add(new UpstreamConfig(name, "localhost", 0, 1, 0, null, null, path, 0));
            return text;
        }
        Values.HostPort hp = parse("--to", () -> Values.upstreamAddress(text));
        if (DiscoveryValues.isIpLiteral(hp.host()) || isLocalhost(hp.host())) {
            upstreams.add(new UpstreamConfig(hp.toString(), hp.host(), hp.port(), 1));
        } else {
            sources.add(new DnsSource(hp.toString(), hp.host(), hp.port(), false, "default", 1, 0));
        }
        return hp.toString();
    }

    /** RFC 6761: {@code localhost} and names under it are loopback, answered from /etc/hosts, never moved. */
    private static boolean isLocalhost(String host) {
        String h = host.toLowerCase(java.util.Locale.ROOT);
        if (h.endsWith(".")) {
            h = h.substring(0, h.length() - 1);
        }
        return h.equals("localhost") || h.endsWith(".localhost");
    }

    /**
     * {@code --resolver IP:PORT[,IP:PORT]}: the {@code default} resolver's nameservers; without
     * it, the system's. Refused when no {@code --to} entry is resolved: it would do nothing.
     */
    static Map<String, io.kodiak.discovery.DnsSettings> resolvers(String value, boolean resolves) throws ConfigException {
        if (value == null) {
            return Map.of();
        }
        if (!resolves) {
            throw new ConfigException("--resolver: no --to entry is a name to resolve (--resolver is for --to NAME:PORT"
                    + " and srv: entries; IP addresses and unix: sockets need none)");
        }
        List<InetSocketAddress> nameservers = new ArrayList<>();
        for (String item : value.split(",", -1)) {
            String text = item.strip();
            if (text.isEmpty()) {
                throw new ConfigException("--resolver: " + Values.quote(value) + " has an empty entry");
            }
            InetSocketAddress ns = parse("--resolver", () -> DiscoveryValues.nameserver(text));
            if (nameservers.contains(ns)) {
                throw new ConfigException("--resolver: " + DiscoveryValues.format(ns) + " is listed twice");
            }
            nameservers.add(ns);
        }
        return Map.of("default", io.kodiak.discovery.DnsSettings.DEFAULTS.withNameservers(nameservers));
    }

    /** {@code --tls-cert FILE --tls-key FILE}: HTTPS on the quick listener; neither: plain HTTP. Relative paths: the working directory. */
    public static TlsConfig tls(String cert, String key) throws ConfigException {
        if (cert == null && key == null) {
            return null;
        }
        if (cert == null || key == null) {
            throw new ConfigException(cert == null ? "--tls-key: needs --tls-cert too" : "--tls-cert: needs --tls-key too");
        }
        java.nio.file.Path c = java.nio.file.Path.of(cert).toAbsolutePath().normalize();
        java.nio.file.Path k = java.nio.file.Path.of(key).toAbsolutePath().normalize();
        try {
            return TlsConfig.load(List.of(new TlsConfig.CertFiles(c, k)), java.time.Instant.now());
        } catch (java.io.IOException e) {
            boolean keyAtFault = e instanceof io.kodiak.tls.PemFiles.FileProblem p && p.isKey();
            throw new ConfigException((keyAtFault ? "--tls-key: " : "--tls-cert: ") + e.getMessage());
        }
    }

    /** {@code --listen HOST:PORT}: where clients connect, default {@value #DEFAULT_LISTEN}. */
    public static InetSocketAddress listen(String value) throws ConfigException {
        String text = value == null ? DEFAULT_LISTEN : value;
        return parse("--listen", () -> Values.listenAddress(text));
    }

    /**
     * {@code --access-log PATH|stdout|off}: off by default; a relative path is taken from the working
     * directory, as any path on a command line.
     */
    public static AccessLogConfig accessLog(String value) throws ConfigException {
        return accessLog(value, null);
    }

    /** {@code --access-log} with {@code --access-log-format} (null: combined), which needs a log to format. */
    public static AccessLogConfig accessLog(String value, String format) throws ConfigException {
        if (value == null || value.equals("off")) {
            if (format != null) {
                throw new ConfigException("--access-log-format: needs --access-log PATH|stdout|syslog://...");
            }
            return null;
        }
        AccessLogConfig c = parse("--access-log", () -> AccessLogConfig.target(value, java.nio.file.Path.of("").toAbsolutePath()));
        if (format == null) {
            return c;
        }
        parse("--access-log-format", () -> io.kodiak.accesslog.AccessLogFormat.named(format, java.time.ZoneId.systemDefault()));
        return c.withFormat(format);
    }

    /** {@code --metrics HOST:PORT|off}: where {@code /metrics} is served, default {@code 127.0.0.1:9404}; off records nothing. */
    public static MetricsConfig metrics(String value) throws ConfigException {
        if (value == null) {
            return MetricsConfig.DEFAULT;
        }
        if (value.equals("off")) {
            return MetricsConfig.OFF;
        }
        return new MetricsConfig(true, parse("--metrics", () -> Values.listenAddress(value)), null);
    }

    /** {@code --admin HOST:PORT|off}: the admin API's address, default {@code 127.0.0.1:9090}; no state file. */
    public static AdminConfig admin(String value) throws ConfigException {
        if (value == null) {
            return new AdminConfig(AdminConfig.DEFAULT_LISTEN, null, null);
        }
        if (value.equals("off")) {
            return AdminConfig.OFF;
        }
        InetSocketAddress a = parse("--admin", () -> Values.listenAddress(value));
        if (!a.getAddress().isLoopbackAddress() && System.getenv("KODIAK_ADMIN_TOKEN") == null) {
            throw new ConfigException("--admin: " + value + " is not a loopback address: set KODIAK_ADMIN_TOKEN, "
                    + "or the admin API would be open to the network");
        }
        return new AdminConfig(a, null, null);
    }

    private static String text(InetSocketAddress a) {
        return a.getHostString() + ":" + a.getPort();
    }

    private static String strategies() {
        StringBuilder sb = new StringBuilder();
        for (PoolConfig.Strategy s : PoolConfig.Strategy.values()) {
            sb.append(sb.length() == 0 ? "" : ", ").append(s.configName());
        }
        return sb.toString();
    }

    /** Runs a {@link Values} parser, prefixing its problem with the flag. */
    private static <T> T parse(String flag, Supplier<T> parser) throws ConfigException {
        try {
            return parser.get();
        } catch (IllegalArgumentException e) {
            throw new ConfigException(flag + ": " + e.getMessage());
        }
    }
}
