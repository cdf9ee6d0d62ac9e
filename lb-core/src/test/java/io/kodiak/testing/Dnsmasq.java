package io.kodiak.testing;

import org.xbill.DNS.ARecord;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A real dnsmasq on {@code 127.0.0.1} and a free UDP/TCP port, answering for the zone {@code test}
 * only, as the DNS server that discovery tests point at.
 *
 * <pre>{@code
 * try (Dnsmasq dns = Dnsmasq.builder().hosts(Map.of("app.test", List.of("127.0.0.2", "127.0.0.3")))
 *         .srv(new Dnsmasq.Srv("_http._tcp.app.test", "a1.test", 8001, 10, 60)).start()) {
 *     ... resolvers: {default: {nameservers: ["127.0.0.1:" + dns.port()]}} ...
 *     dns.setHosts(Map.of("app.test", List.of("127.0.0.4")));   // followed without a signal
 *     dns.awaitAddresses("app.test", Set.of("127.0.0.4"), Duration.ofSeconds(10));
 * }
 * }</pre>
 *
 * <p>What each behaviour comes from (measured with dnsmasq 2.90):
 * <ul>
 *   <li>A/AAAA records live in a hosts file in {@code --hostsdir}, which dnsmasq re-reads through
 *       inotify when it changes, with no signal: {@link #setHosts} replaces the file atomically.</li>
 *   <li>SRV records are {@code --srv-host} options, which dnsmasq never re-reads:
 *       {@link #restart(List)} stops it and starts it again on the same port (which is also how a
 *       test makes the server go away for a while: {@link #stop()}, then {@link #restart(List)}).</li>
 *   <li>{@code --local=/test/} makes a name in {@code test} that has no record NXDOMAIN; with
 *       {@code --no-resolv} a name outside {@code test} is REFUSED.</li>
 *   <li>{@code --local-ttl=N} is the TTL of every answer (default 1 s, so re-resolution is seen soon).</li>
 *   <li>dnsmasq cannot bind port 0: a port is picked by binding UDP and TCP sockets on port 0 and
 *       closing them, and the start is retried on "Address already in use".</li>
 * </ul>
 *
 * <p>Each instance has its own directory (under {@code target/dnsmasq} when run from a module, else
 * the temp dir) with {@code hosts.d/}, {@code dnsmasq.log} (every query, {@code --log-queries}) and
 * {@code stderr.log}. If dnsmasq is not installed the test is skipped, unless {@code CI} is set
 * (see {@link Tools#require}). A JVM shutdown hook stops instances a test left running. Methods
 * are safe to call from any thread.
 */
public final class Dnsmasq implements AutoCloseable {

    /** One {@code --srv-host=service,target,port,priority,weight}. */
    public record Srv(String service, String target, int port, int priority, int weight) {
        String option() {
            return "--srv-host=" + service + "," + target + "," + port + "," + priority + "," + weight;
        }
    }

    private static final String COMMAND = Files.isExecutable(Path.of("/usr/sbin/dnsmasq")) ? "/usr/sbin/dnsmasq" : "dnsmasq";
    private static final int PORT_TRIES = 10;
    private static final Duration START_TIMEOUT = Duration.ofSeconds(20);
    private static final Set<Dnsmasq> RUNNING = ConcurrentHashMap.newKeySet();
    private static final AtomicBoolean HOOK_INSTALLED = new AtomicBoolean();

    private final Builder options;
    private final Path dir;
    private final Path hostsDir;
    private int port; // guarded by this
    private List<Srv> srv; // guarded by this
    private volatile Process process; // written under this; volatile for the shutdown hook

    private Dnsmasq(Builder b) throws IOException {
        this.options = b;
        Path parent = b.baseDir;
        if (parent == null) {
            Path target = Path.of("target");
            parent = Files.isDirectory(target) ? target.resolve("dnsmasq") : Path.of(System.getProperty("java.io.tmpdir"));
        }
        Files.createDirectories(parent);
        this.dir = Files.createTempDirectory(parent.toAbsolutePath(), "dnsmasq-");
        this.hostsDir = Files.createDirectories(dir.resolve("hosts.d"));
        this.srv = List.copyOf(b.srv);
        writeHosts(b.hosts);
    }

    /** A builder: TTL 1 s, no records. */
    public static Builder builder() {
        return new Builder();
    }

    /** The UDP (and TCP) port dnsmasq listens on at 127.0.0.1. */
    public synchronized int port() {
        return port;
    }

    /** {@code 127.0.0.1:port}, for a {@code nameservers:} list. */
    public String nameserver() {
        return "127.0.0.1:" + port();
    }

    /** The same as an address. */
    public InetSocketAddress address() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), port());
    }

    /** The log of every query and answer ({@code --log-queries}). */
    public Path logFile() {
        return dir.resolve("dnsmasq.log");
    }

    /** The log's lines so far (empty if there is none yet). */
    public List<String> logLines() {
        try {
            return Files.exists(logFile()) ? Files.readAllLines(logFile(), StandardCharsets.UTF_8) : List.of();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + logFile(), e);
        }
    }

    /** Whether the dnsmasq process is running. */
    public synchronized boolean isRunning() {
        return process != null && process.isAlive();
    }

    /**
     * Replaces every A/AAAA record: name to addresses (IPv4 or IPv6 literals). A name left out has
     * no record any more (NXDOMAIN). dnsmasq reads the change by itself (inotify); see
     * {@link #awaitAddresses} to wait until it answers with it.
     */
    public void setHosts(Map<String, List<String>> hosts) throws IOException {
        writeHosts(hosts);
    }

    /** Stops dnsmasq (SIGTERM): queries then time out, as with a server that went away. Idempotent. */
    public synchronized void stop() {
        if (process != null) {
            Tools.stop(process);
            process = null;
        }
        RUNNING.remove(this);
    }

    /** Starts dnsmasq again on the same port with the same hosts and {@code srvRecords} (replacing the old ones). */
    public synchronized void restart(List<Srv> srvRecords) throws IOException, InterruptedException {
        stop();
        this.srv = List.copyOf(srvRecords);
        launch(port);
    }

    /** Starts dnsmasq again on the same port with the same records. */
    public synchronized void restart() throws IOException, InterruptedException {
        restart(srv);
    }

    @Override
    public void close() {
        stop();
    }

    /**
     * Waits until dnsmasq answers {@code name} with exactly {@code expected} (the A and AAAA
     * addresses together, as literals; empty: NXDOMAIN or no record), polling every 50 ms.
     *
     * @throws AssertionError with the last answer if it does not within {@code timeout}
     */
    public void awaitAddresses(String name, Set<String> expected, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Set<String> last = Set.of();
        String problem = null;
        while (true) {
            try {
                last = addresses(name);
                problem = null;
                if (last.equals(expected)) {
                    return;
                }
            } catch (IOException e) {
                problem = e.toString();
            }
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("dnsmasq on port " + port() + " did not answer " + name + " with " + expected
                        + " within " + timeout + "; last answer " + last + (problem == null ? "" : ", " + problem));
            }
            Thread.sleep(50);
        }
    }

    /** Waits until dnsmasq answers {@code name} with at least one address. */
    public void waitUntilAnswers(String name) throws InterruptedException {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (true) {
            try {
                if (!addresses(name).isEmpty()) {
                    return;
                }
            } catch (IOException e) {
                // not up yet: ask again
            }
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("dnsmasq on port " + port() + " did not answer " + name + " within " + START_TIMEOUT);
            }
            Thread.sleep(50);
        }
    }

    /** The A and AAAA addresses dnsmasq answers for {@code name} now (one query each, 1 s timeout). */
    public Set<String> addresses(String name) throws IOException {
        Set<String> found = new TreeSet<>();
        for (int type : new int[] {Type.A, Type.AAAA}) {
            Message answer = query(name, type);
            for (Record r : answer.getSection(Section.ANSWER)) {
                if (r instanceof ARecord a) {
                    found.add(a.getAddress().getHostAddress());
                } else if (r instanceof AAAARecord a) {
                    found.add(a.getAddress().getHostAddress());
                }
            }
        }
        return found;
    }

    /** One query to this dnsmasq (1 s timeout, no retry); any rcode is returned. */
    public Message query(String name, int type) throws IOException {
        SimpleResolver r = new SimpleResolver(address());
        r.setTimeout(Duration.ofSeconds(1));
        return r.send(Message.newQuery(Record.newRecord(Name.fromString(name, Name.root), type, DClass.IN)));
    }

    @Override
    public String toString() {
        return "dnsmasq[127.0.0.1:" + port() + ", " + dir + "]";
    }

    private void writeHosts(Map<String, List<String>> hosts) throws IOException {
        StringBuilder text = new StringBuilder();
        new TreeMap<>(hosts).forEach((name, addresses) -> addresses.forEach(a -> text.append(a).append(' ').append(name).append('\n')));
        // Written beside the directory and moved in, so that dnsmasq never reads half a file.
        Path tmp = Files.createTempFile(dir, "hosts", ".tmp");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        Files.move(tmp, hostsDir.resolve("hosts"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private synchronized void launch(int fixedPort) throws IOException, InterruptedException {
        String failure = null;
        for (int attempt = 0; attempt < PORT_TRIES; attempt++) {
            int p = fixedPort > 0 ? fixedPort : freePort();
            failure = tryStart(p);
            if (failure == null) {
                port = p;
                return;
            }
            if (!failure.contains("in use")) {
                break;
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("dnsmasq did not start: " + failure + " (see " + dir + ")");
    }

    /** Starts dnsmasq on {@code p} and waits until it answers; returns {@code null} or why it did not start. */
    private String tryStart(int p) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(COMMAND, "--keep-in-foreground", "--no-resolv", "--no-hosts",
                "--local=/test/", "--bind-interfaces", "--listen-address=127.0.0.1", "--port=" + p,
                "--local-ttl=" + options.ttl, "--hostsdir=" + hostsDir, "--pid-file=", "--log-queries",
                "--log-facility=" + logFile(), "--user=" + System.getProperty("user.name")));
        srv.forEach(s -> command.add(s.option()));
        command.addAll(options.extraArgs);
        Path stderr = dir.resolve("stderr.log");
        Process started = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(stderr.toFile())).start();
        started.getOutputStream().close();
        installShutdownHook();
        process = started;
        RUNNING.add(this);
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        SimpleResolver probe = new SimpleResolver(new InetSocketAddress(InetAddress.getLoopbackAddress(), p));
        probe.setTimeout(Duration.ofMillis(200));
        while (System.nanoTime() - deadline < 0) {
            if (!started.isAlive()) {
                stop();
                return "exit " + started.exitValue() + ": " + Files.readString(stderr, StandardCharsets.UTF_8).strip();
            }
            try {
                Message m = probe.send(Message.newQuery(Record.newRecord(Name.fromString("probe.kodiak.test."), Type.A, DClass.IN)));
                if (m.getRcode() == Rcode.NXDOMAIN || m.getRcode() == Rcode.NOERROR) {
                    return null;
                }
            } catch (IOException e) {
                // not listening yet
            }
        }
        stop();
        return "no answer within " + START_TIMEOUT;
    }

    /** A port free for both UDP and TCP on 127.0.0.1 right now (dnsmasq binds both). */
    private static int freePort() throws IOException {
        InetAddress lo = InetAddress.getLoopbackAddress();
        for (int i = 0; i < PORT_TRIES; i++) {
            try (DatagramSocket udp = new DatagramSocket(new InetSocketAddress(lo, 0))) {
                int p = udp.getLocalPort();
                try (ServerSocket tcp = new ServerSocket(p, 1, lo)) {
                    return p;
                } catch (IOException taken) {
                    // TCP side in use: try another
                }
            }
        }
        throw new IOException("no port free for both UDP and TCP after " + PORT_TRIES + " tries");
    }

    private static void installShutdownHook() {
        if (HOOK_INSTALLED.compareAndSet(false, true)) {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> RUNNING.forEach(d -> {
                Process p = d.process;
                if (p != null) {
                    p.destroyForcibly();
                }
            }), "dnsmasq-cleanup"));
        }
    }

    /** Options of one instance. */
    public static final class Builder {
        private int ttl = 1;
        private final List<Srv> srv = new ArrayList<>();
        private Map<String, List<String>> hosts = Map.of();
        private final List<String> extraArgs = new ArrayList<>();
        private Path baseDir;

        private Builder() {
        }

        /** The TTL of every answer ({@code --local-ttl}), in seconds; default 1. */
        public Builder ttl(int seconds) {
            this.ttl = seconds;
            return this;
        }

        /** The initial A/AAAA records (see {@link Dnsmasq#setHosts}). */
        public Builder hosts(Map<String, List<String>> initial) {
            this.hosts = Map.copyOf(initial);
            return this;
        }

        /** Adds an SRV record. */
        public Builder srv(Srv record) {
            srv.add(record);
            return this;
        }

        /** More dnsmasq options, e.g. {@code --host-record=...}. */
        public Builder args(String... more) {
            extraArgs.addAll(List.of(more));
            return this;
        }

        /** Where the instance's directory is made (default {@code target/dnsmasq}). */
        public Builder baseDir(Path parent) {
            this.baseDir = parent;
            return this;
        }

        /** Starts dnsmasq and waits until it answers (skips the test if dnsmasq is missing and CI is unset). */
        public Dnsmasq start() throws IOException, InterruptedException {
            Tools.require(COMMAND, "--version", "dnsmasq-base");
            Dnsmasq d = new Dnsmasq(this);
            d.launch(0);
            return d;
        }
    }
}
