package io.kodiak.e2e;

import io.kodiak.Kodiak;
import io.kodiak.config.ConfigLoader;
import io.kodiak.testing.Gunicorn;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.Tools;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * slowhttptest (Debian {@code slowhttptest}) against Kodiak in front of a real Gunicorn with two
 * sync workers, in its slow headers ({@code -H}, Slowloris), slow body ({@code -B}, R-U-Dead-Yet)
 * and slow read ({@code -X}) modes, and once more with a per-address cap. Each attack runs
 * {@link #LENGTH} seconds with tight limits (below), and the test reads slowhttptest's CSV report
 * (seconds, closed, pending, connected, service available) to assert that the attacking
 * connections were closed within the configured limit (plus slack for a loaded machine) and that
 * slowhttptest's own probe always found the service available. Independently, a probe client from
 * 127.0.0.2 asks for a page every 200 ms throughout, and nearly all of those must be answered 200.
 */
@Timeout(240)
class SlowHttpTestEndToEndTest {
    /** Seconds each attack lasts at most (slowhttptest ends sooner once every connection is closed). */
    private static final int LENGTH = 12;
    /** Attacking connections, opened at {@link #RATE} a second: all open within 2 s. */
    private static final int CONNECTIONS = 150;
    private static final int RATE = 100;
    /** Beyond each limit: the sweep period, the opening of all connections, a loaded machine. */
    private static final int SLACK = 4;

    private static final String TIMEOUTS = "    timeouts: {request-header: 3s, keep-alive: 5s, body: 2s, body-min-rate: 200/s,"
            + " body-total: 4s, send: 2s, send-min-rate: 1KiB/s}\n";

    private static Gunicorn gunicorn;

    @TempDir
    Path dir;

    @BeforeAll
    static void startGunicorn() throws Exception {
        requireSlowhttptest();
        gunicorn = Gunicorn.builder("g1").workers(2).start();
    }

    @AfterAll
    static void stopGunicorn() {
        if (gunicorn != null) {
            gunicorn.close();
        }
    }

    @Test
    void slowHeadersAreCutAtTheRequestHeaderTimeout() throws Exception {
        try (Kodiak kodiak = kodiak("")) {
            Report r = attack(kodiak, "-H", "-i", "1");
            r.assertClosedBy(3 + 2 + SLACK); // request-header from the first byte, all open within 2 s
        }
    }

    @Test
    void slowBodiesAreCutByTheMinimumRateOrTheirTotalTime() throws Exception {
        try (Kodiak kodiak = kodiak("")) {
            Report r = attack(kodiak, "-B", "-i", "1", "-s", "8192", "-x", "10");
            r.assertClosedBy(4 + 2 + SLACK); // body-total 4s at the latest
        }
    }

    @Test
    void slowReadersAreCutBySendAndSendMinRate() throws Exception {
        try (Kodiak kodiak = kodiak("")) {
            // 4 MB: more than the kernel's socket buffers take on loopback (about 1 MB), so that
            // Kodiak still holds output when the client stalls. A response the kernel takes whole
            // leaves Kodiak at once (the kernel trickles it out, Kodiak's connection is idle).
            // It reads 512 bytes a second, under send-min-rate. Kodiak resets the connection, but
            // slowhttptest sees the reset only once it has read what its own socket buffer holds
            // (some 2 KB, its smallest): about 5 s more.
            Report r = attack(kodiak, "-X", "-l", "20", "-c", "40", "-k", "1", "-n", "1", "-w", "1", "-y", "64",
                    "-z", "512", "-u", "http://127.0.0.1:" + kodiak.boundAddress("web").getPort() + "/bytes?n=4000000");
            r.assertClosedBy(2 + 2 + 5 + SLACK); // send: no progress for 2 s (or under 1 KiB/s over 2 s)
        }
    }

    @Test
    void anAddressOverItsCapGetsNoMoreConnectionsWhileOthersAreServed() throws Exception {
        try (Kodiak kodiak = kodiak("    limits: {max-connections-per-address: 20}\n")) {
            Report r = attack(kodiak, "-H", "-i", "1");
            // A refused connection is accepted by the kernel, then closed by Kodiak: slowhttptest
            // counts it as connected until it reads that close, so a sample taken meanwhile may
            // show a few over the cap. Once the attack settles (from its second second), none are.
            int most = r.rows.stream().mapToInt(row -> row[3]).max().orElse(0);
            assertTrue(most <= 20 + 5, "slowhttptest had " + most + " connections from one address over a cap of 20\n" + r);
            int settled = r.rows.stream().filter(row -> row[0] >= 2).mapToInt(row -> row[3]).max().orElse(0);
            assertTrue(settled <= 20, "slowhttptest kept " + settled + " connections from one address over a cap of 20\n" + r);
            assertTrue(most > 0, "the attack never connected\n" + r);
            // slowhttptest's own probe comes from the attacker's address, so it is refused too:
            // only the probe from 127.0.0.2 says whether the service stayed available.
        }
    }

    // ------------------------------------------------------------------ the attack and its report

    private Kodiak kodiak(String listenerKeys) throws Exception {
        String yaml = Gunicorn.kodiakYaml(List.of(gunicorn), "    buffering: {memory: 64KiB}\n")
                .replace("    address: 127.0.0.1:0\n", "    address: 127.0.0.1:0\n" + TIMEOUTS + listenerKeys);
        return Kodiak.start(ConfigLoader.parse(yaml, dir.resolve("kodiak.yaml")));
    }

    /**
     * Runs slowhttptest in {@code mode} against Kodiak for {@link #LENGTH} seconds while a probe
     * from 127.0.0.2 asks for {@code /}; asserts the probe was answered, and returns the report.
     */
    private Report attack(Kodiak kodiak, String... mode) throws Exception {
        int port = kodiak.boundAddress("web").getPort();
        List<String> command = new ArrayList<>(List.of("slowhttptest", "-c", String.valueOf(CONNECTIONS), "-r",
                String.valueOf(RATE), "-l", String.valueOf(LENGTH), "-p", "3", "-g", "-o", dir.resolve("report").toString(),
                "-u", "http://127.0.0.1:" + port + "/"));
        command.addAll(List.of(mode)); // a later -u or -c wins
        Probe probe = new Probe(port);
        Thread prober = new Thread(probe, "probe-127.0.0.2");
        prober.start();
        Process p = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir.resolve("slowhttptest.out").toFile()).start();
        try {
            assertTrue(p.waitFor(LENGTH + 60, TimeUnit.SECONDS), "slowhttptest did not end");
        } finally {
            Tools.stop(p);
            probe.stop.set(true);
            prober.join(10_000);
        }
        Report r = Report.read(dir.resolve("report.csv"), dir.resolve("slowhttptest.out"));
        assertTrue(probe.asked.get() >= 5, "the probe asked only " + probe.asked + " times");
        // Nearly every probe answered: a loaded machine may lose one now and then, never a stretch.
        assertTrue(probe.failed.get() <= Math.max(2, probe.asked.get() / 10),
                probe.failed + " of " + probe.asked + " probes from 127.0.0.2 failed (" + probe.lastFailure + ")\n" + r);
        assertTrue(probe.longestFailedRun.get() <= 2, "the service was unavailable to 127.0.0.2 for "
                + probe.longestFailedRun + " probes in a row\n" + r);
        return r;
    }

    /**
     * slowhttptest's CSV: one row a second of seconds, closed, pending, connected, service
     * available; and its exit status, from what it printed. It ends before its time with
     * "No open connections left" once the server has closed every connection, and then the CSV's
     * last row (written each second) may still show some open.
     */
    private record Report(List<int[]> rows, String exitStatus) {
        static Report read(Path csv, Path output) throws IOException {
            String printed = Files.readString(output, java.nio.charset.StandardCharsets.ISO_8859_1)
                    .replaceAll("\u001B\\[[0-9;]*[A-Za-z]", "");
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("Exit status:\\s*([^\\n]*)").matcher(printed);
            String exit = m.find() ? m.group(1).trim() : "(none printed)";
            List<int[]> rows = new ArrayList<>();
            for (String line : Files.readAllLines(csv)) {
                if (line.isBlank() || !Character.isDigit(line.charAt(0))) {
                    continue; // the header
                }
                String[] f = line.split(",");
                int[] row = new int[5];
                for (int i = 0; i < 5; i++) {
                    row[i] = Integer.parseInt(f[i].trim());
                }
                rows.add(row);
            }
            assertTrue(rows.size() >= 2, "a short report: " + rows.size() + " rows");
            return new Report(rows, exit);
        }

        /**
         * The attack connected, and from {@code seconds} on none of its connections is open (or
         * slowhttptest ended before, as it does once every connection is closed), and
         * slowhttptest's probe found the service available in every row.
         */
        void assertClosedBy(int seconds) {
            int most = rows.stream().mapToInt(row -> row[3]).max().orElse(0);
            assertTrue(most >= 10, "the attack held only " + most + " connections at once\n" + this);
            int[] last = rows.get(rows.size() - 1);
            if (last[0] < seconds) {
                assertEquals("No open connections left", exitStatus, "slowhttptest ended at " + last[0] + " s\n" + this);
            }
            for (int[] row : rows) {
                if (row[0] >= seconds) {
                    assertEquals(0, row[3], "connections still open at " + row[0] + " s\n" + this);
                }
                assertTrue(row[4] > 0, "slowhttptest found the service unavailable at " + row[0] + " s\n" + this);
            }
            if (last[0] >= seconds) {
                assertTrue(last[1] >= most, "closed " + last[1] + " of the " + most + " connections\n" + this);
            }
        }

        @Override
        public String toString() {
            StringBuilder b = new StringBuilder("exit status: " + exitStatus + "\nseconds,closed,pending,connected,available\n");
            for (int[] row : rows) {
                b.append(row[0]).append(',').append(row[1]).append(',').append(row[2]).append(',').append(row[3])
                        .append(',').append(row[4]).append('\n');
            }
            return b.toString();
        }
    }

    /** Asks Kodiak for {@code /} from 127.0.0.2 every 200 ms until stopped; counts what failed. */
    private static final class Probe implements Runnable {
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicInteger asked = new AtomicInteger();
        final AtomicInteger failed = new AtomicInteger();
        final AtomicInteger longestFailedRun = new AtomicInteger();
        volatile String lastFailure = "none";
        private final int port;

        Probe(int port) {
            this.port = port;
        }

        @Override
        public void run() {
            int run = 0;
            while (!stop.get()) {
                asked.incrementAndGet();
                String failure = once();
                if (failure == null) {
                    run = 0;
                } else {
                    failed.incrementAndGet();
                    lastFailure = failure;
                    longestFailedRun.accumulateAndGet(++run, Math::max);
                }
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        /** One request on a new connection: null if it was answered 200, else what went wrong. */
        private String once() {
            try (Socket s = new Socket()) {
                s.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.2"), 0));
                s.connect(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port), 3_000);
                s.setSoTimeout(3_000);
                try (RawClient c = RawClient.over(s)) {
                    int status = c.get("/").status();
                    return status == 200 ? null : "status " + status;
                }
            } catch (IOException e) {
                return e.toString();
            }
        }
    }

    /** slowhttptest exits 1 for {@code -h}, so {@link Tools#require} cannot ask it: look on PATH. */
    private static void requireSlowhttptest() {
        boolean found = java.util.Arrays.stream(System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator))
                .anyMatch(d -> Files.isExecutable(Path.of(d, "slowhttptest")));
        if (!found) {
            String message = "slowhttptest is not installed (not on PATH); install it with: apt-get install -y slowhttptest";
            String ci = System.getenv("CI");
            if (ci == null || ci.isEmpty()) {
                Assumptions.abort(message + ". Skipping: the CI environment variable is unset.");
            }
            throw new IllegalStateException(message + ". Required because CI=" + ci + ".");
        }
    }
}
