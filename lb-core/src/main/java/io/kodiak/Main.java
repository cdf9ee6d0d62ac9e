package io.kodiak;

import io.kodiak.config.BufferingConfig;
import io.kodiak.config.ClientLimits;
import io.kodiak.config.ClientTimeouts;
import io.kodiak.config.ConfigException;
import io.kodiak.config.ConfigLoader;
import io.kodiak.config.ConnectionPoolConfig;
import io.kodiak.config.Flags;
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
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Collectors;

/**
 * The command line: {@code demo}, {@code run -c FILE}, {@code check -c FILE}, {@code proxy --listen
 * --to}, {@code ctl}, {@code help}, and {@code --version}. Every command answers {@code --help} with
 * its flags (each command's {@link Flags}). Errors are one clear line on stderr and a non-zero exit,
 * never a stack trace.
 */
public final class Main {
    private Main() {
    }

    private static final Flags.Flag CONFIG = Flags.Flag.value("--config", "FILE",
            "the configuration file (required; every key: docs/configuration.md)").alias("-c");
    private static final Flags DEMO = Flags.of("kodiak demo",
            "[--listen HOST:PORT] [--admin HOST:PORT|off] [--metrics HOST:PORT|off]",
            "Start Kodiak in front of three built-in demo upstreams in this JVM, to try it out.",
            QuickMode.LISTEN, QuickMode.ADMIN, QuickMode.METRICS);
    private static final Flags RUN = Flags.of("kodiak run", "-c FILE",
            "Start with a configuration file; SIGHUP reloads it, SIGUSR1 reopens the access logs, SIGTERM stops gracefully.",
            CONFIG);
    private static final Flags CHECK = Flags.of("kodiak check", "-c FILE",
            "Validate a configuration file and exit: OK (exit 0), or FILE:LINE: KEY: problem (exit 2).", CONFIG);
    /** {@code kodiak} before any command: {@code --version} and {@code --help}. */
    private static final Flags TOP = Flags.of("kodiak", "COMMAND [FLAGS]", "",
            Flags.Flag.toggle("--version", "print Kodiak's version and exit").alias("-V"));
    /** The commands whose flags {@link Flags} reads; {@code ctl} reads its own, per subcommand. */
    private static final Map<String, Flags> COMMANDS = Map.of("demo", DEMO, "run", RUN, "check", CHECK,
            "proxy", QuickMode.FLAGS);
    private static final List<String> COMMAND_NAMES = List.of("demo", "run", "check", "proxy", "ctl");

