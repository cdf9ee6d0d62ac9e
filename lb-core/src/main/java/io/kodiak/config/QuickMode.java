package io.kodiak.config;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Builds a configuration from command-line flags, for {@code bin/kodiak proxy --listen ADDR --to
 * A,B [--strategy S]}: one listener named {@value #LISTENER}, one pool named {@value #POOL}
 * routing everything, defaults everywhere else. Errors read {@code --to: "x" is not host:port}.
 */
public final class QuickMode {
    /** The name of the single listener. */
    public static final String LISTENER = "quick";
    /** The name of the single pool. */
    public static final String POOL = "default";
    /** The listen address when {@code --listen} is not given. */
    public static final String DEFAULT_LISTEN = "127.0.0.1:8080";

    private static final List<String> FLAGS = List.of("--listen", "--to", "--strategy", "--admin", "--metrics");

    private QuickMode() {
    }

    /**
     * Parses the arguments that follow the word {@code proxy}. Flags take their value either as
     * the next argument or after '=' ({@code --to=a:1,b:2}).
     *
     * @throws ConfigException for an unknown flag, a missing or repeated flag or value, or a bad value
     */
    public static KodiakConfig fromArgs(List<String> args) throws ConfigException {
        Map<String, String> values = flags(args);
        String listen = values.getOrDefault("--listen", DEFAULT_LISTEN);
        InetSocketAddress address = parse("--listen", () -> Values.listenAddress(listen));
        PoolConfig.Strategy strategy = values.containsKey("--strategy")
                ? parse("--strategy", () -> Values.strategy(values.get("--strategy")))
                : PoolConfig.Strategy.ROUND_ROBIN;
        String to = values.get("--to");
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
                ServerHeaderPolicy.DEFAULTS);
        PoolConfig pool = new PoolConfig(POOL, strategy, upstreams, UpstreamTimeouts.DEFAULTS,
                ConnectionPoolConfig.DEFAULTS, BufferingConfig.defaults(), null);
        AdminConfig admin = admin(values.get("--admin"));
        if (admin.enabled() && admin.listen().equals(address)) {
            throw new ConfigException("--admin: " + values.get("--admin") + " is also the --listen address: the admin API needs its own");
        }
        MetricsConfig metrics = metrics(values.get("--metrics"));
        if (metrics.serves() && (metrics.listen().equals(address) || metrics.listen().equals(admin.listen()))) {
            throw new ConfigException("--metrics: " + values.get("--metrics") + " is also the "
                    + (metrics.listen().equals(address) ? "--listen" : "--admin") + " address: /metrics needs its own");
        }
        return new KodiakConfig(null, List.of(listener), Map.of(POOL, pool)).withAdmin(admin).withMetrics(metrics);
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

    /** Help text for the {@code proxy} command's flags, one flag per line. */
    public static String usage() {
        return String.join("\n",
                "usage: kodiak proxy --to HOST:PORT[,HOST:PORT...] [--listen HOST:PORT] [--strategy NAME]",
                "  --to HOST:PORT,...  upstreams to balance across (required); IPv6 as [::1]:9001",
                "  --listen HOST:PORT  address to accept clients on (default " + DEFAULT_LISTEN
                        + "); :PORT listens on all IPv4 interfaces",
                "  --strategy NAME     balancing strategy (default round-robin; valid: " + strategies() + ")",
                "  --admin HOST:PORT   the admin API for kodiak ctl (default " + AdminConfig.DEFAULT_LISTEN.getHostString() + ":"
                        + AdminConfig.DEFAULT_LISTEN.getPort() + "), or off",
                "  --metrics HOST:PORT Prometheus /metrics (default " + MetricsConfig.DEFAULT_LISTEN.getHostString() + ":"
                        + MetricsConfig.DEFAULT_LISTEN.getPort() + "), or off",
                "Everything else takes its default; use a configuration file to change it.",
                "");
    }

    private static Map<String, String> flags(List<String> args) throws ConfigException {
        Map<String, String> values = new LinkedHashMap<>();
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (!arg.startsWith("--")) {
                throw new ConfigException(Values.quote(arg) + ": unexpected argument (flags are "
                        + String.join(", ", FLAGS) + ")");
            }
            int eq = arg.indexOf('=');
            String flag = eq < 0 ? arg : arg.substring(0, eq);
            if (!FLAGS.contains(flag)) {
                throw new ConfigException(flag + ": unknown flag (flags are " + String.join(", ", FLAGS) + ")");
            }
            String value;
            if (eq >= 0) {
                value = arg.substring(eq + 1);
            } else if (i + 1 < args.size() && !args.get(i + 1).startsWith("--")) {
                value = args.get(++i);
            } else {
                throw new ConfigException(flag + ": needs a value");
            }
            if (value.isEmpty()) {
                throw new ConfigException(flag + ": needs a value");
            }
            if (values.putIfAbsent(flag, value) != null) {
                throw new ConfigException(flag + ": given more than once");
            }
        }
        return values;
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
