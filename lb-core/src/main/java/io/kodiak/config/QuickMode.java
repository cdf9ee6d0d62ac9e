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

    /** The {@code proxy} command's flags and usage. */
    public static final Flags FLAGS = Flags.of("kodiak proxy",
                    "--to HOST:PORT[,HOST:PORT...] [--listen HOST:PORT] [--strategy NAME] [--admin HOST:PORT|off] [--metrics HOST:PORT|off] [--access-log PATH|stdout|off] [--access-log-format combined|json|TEMPLATE] [--tls-cert FILE --tls-key FILE]",
                    "Balance across upstreams without a configuration file: one listener \"" + LISTENER + "\", one pool \""
                            + POOL + "\".",
                    Flags.Flag.value("--to", "HOST:PORT,...", "the upstreams, comma-separated (required); IPv6 as [::1]:9001"),
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
        Set<String> seen = new HashSet<>();
        for (String item : to.split(",", -1)) {
            String text = item.strip();
            if (text.isEmpty()) {
                throw new ConfigException("--to: " + Values.quote(to) + " has an empty entry");
            }
            Values.HostPort hp = parse("--to", () -> Values.upstreamAddress(text));
            if (!seen.add(hp.toString())) {
                throw new ConfigException("--to: " + Values.quote(hp.toString()) + " is listed twice");
            }
            upstreams.add(new UpstreamConfig(hp.toString(), hp.host(), hp.port(), 1));
        }
        ListenerConfig listener = new ListenerConfig(LISTENER, address, List.of(new RouteConfig(null, null, POOL)),
                ClientTimeouts.DEFAULTS, ClientLimits.DEFAULTS, ForwardedHeaders.DEFAULTS,
                ServerHeaderPolicy.DEFAULTS).withAccessLog(accessLog(values.value("--access-log"),
                values.value("--access-log-format"))).withTls(tls(values.value("--tls-cert"), values.value("--tls-key")));
        PoolConfig pool = new PoolConfig(POOL, strategy, upstreams, UpstreamTimeouts.DEFAULTS,
                ConnectionPoolConfig.DEFAULTS, BufferingConfig.defaults(), null);
        AdminConfig admin = admin(values.value("--admin"));
        if (admin.enabled() && admin.listen().equals(address)) {
            throw new ConfigException("--admin: " + values.value("--admin") + " is also the --listen address: the admin API needs its own");
        }
        MetricsConfig metrics = metrics(values.value("--metrics"));
        if (metrics.serves() && (metrics.listen().equals(address) || metrics.listen().equals(admin.listen()))) {
            throw new ConfigException("--metrics: " + values.value("--metrics") + " is also the "
                    + (metrics.listen().equals(address) ? "--listen" : "--admin") + " address: /metrics needs its own");
        }
        return new KodiakConfig(null, List.of(listener), Map.of(POOL, pool)).withAdmin(admin).withMetrics(metrics);
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
