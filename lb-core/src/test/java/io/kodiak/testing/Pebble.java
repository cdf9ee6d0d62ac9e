package io.kodiak.testing;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Let's Encrypt's test ACME server (Debian's {@code pebble}) with its mock DNS server
 * ({@code pebble-challtestsrv}) answering 127.0.0.1 for every name, so that it validates challenges
 * against the Kodiak under test for real: HTTP-01 on {@code httpPort}, TLS-ALPN-01 on {@code tlsPort}.
 * Its own HTTPS uses a certificate of the caller's test CA. No random validation delays, no
 * rejected nonces, no authorization reuse: each order is validated, and a test sees why it failed.
 * Both processes end on {@link #close}, by their handles.
 */
public final class Pebble implements AutoCloseable {
    public final int port;
    public final int managementPort;
    private final Process dns;
    private final Process pebble;
    public final Path log;

    private Pebble(int port, int managementPort, Process dns, Process pebble, Path log) {
        this.port = port;
        this.managementPort = managementPort;
        this.dns = dns;
        this.pebble = pebble;
        this.log = log;
    }

    /** Ports for Pebble chosen before it starts, so Kodiak's config can name its directory first. */
    public record Ports(int acme, int management, int dns) {
        public static Ports choose() throws IOException {
            return new Ports(ScriptedUpstream.unusedPort(), ScriptedUpstream.unusedPort(), ScriptedUpstream.unusedPort());
        }

        public String directory() {
            return "https://127.0.0.1:" + acme + "/dir";
        }
    }

    /** Skips the test (or fails it under CI) when Debian's pebble is missing. */
    public static void require() {
        Tools.require("pebble", "-h", "pebble");
        Tools.require("pebble-challtestsrv", "-h", "pebble");
    }

    /**
     * Starts both in {@code dir}.
     *
     * @param cert Pebble's HTTPS certificate (for 127.0.0.1) and its key
     * @param httpPort where it sends HTTP-01 validations; {@code tlsPort}: TLS-ALPN-01 ones
     */
    public static Pebble start(Path dir, Path cert, Path key, Ports ports, int httpPort, int tlsPort)
            throws IOException, InterruptedException {
        require();
        int dnsPort = ports.dns();
        int port = ports.acme();
        int mgmt = ports.management();
        Path log = dir.resolve("pebble.log");
        Process dns = new ProcessBuilder("pebble-challtestsrv", "-defaultIPv4", "127.0.0.1", "-defaultIPv6", "",
                "-dns01", "127.0.0.1:" + dnsPort, "-http01", "", "-https01", "", "-tlsalpn01", "",
                "-management", "127.0.0.1:" + ScriptedUpstream.unusedPort())
                .redirectErrorStream(true).redirectOutput(dir.resolve("challtestsrv.log").toFile()).start();
        Path config = dir.resolve("pebble.json");
        Files.writeString(config, "{\"pebble\": {\"listenAddress\": \"127.0.0.1:" + port + "\", \"managementListenAddress\": \"127.0.0.1:"
                + mgmt + "\", \"certificate\": \"" + cert + "\", \"privateKey\": \"" + key + "\", \"httpPort\": " + httpPort
                + ", \"tlsPort\": " + tlsPort + ", \"ocspResponderURL\": \"\", \"externalAccountBindingRequired\": false}}\n");
        ProcessBuilder pb = new ProcessBuilder("pebble", "-config", config.toString(), "-dnsserver", "127.0.0.1:" + dnsPort)
                .redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("PEBBLE_VA_NOSLEEP", "1");
        pb.environment().put("PEBBLE_WFE_NONCEREJECT", "0");
        pb.environment().put("PEBBLE_AUTHZREUSE", "0");
        Process pebble = pb.start();
        Pebble p = new Pebble(port, mgmt, dns, pebble, log);
        for (int i = 0; i < 200 && !(listening(port) && listening(dnsPort, dns)); i++) {
            if (!pebble.isAlive()) {
                p.close();
                throw new IOException("pebble ended: " + Files.readString(log));
            }
            Thread.sleep(50);
        }
        if (!listening(port)) {
            p.close();
            throw new IOException("pebble did not listen within 10 s: " + Files.readString(log));
        }
        return p;
    }

    private static boolean listening(int port) {
        try (Socket s = new Socket(Loopback.ADDRESS, port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The DNS server is UDP: alive is all a test can cheaply see. */
    private static boolean listening(int port, Process dns) {
        return dns.isAlive();
    }

    /** The PEM of the root Pebble issues under (made anew at each start), fetched with curl. */
    public String root(Path dir, Path trust) throws IOException, InterruptedException {
        Tools.Result r = Tools.run(dir, java.util.Map.of(), "curl", "-sS", "--max-time", "10", "--cacert", trust.toString(),
                "https://127.0.0.1:" + managementPort + "/roots/0");
        if (r.exitCode() != 0 || !r.output().contains("BEGIN CERTIFICATE")) {
            throw new IOException("cannot fetch Pebble's root: " + r.output());
        }
        return r.output();
    }

    public String logText() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return e.toString();
        }
    }

    @Override
    public void close() {
        for (Process p : List.of(pebble, dns)) {
            p.destroy();
        }
        for (Process p : List.of(pebble, dns)) {
            try {
                if (!p.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }
}
