package io.kodiak;

import io.kodiak.config.BufferingConfig;
import io.kodiak.config.ClientLimits;
import io.kodiak.config.ClientTimeouts;
import io.kodiak.config.ConfigException;
import io.kodiak.config.ConfigLoader;
import io.kodiak.config.ConnectionPoolConfig;
import io.kodiak.config.ForwardedHeaders;
import io.kodiak.config.KodiakConfig;
import io.kodiak.config.ListenerConfig;
import io.kodiak.config.PoolConfig;
import io.kodiak.config.QuickMode;
import io.kodiak.config.RouteConfig;
import io.kodiak.config.ServerHeaderPolicy;
import io.kodiak.config.UpstreamConfig;
import io.kodiak.config.UpstreamTimeouts;
import io.kodiak.demo.DemoUpstream;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Collectors;

/**
 * The command line: {@code demo}, {@code run -c FILE}, {@code check -c FILE}, {@code proxy --listen
 * --to}, {@code ctl}. Errors are one clear line on stderr and a non-zero exit, never a stack trace.
 */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        configureLogging();
        int code;
        try {
            code = run(Arrays.asList(args), System.out, System.err);
        } catch (ConfigException e) {
            System.err.println("kodiak: " + e.getMessage());
            code = 2;
        } catch (IOException e) {
            System.err.println("kodiak: " + e.getMessage());
            code = 1;
        } catch (RuntimeException e) {
            // A bug, not a user error: still one line, with the trace only on request.
            System.err.println("kodiak: unexpected error: " + e
                    + (Boolean.getBoolean("kodiak.debug") ? "" : " (run with KODIAK_JAVA_OPTS=-Dkodiak.debug=true for details)"));
            if (Boolean.getBoolean("kodiak.debug")) {
                Logger.getLogger(Main.class.getName()).log(Level.SEVERE, "unexpected error", e);
            }
            code = 1;
        }
        if (code != 0) {
            System.exit(code);
        }
    }

    static int run(List<String> args, PrintStream out, PrintStream err) throws ConfigException, IOException {
        if (args.isEmpty()) {
            err.print(usage());
            return 2;
        }
        List<String> rest = args.subList(1, args.size());
        switch (args.get(0)) {
            case "demo" -> {
                return demo(rest, out);
            }
            case "run" -> {
                KodiakConfig c = ConfigLoader.load(configPath(rest));
                serve(c, out);
                return 0;
            }
            case "check" -> {
                KodiakConfig c = ConfigLoader.load(configPath(rest));
                int upstreams = c.pools().values().stream().mapToInt(p -> p.upstreams().size()).sum();
                out.println(c.origin() + ": OK (" + c.listeners().size() + " listener(s), " + c.pools().size()
                        + " pool(s), " + upstreams + " upstream(s))");
                return 0;
            }
            case "proxy" -> {
                serve(QuickMode.fromArgs(rest), out);
                return 0;
            }
            case "ctl" -> {
                return io.kodiak.admin.Ctl.run(rest, out, err);
            }
            case "-h", "--help", "help" -> {
                out.print(usage());
                return 0;
            }
            default -> {
                err.print("kodiak: unknown command '" + args.get(0) + "'\n" + usage());
                return 2;
            }
        }
    }

    private static Path configPath(List<String> args) throws ConfigException {
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if ((a.equals("-c") || a.equals("--config")) && i + 1 < args.size()) {
                return Path.of(args.get(i + 1));
            }
            if (a.startsWith("--config=")) {
                return Path.of(a.substring("--config=".length()));
            }
        }
        throw new ConfigException("missing -c FILE");
    }

    /**
     * Starts Kodiak, prints one line per listener and pool, and serves until SIGTERM or SIGINT:
     * then it stops accepting, lets requests in flight finish within {@code shutdown-grace}, and
     * exits (0 if all finished, 1 if some were cut off); a second SIGTERM exits at once. SIGHUP
     * reloads the configuration file.
     */
    static void serve(KodiakConfig config, PrintStream out) throws IOException {
        serve(config, out, () -> { });
    }

    private static void serve(KodiakConfig config, PrintStream out, Runnable afterStop) throws IOException {
        Kodiak k = Kodiak.start(config);
        CountDownLatch stopped = new CountDownLatch(1);
        java.util.concurrent.atomic.AtomicInteger stops = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicBoolean clean = new java.util.concurrent.atomic.AtomicBoolean();
        sun.misc.SignalHandler stop = signal -> {
            if (stops.incrementAndGet() > 1) {
                System.err.println("kodiak: SIG" + signal.getName() + " again: exiting now");
                Runtime.getRuntime().halt(1);
            }
            Thread t = new Thread(() -> {
                java.time.Duration grace = k.config().shutdownGrace();
                System.err.println("kodiak: SIG" + signal.getName() + ": stopping (grace " + grace.toMillis() / 1000.0
                        + " s; send it again to exit at once)");
                clean.set(k.shutdown(grace));
                afterStop.run();
                System.err.println(clean.get() ? "kodiak: stopped" : "kodiak: stopped; some requests did not finish in time");
                stopped.countDown();
            }, "kodiak-shutdown");
            t.start();
        };
        sun.misc.Signal.handle(new sun.misc.Signal("TERM"), stop);
        sun.misc.Signal.handle(new sun.misc.Signal("INT"), stop);
        if (config.source() != null) {
            sun.misc.Signal.handle(new sun.misc.Signal("HUP"), signal -> new Thread(() -> reload(k), "kodiak-reload").start());
        }
        describe(k, out); // after the handlers: whoever waits for these lines may signal at once

        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        System.exit(clean.get() ? 0 : 1);
    }

    /** SIGHUP: reload, and say what happened on stderr; a rejected file leaves the running config. */
    private static void reload(Kodiak k) {
        try {
            Kodiak.Reload r = k.reload();
            System.err.println("kodiak: reloaded: version " + r.version() + (r.changes().isEmpty() ? ", no changes"
                    : "\n  " + String.join("\n  ", r.changes())));
            r.notes().forEach(n -> System.err.println("kodiak: " + n));
        } catch (ConfigException | IOException e) {
            System.err.println("kodiak: reload rejected, still running version " + k.config().version() + ": " + e.getMessage());
        } catch (RuntimeException e) {
            System.err.println("kodiak: reload failed, still running version " + k.config().version() + ": " + e);
        }
    }

    static void describe(Kodiak k, PrintStream out) {
        KodiakConfig c = k.config();
        for (ListenerConfig l : c.listeners()) {
            InetSocketAddress a = k.boundAddress(l.name());
            String routes = l.routes().stream()
                    .map(r -> (r.host() == null ? "*" : r.host()) + (r.pathPrefix() == null ? "" : r.pathPrefix())
                            + " -> " + r.pool())
                    .collect(Collectors.joining(", "));
            out.println("listener " + l.name() + ": http://" + a.getHostString() + ":" + a.getPort() + " (" + routes + ")");
        }
        for (PoolConfig p : c.pools().values()) {
            String ups = p.upstreams().stream()
                    .map(u -> u.name() + (u.name().equals(u.address()) ? "" : "=" + u.address())
                            + (u.weight() == 1 ? "" : " weight " + u.weight()))
                    .collect(Collectors.joining(", "));
            out.println("pool " + p.name() + ": " + p.strategy().configName() + " over " + ups
                    + "; buffering " + (p.buffering().request() ? "on" : "off") + "; " + p.healthCheck());
        }
        InetSocketAddress admin = k.adminAddress();
        out.println(admin == null ? "admin API: off"
                : "admin API: http://" + admin.getHostString() + ":" + admin.getPort() + "/v1/status (kodiak ctl"
                + (admin.equals(io.kodiak.config.AdminConfig.DEFAULT_LISTEN) ? "" : " --admin " + admin.getHostString() + ":" + admin.getPort())
                + " status)" + (c.admin().stateFile() == null ? "" : "; state file " + c.admin().stateFile()));
        InetSocketAddress metrics = k.metricsAddress();
        out.println(!c.metrics().enabled() ? "metrics: off"
                : metrics == null ? "metrics: MBeans only (io.kodiak:*), no /metrics endpoint"
                : "metrics: http://" + metrics.getHostString() + ":" + metrics.getPort() + "/metrics");
    }

    private static int demo(List<String> args, PrintStream out) throws IOException, ConfigException {
        InetSocketAddress listen = new InetSocketAddress("127.0.0.1", 8080);
        io.kodiak.config.AdminConfig admin = QuickMode.admin(null);
        io.kodiak.config.MetricsConfig metrics = QuickMode.metrics(null);
        for (int i = 0; i < args.size(); i++) {
            if (args.get(i).equals("--listen") && i + 1 < args.size()) {
                String v = args.get(++i);
                int colon = v.lastIndexOf(':');
                try {
                    listen = new InetSocketAddress(v.substring(0, colon), Integer.parseInt(v.substring(colon + 1)));
                } catch (RuntimeException e) {
                    throw new ConfigException("--listen: \"" + v + "\" is not host:port");
                }
            } else if (args.get(i).equals("--admin") && i + 1 < args.size()) {
                admin = QuickMode.admin(args.get(++i));
            } else if (args.get(i).equals("--metrics") && i + 1 < args.size()) {
                metrics = QuickMode.metrics(args.get(++i));
            } else {
                throw new ConfigException("demo: unknown option " + args.get(i));
            }
        }
        List<DemoUpstream> upstreams = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            upstreams.add(DemoUpstream.start("demo-" + i));
        }
        KodiakConfig config = demoConfig(listen, upstreams).withAdmin(admin).withMetrics(metrics);
        out.println("demo: three upstreams in this JVM; try: curl http://localhost:" + listen.getPort() + "/");
        serve(config, out, () -> upstreams.forEach(DemoUpstream::close));
        return 0;
    }

    static KodiakConfig demoConfig(InetSocketAddress listen, List<DemoUpstream> upstreams) {
        List<UpstreamConfig> ups = upstreams.stream()
                .map(u -> new UpstreamConfig(u.name(), "127.0.0.1", u.port(), 1)).toList();
        PoolConfig pool = new PoolConfig("demo", PoolConfig.Strategy.ROUND_ROBIN, ups, UpstreamTimeouts.DEFAULTS,
                ConnectionPoolConfig.DEFAULTS, BufferingConfig.defaults(), null);
        ListenerConfig listener = new ListenerConfig("demo", listen, List.of(new RouteConfig(null, null, "demo")),
                ClientTimeouts.DEFAULTS, ClientLimits.DEFAULTS, ForwardedHeaders.DEFAULTS, ServerHeaderPolicy.DEFAULTS);
        return new KodiakConfig(null, List.of(listener), Map.of("demo", pool));
    }

    static String usage() {
        return """
                usage: kodiak COMMAND
                  demo [--listen HOST:PORT] [--admin HOST:PORT|off] [--metrics HOST:PORT|off]
                                              start on :8080 with three built-in demo upstreams
                  run -c FILE                 start with a configuration file
                  check -c FILE               validate a configuration file and exit
                  proxy --listen HOST:PORT --to HOST:PORT[,HOST:PORT...] [--strategy round-robin|least-connections|latency-weighted|consistent-hash]
                                              start a one-line proxy without a file
                                              (--admin HOST:PORT|off moves or disables the admin API,
                                               --metrics HOST:PORT|off the Prometheus endpoint)
                  ctl COMMAND                 drive a running Kodiak through its admin API (kodiak ctl --help)
                """;
    }

    private static void configureLogging() {
        if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
            System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tF %1$tT.%1$tL %4$s %3$s: %5$s%6$s%n");
        }
        Logger.getLogger("org.glassfish.grizzly").setLevel(Level.WARNING);
    }
}
