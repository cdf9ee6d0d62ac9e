package io.kodiak.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real Gunicorn serving {@code wsgi/kodiak_test_app.py} on {@code 127.0.0.1:<ephemeral port>}.
 *
 * <pre>{@code
 * try (Gunicorn g = Gunicorn.builder("a").workers(2).start()) {
 *     ... point Kodiak at g.port() ...
 * }
 * }</pre>
 *
 * <p>Gunicorn binds {@code 127.0.0.1:0} itself and the fixture reads the real port from its
 * {@code Listening at: http://127.0.0.1:NNNNN (pid)} log line (Gunicorn 20.1 logs the bound address);
 * it then waits until every worker has imported the app, so the first request is not raced against
 * start-up. Each instance runs in its own directory (under {@code target/gunicorn} when run from a
 * module, else the temp dir), which holds {@code access.log} (Gunicorn's access log, via stdout) and
 * {@code error.log}.
 *
 * <p>Gunicorn runs under {@code setsid}, so the master leads a process group that its workers inherit:
 * "every process of this instance" is that group, which holds even after the master died and whatever
 * names the processes give themselves. A JVM shutdown hook kills instances a test left running.
 *
 * <p>If Gunicorn is not installed the test is skipped, unless the {@code CI} environment variable is
 * set, in which case it fails (see {@link GunicornCommand}).
 * Methods are safe to call from any thread; {@link #stop()} and {@link #kill()} are idempotent.
 */
public final class Gunicorn implements AutoCloseable {

    /** Gunicorn worker classes the tests use. */
    public enum WorkerClass {
        /** One request at a time per worker; always closes the connection after a response. */
        SYNC("sync"),
        /** Thread pool per worker; honours keep-alive. */
        GTHREAD("gthread");

        final String option;

        WorkerClass(String option) {
            this.option = option;
        }
    }

    private static final Pattern LISTENING = Pattern.compile("Listening at: http://127\\.\\d+\\.\\d+\\.\\d+:(\\d+)[ ,]"); // "," when more binds follow (unix:...)
    private static final String READY = "kodiak_test_app ready pid=";
    private static final Set<Gunicorn> RUNNING = ConcurrentHashMap.newKeySet();
    private static final AtomicBoolean HOOK_INSTALLED = new AtomicBoolean();

    private final String name;
    private final Builder options;
    private final Path dir;
    private final Process process;
    private final LogPump accessLog;
    private final LogPump errorLog;
    private final int port;
    private volatile boolean stopped; // written under this
    private boolean terminated; // guarded by this

    private Gunicorn(Builder b, List<String> command) throws IOException, InterruptedException {
        this.name = b.name;
        this.options = b;
        this.dir = GunicornCommand.prepareDirectory(b);
        ProcessBuilder pb = GunicornCommand.processBuilder(command, b, dir);
        this.process = pb.start();
        installShutdownHook();
        RUNNING.add(this);
        process.getOutputStream().close();
        this.accessLog = new LogPump("gunicorn-" + name + "-access", process.getInputStream(), dir.resolve("access.log"));
        this.errorLog = new LogPump("gunicorn-" + name + "-error", process.getErrorStream(), dir.resolve("error.log"));
        accessLog.start();
        errorLog.start();
        this.port = awaitReady(b);
        if (ProcessState.processGroup(process.pid()) != process.pid()) {
            kill();
            throw new IllegalStateException("gunicorn " + name + " does not lead its own process group; setsid did not work");
        }
    }

    /**
     * A Kodiak configuration in front of {@code instances}: listener {@code web} on a free port,
     * pool {@code app} over them (named as they are), and {@code poolKeys} (more keys of the pool,
     * indented by four spaces, or empty). No admin API and no state file.
     */
    public static String kodiakYaml(List<Gunicorn> instances, String poolKeys) {
        StringBuilder yaml = new StringBuilder("""
                admin:
                  listen: off
                  state-file: off
                metrics: off
                listeners:
                  - name: web
                    address: 127.0.0.1:0
                pools:
                  app:
                    upstreams:
                """);
        for (Gunicorn g : instances) {
            yaml.append("      - {address: ").append(g.hostPort()).append(", name: ").append(g.name()).append("}\n");
        }
        return yaml.append(poolKeys).toString();
    }

    /** A builder for an instance named {@code name} (reported by {@code GET /} and {@code X-Instance}). */
    public static Builder builder(String name) {
        return new Builder(name);
    }

    /** Starts one sync worker named {@code name}. */
    public static Gunicorn start(String name) throws IOException, InterruptedException {
        return builder(name).start();
    }

    /** The instance name. */
    public String name() {
        return name;
    }

    /** The port Gunicorn bound. */
    public int port() {
        return port;
    }

    /** {@code 127.0.0.1:port} (or the address given to {@link Builder#host}). */
    public InetSocketAddress address() {
        return new InetSocketAddress(options.host, port);
    }

    /** {@code "127.0.0.1:<port>"} (or the address given to {@link Builder#host}). */
    public String hostPort() {
        return options.host + ":" + port;
    }

    /** PID of the Gunicorn master (the arbiter). */
    public long masterPid() {
        return process.pid();
    }

    /** PIDs of the live worker processes right now. */
    public List<Long> workerPids() {
        return livePids().stream().filter(pid -> pid != process.pid()).toList();
    }

    /** Every live (non-zombie) process of this instance: its process group, master first while alive. */
    public List<Long> livePids() {
        return ProcessState.liveInGroup(process.pid());
    }

    /** Whether the master is running. */
    public boolean isRunning() {
        return process.isAlive();
    }

    /** The instance's directory (app copy and logs). */
    public Path directory() {
        return dir;
    }

    /** The access log file, one line per request (Gunicorn's default format). */
    public Path accessLog() {
        return accessLog.file();
    }

    /** The error log file (start-up, worker boots, errors). */
    public Path errorLog() {
        return errorLog.file();
    }

    /** Access log lines so far. */
    public List<String> accessLogLines() {
        return accessLog.lines();
    }

    /** Error log lines so far. */
    public List<String> errorLogLines() {
        return errorLog.lines();
    }

    /**
     * Waits until the access log has at least {@code count} lines (Gunicorn writes a line after the
     * response is sent, so a client can see a response before its line exists).
     */
    public List<String> awaitAccessLogLines(int count, Duration timeout) throws InterruptedException {
        if (!accessLog.await(lines -> lines.size() >= count, timeout)) {
            throw new AssertionError("gunicorn " + name + ": fewer than " + count + " access log lines within "
                    + timeout + ": " + accessLog.lines());
        }
        return accessLog.lines();
    }

    /**
     * Sends SIGTERM to the master and returns at once: Gunicorn stops accepting and lets workers
     * finish their requests for up to the graceful timeout. {@link #stop()} waits for the end.
     */
    public synchronized void terminate() {
        if (!stopped && !terminated) {
            terminated = true;
            process.destroy(); // SIGTERM on Unix
        }
    }

    /**
     * Graceful stop: SIGTERM to the master, then waits until the master and every worker are gone.
     *
     * @throws IllegalStateException if they are not gone within the graceful timeout plus 15 s
     *                               (they are then killed, so nothing is left behind)
     */
    public synchronized void stop() throws InterruptedException {
        if (stopped) {
            return;
        }
        terminate();
        Duration limit = options.gracefulTimeout.plusSeconds(15);
        if (!ProcessState.await(this::allGone, limit)) {
            List<Long> left = livePids();
            kill();
            throw new IllegalStateException("gunicorn " + name + " did not stop within " + limit + " after SIGTERM; "
                    + "killed " + left + ". Error log: " + errorLog.lines());
        }
        finish();
    }

    /**
     * SIGSTOP (or SIGCONT with {@code stopped = false}) to the master and every worker: a hung
     * instance, whose sockets still accept connections that nobody answers.
     */
    public void freeze(boolean stopped) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("kill", stopped ? "-STOP" : "-CONT"));
        livePids().forEach(pid -> cmd.add(Long.toString(pid)));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " failed");
        }
    }

    /** SIGKILL to the master and every worker, as a crash would; waits until they are gone. */
    public synchronized void kill() throws InterruptedException {
        if (stopped) {
            return;
        }
        // livePids() lists the master first, so it dies before it could fork replacement workers;
        // each round also catches a worker forked between a listing and the kill.
        boolean gone = ProcessState.await(() -> {
            livePids().forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
            return allGone();
        }, Duration.ofSeconds(15));
        if (!gone) {
            throw new IllegalStateException("gunicorn " + name + " survived SIGKILL: " + livePids());
        }
        finish();
    }

    /**
     * Stops gracefully if still running. If interrupted meanwhile, kills the instance's processes
     * without waiting, restores the interrupt and throws {@link IllegalStateException}.
     */
    @Override
    public void close() {
        try {
            stop();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            livePids().forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
            throw new IllegalStateException("interrupted while stopping " + this + "; killed its processes", e);
        }
    }

    private boolean allGone() {
        return !process.isAlive() && livePids().isEmpty();
    }

    private void finish() throws InterruptedException {
        stopped = true;
        RUNNING.remove(this);
        process.waitFor(); // reaps the master; it already exited
        // Once every writer of the pipes is gone the pumps see end of stream; then the logs are complete.
        accessLog.awaitEnd(Duration.ofSeconds(10));
        errorLog.awaitEnd(Duration.ofSeconds(10));
    }

    private int awaitReady(Builder b) throws InterruptedException {
        boolean ready = errorLog.await(lines -> listeningPort(lines) > 0
                && lines.stream().filter(l -> l.startsWith(READY)).count() >= b.workers, b.startTimeout);
        if (!ready) {
            boolean wasAlive = process.isAlive();
            kill();
            throw new IllegalStateException("gunicorn " + name + " did not become ready within " + b.startTimeout
                    + " (alive=" + wasAlive + "). Error log:\n" + String.join("\n", errorLog.lines()));
        }
        return listeningPort(errorLog.lines());
    }

    /** Kills what tests left running when the JVM exits, so no Gunicorn outlives the build. */
    private static void installShutdownHook() {
        if (HOOK_INSTALLED.compareAndSet(false, true)) {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                for (Gunicorn g : RUNNING) {
                    g.livePids().forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
                }
            }, "gunicorn-reaper"));
        }
    }

    private static int listeningPort(List<String> lines) {
        for (String line : lines) {
            Matcher m = LISTENING.matcher(line);
            if (m.find()) {
                return Integer.parseInt(m.group(1));
            }
        }
        return -1;
    }

    @Override
    public String toString() {
        return "Gunicorn[" + name + " " + (port > 0 ? hostPort() : "starting") + ", master=" + process.pid()
                + ", " + options.workers + "x" + options.workerClass + (stopped ? ", stopped" : "") + ", dir=" + dir + "]";
    }

    /** Options of a {@link Gunicorn} instance; defaults suit fast tests. */
    public static final class Builder {
        final String name;
        int workers = 1;
        WorkerClass workerClass = WorkerClass.SYNC;
        int threads = 4;
        Duration keepAlive = Duration.ofSeconds(2);
        Duration gracefulTimeout = Duration.ofSeconds(10);
        Duration workerTimeout = Duration.ofSeconds(30);
        Duration startTimeout = Duration.ofSeconds(30);
        Path baseDir;
        int port;
        /** The loopback address to bind; Linux routes all of 127/8 to lo, so several instances can share a port. */
        String host = "127.0.0.1";
        /** The WSGI app: a test resource, and the module:callable Gunicorn serves from its copy. */
        String appResource = "/wsgi/kodiak_test_app.py";
        String appCallable = "kodiak_test_app:application";
        final List<String> extraArgs = new ArrayList<>();

        private Builder(String name) {
            if (!name.matches("[A-Za-z0-9._-]+")) {
                throw new IllegalArgumentException("instance name must be [A-Za-z0-9._-]+: " + name);
            }
            this.name = name;
        }

        /**
         * The port to bind (default 0: Gunicorn picks one). A fixed port lets a test restart an
         * instance where its load balancer expects it.
         */
        public Builder port(int p) {
            this.port = p;
            return this;
        }

        /**
         * The address to bind, within 127.0.0.0/8 (default 127.0.0.1): instances on 127.0.0.2,
         * 127.0.0.3 ... with one port are what a DNS name with several A records points at.
         */
        public Builder host(String loopback) {
            if (!loopback.matches("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}")) {
                throw new IllegalArgumentException("not a 127/8 address: " + loopback);
            }
            this.host = loopback;
            return this;
        }

        /** Worker processes (default 1). */
        public Builder workers(int n) {
            this.workers = n;
            return this;
        }

        /** Worker class (default {@link WorkerClass#SYNC}). */
        public Builder workerClass(WorkerClass c) {
            this.workerClass = c;
            return this;
        }

        /** Threads per gthread worker (default 4; ignored for sync). */
        public Builder threads(int n) {
            this.threads = n;
            return this;
        }

        /** How long gthread workers keep an idle connection (Gunicorn {@code --keep-alive}, whole seconds; default 2). */
        public Builder keepAlive(Duration d) {
            this.keepAlive = d;
            return this;
        }

        /** How long SIGTERM lets in-flight requests finish (whole seconds; default 10, Gunicorn's is 30). */
        public Builder gracefulTimeout(Duration d) {
            this.gracefulTimeout = d;
            return this;
        }

        /** Silence after which the master kills a worker (Gunicorn {@code --timeout}; default 30 s). */
        public Builder workerTimeout(Duration d) {
            this.workerTimeout = d;
            return this;
        }

        /** Limit for Gunicorn to bind and boot every worker (default 30 s). */
        public Builder startTimeout(Duration d) {
            this.startTimeout = d;
            return this;
        }

        /** Parent of the instance directory (default {@code target/gunicorn}, else the temp dir). */
        public Builder baseDir(Path d) {
            this.baseDir = d;
            return this;
        }

        /** More Gunicorn options, e.g. {@code "--max-requests=5"}; must not rebind or move the logs. */
        /**
         * Serves another WSGI app: {@code resource} (e.g. {@code /wsgi/flask_shop.py}) is copied
         * into the instance's directory, and Gunicorn serves {@code callable} from it
         * ({@code flask_shop:application}). The default is the tests' own app.
         */
        public Builder app(String resource, String callable) {
            this.appResource = resource;
            this.appCallable = callable;
            return this;
        }

        public Builder extraArgs(String... args) {
            extraArgs.addAll(List.of(args));
            return this;
        }

        /** Starts Gunicorn and waits until every worker has loaded the app. Skips the test if Gunicorn is missing (outside CI). */
        public Gunicorn start() throws IOException, InterruptedException {
            return new Gunicorn(this, GunicornCommand.require());
        }

        @Override
        public String toString() {
            return "Gunicorn.Builder[" + name + ", " + workers + "x" + workerClass + "]";
        }
    }
}