    public static void main(String[] args) {
        io.kodiak.tls.TlsDefaults.apply();
        configureLogging();
        int code;
        try {
            code = run(Arrays.asList(args), System.out, System.err);
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

    /**
     * Runs {@code kodiak ARGS} and returns the exit code: 0 done, 1 failed (e.g. cannot listen),
     * 2 a bad command line or configuration (one line on {@code err}); {@code kodiak ctl} has its own.
     * The serving commands return only if they cannot start.
     */
    static int run(List<String> args, PrintStream out, PrintStream err) {
        try {
            return command(args, out, err);
        } catch (ConfigException e) {
            err.println("kodiak: " + e.getMessage());
            return 2;
        } catch (IOException e) {
            err.println("kodiak: " + e.getMessage());
            return 1;
        }
    }

    private static int command(List<String> args, PrintStream out, PrintStream err) throws ConfigException, IOException {
        if (args.isEmpty()) {
            err.print(usage());
            return 2;
        }
        String name = args.get(0);
        List<String> rest = args.subList(1, args.size());
        if (name.startsWith("-")) {
            Flags.Parsed top = TOP.parse(args);
            out.print(top.help() ? usage() : "kodiak " + version() + "\n");
            return 0;
        }
        if (name.equals("ctl")) {
            return io.kodiak.admin.Ctl.run(rest, out, err);
        }
        if (name.equals("help")) {
            return help(rest, out, err);
        }
        Flags flags = COMMANDS.get(name);
        if (flags == null) {
            err.print("kodiak: unknown command '" + name + "'\n" + usage());
            return 2;
        }
        Flags.Parsed p = flags.parse(rest);
        if (p.help()) {
            out.print(flags.usage());
            return 0;
        }
        switch (name) {
            case "demo" -> demo(p, out);
            case "run" -> {
                KodiakConfig c = ConfigLoader.load(configPath(p));
                warn(c.warnings(), err);
                serve(c, out);
            }
            case "check" -> {
                KodiakConfig c = ConfigLoader.load(configPath(p));
                warn(c.warnings(), err);
                int upstreams = c.pools().values().stream().mapToInt(pool -> pool.upstreams().size()).sum();
                int sources = c.pools().values().stream().mapToInt(pool -> pool.sources().size()).sum();
                // check does not resolve: a source's upstreams exist only once Kodiak runs.
                out.println(c.origin() + ": OK (" + c.listeners().size() + " listener(s), " + c.pools().size()
                        + " pool(s), " + upstreams + " upstream(s)"
                        + (sources == 0 ? "" : ", " + sources + " discovery source(s)") + ")");
            }
            default -> serve(QuickMode.from(p), out); // proxy
        }
        return 0;
    }

    /** {@code kodiak help [COMMAND]}: the list of commands, or one command's flags, as {@code --help} prints them. */
    private static int help(List<String> args, PrintStream out, PrintStream err) throws ConfigException {
        if (args.isEmpty()) {
            out.print(usage());
            return 0;
        }
        if (args.get(0).equals("ctl")) {
            List<String> ctlHelp = new ArrayList<>(List.of("help"));
            ctlHelp.addAll(args.subList(1, args.size()));
            return io.kodiak.admin.Ctl.run(ctlHelp, out, err);
        }
        Flags flags = COMMANDS.get(args.get(0));
        if (flags == null || args.size() > 1) {
            throw new ConfigException("help: " + (flags == null ? "no command '" + args.get(0) + "'" : "one command at a time")
                    + " (commands: " + String.join(", ", COMMAND_NAMES) + ")");
        }
        out.print(flags.usage());
        return 0;
    }

    private static Path configPath(Flags.Parsed flags) throws ConfigException {
        String file = flags.value("--config");
        if (file == null) {
            throw new ConfigException("missing -c FILE");
        }
        return Path.of(file);
    }

    /**
     * Starts Kodiak, prints one line per listener and pool, and serves until SIGTERM or SIGINT:
     * then it stops accepting, lets requests in flight finish within {@code shutdown-grace}, and
     * exits (0 if all finished, 1 if some were cut off); a second SIGTERM exits at once. SIGHUP
     * reloads the configuration file; SIGUSR1 reopens the access logs (nginx's signal for it).
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
        // Always handled, logs or not: the JVM's default for SIGUSR1 would end the process.
        sun.misc.Signal.handle(new sun.misc.Signal("USR1"), signal -> new Thread(() -> reopenLogs(k), "kodiak-reopen-logs").start());
        describe(k, out); // after the handlers: whoever waits for these lines may signal at once

        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        System.exit(clean.get() ? 0 : 1);
    }

    /** Prints what the configuration holds that is valid but probably not meant ({@code kodiak: warning: FILE:LINE: ...}). */
    static void warn(List<String> warnings, PrintStream err) {
        warnings.forEach(w -> err.println("kodiak: warning: " + w));
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

    /** SIGUSR1: reopen the access logs (logrotate's postrotate), and say how it went on stderr. */
    private static void reopenLogs(Kodiak k) {
        List<io.kodiak.admin.Control.Reopened> logs = k.reopenLogs();
        if (logs.isEmpty()) {
            System.err.println("kodiak: SIGUSR1: no listener has an access log: nothing to reopen");
        }
        for (io.kodiak.admin.Control.Reopened r : logs) {
            System.err.println("kodiak: SIGUSR1: access log of listener " + r.listener() + " (" + r.target() + "): "
                    + (r.error() == null ? "reopened" : r.error()));
        }
    }

    static void describe(Kodiak k, PrintStream out) {
        KodiakConfig c = k.config();
        for (ListenerConfig l : c.listeners()) {
            InetSocketAddress a = k.boundAddress(l.name());
            String routes = l.routes().stream()
                    .map(r -> r.describe() + " -> " + (r.pool() == null ? "(its own answer)" : r.pool()))
                    .collect(Collectors.joining(", "));
            out.println("listener " + l.name() + ": " + l.scheme() + "://" + a.getHostString() + ":" + a.getPort() + " (" + routes + ")"
                    + (l.redirectHttps() == 0 ? "" : "; redirects every request to https"
                            + (l.redirectHttps() == 443 ? "" : " port " + l.redirectHttps()))
                    + (l.accessLog() == null ? "" : "; access log " + l.accessLog().destination())
                    + (l.tls() == null ? "" : "; TLS 1.2/1.3 for " + java.util.stream.Stream.concat(l.tls().certificates().stream()
                            .map(ck -> String.join(" ", ck.names()) + " (" + ck.keyType() + ")"),
                            l.tls().server().managed() == null ? java.util.stream.Stream.<String>empty()
                                    : l.tls().server().managed().domains().stream().map(d -> d + " (ACME)"))
                            .collect(Collectors.joining(", "))
                            + " on " + (l.tls().server().engine() == io.kodiak.tls.TlsEngine.OPENSSL ? "BoringSSL" : "the JDK's TLS")));
        }
        for (PoolConfig p : c.pools().values()) {
            String ups = p.upstreams().stream()
                    .map(u -> u.name() + (u.name().equals(u.address()) ? "" : "=" + u.address())
                            + (u.weight() == 1 ? "" : " weight " + u.weight()))
                    .collect(Collectors.joining(", "));
            String found = p.sources().stream().map(io.kodiak.config.UpstreamSource::id).collect(Collectors.joining(", "));
            ups = ups.isEmpty() ? found : found.isEmpty() ? ups : ups + ", " + found;
            out.println("pool " + p.name() + ": " + p.strategy().configName() + " over " + ups
                    + "; buffering " + (p.buffering().request() ? "on" : "off") + "; " + p.healthCheck()
                    + (p.tls() == null ? "" : "; " + p.tls()));
        }
        InetSocketAddress admin = k.adminAddress();
        if (admin == null) {
            out.println("admin API: off");
        } else {
            // host:port as a URL and ctl's --admin take it: an IPv6 literal in brackets.
            String host = admin.getHostString().indexOf(':') >= 0 ? "[" + admin.getHostString() + "]" : admin.getHostString();
            String at = host + ":" + admin.getPort();
            String ctlAdmin = admin.equals(io.kodiak.config.AdminConfig.DEFAULT_LISTEN) ? "" : " --admin " + at;
            out.println("admin API: http://" + at + "/v1/status (kodiak ctl" + ctlAdmin + " status)"
                    + (c.admin().stateFile() == null ? "" : "; state file " + c.admin().stateFile()));
            // The login hint only where ctl token can find the token: generated (the demo) or from the environment.
            out.println("status page: http://" + at + "/"
                    + (c.admin().token() != null ? "" : " (log in with: bin/kodiak ctl token" + ctlAdmin + ")"));
        }
        InetSocketAddress metrics = k.metricsAddress();
        out.println(!c.metrics().enabled() ? "metrics: off"
                : metrics == null ? "metrics: MBeans only (io.kodiak:*), no /metrics endpoint"
                : "metrics: http://" + metrics.getHostString() + ":" + metrics.getPort() + "/metrics");
    }

    private static void demo(Flags.Parsed flags, PrintStream out) throws IOException, ConfigException {
        InetSocketAddress listen = QuickMode.listen(flags.value("--listen"));
        io.kodiak.config.AdminConfig admin = QuickMode.admin(flags.value("--admin"));
        io.kodiak.config.MetricsConfig metrics = QuickMode.metrics(flags.value("--metrics"));
        List<DemoUpstream> upstreams = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            upstreams.add(DemoUpstream.start("demo-" + i));
        }
        KodiakConfig config = demoConfig(listen, upstreams).withAdmin(admin).withMetrics(metrics);
        out.println("demo: three upstreams in this JVM; try: curl http://localhost:" + listen.getPort() + "/");
        serve(config, out, () -> upstreams.forEach(DemoUpstream::close));
    }

    static KodiakConfig demoConfig(InetSocketAddress listen, List<DemoUpstream> upstreams) {
        List<UpstreamConfig> ups = upstreams.stream()
                .map(u -> new UpstreamConfig(u.name(), "127.0.0.1", u.port(), 1)).toList();
        PoolConfig pool = new PoolConfig("demo", PoolConfig.Strategy.ROUND_ROBIN, ups, UpstreamTimeouts.DEFAULTS,
                ConnectionPoolConfig.DEFAULTS, BufferingConfig.defaults(), null);
        // The demo shows each request as nginx would log it, on stdout.
        ListenerConfig listener = new ListenerConfig("demo", listen, List.of(new RouteConfig(null, null, "demo")),
                ClientTimeouts.DEFAULTS, ClientLimits.DEFAULTS, ForwardedHeaders.DEFAULTS, ServerHeaderPolicy.DEFAULTS)
                .withAccessLog(io.kodiak.config.AccessLogConfig.STDOUT);
        return new KodiakConfig(null, List.of(listener), Map.of("demo", pool));
    }

    /** {@code kodiak --help}: the commands, each with its one-line summary. */
    static String usage() {
        StringBuilder sb = new StringBuilder("""
                usage: kodiak COMMAND [FLAGS]
                Kodiak, an HTTP reverse proxy and load balancer. Each command's flags: kodiak COMMAND --help.
                commands:
                """);
        for (String name : COMMAND_NAMES) {
            String summary = name.equals("ctl") ? io.kodiak.admin.Ctl.summary() : COMMANDS.get(name).summary();
            sb.append(String.format(Locale.ROOT, "  %-7s%s\n", name, summary));
        }
        sb.append(String.format(Locale.ROOT, "  %-7s%s\n", "help", "This list, or with a COMMAND, its flags."));
        return sb.append("flags:\n").append(TOP.flagLines()).toString();
    }

    /**
     * The Maven project version, which the build writes into {@code version.properties} (so it is
     * right when classes run from {@code target/classes}, as bin/kodiak runs them), else a jar
     * manifest's {@code Implementation-Version}.
     */
    static String version() {
        try (java.io.InputStream in = Main.class.getResourceAsStream("version.properties")) {
            if (in != null) {
                java.util.Properties p = new java.util.Properties();
                p.load(in);
                String v = p.getProperty("version", "");
                if (!v.isEmpty() && !v.startsWith("${")) {
                    return v;
                }
            }
        } catch (IOException e) {
            // a class-path resource that cannot be read: the manifest is the next best source
        }
        String v = Main.class.getPackage().getImplementationVersion();
        return v != null ? v : "(version unknown: built without Maven's resource filtering)";
    }

    private static void configureLogging() {
        if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
            System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tF %1$tT.%1$tL %4$s %3$s: %5$s%6$s%n");
        }
        Logger.getLogger("org.glassfish.grizzly").setLevel(Level.WARNING);
    }
}
