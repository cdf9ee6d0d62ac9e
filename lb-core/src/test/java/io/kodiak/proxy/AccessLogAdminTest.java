package io.kodiak.proxy;

import io.kodiak.Kodiak;
import io.kodiak.accesslog.AccessLog;
import io.kodiak.admin.Ctl;
import io.kodiak.config.AccessLogConfig;
import io.kodiak.config.AdminConfig;
import io.kodiak.testing.Loopback;
import io.kodiak.testing.ScriptedUpstream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Reopening the access logs for logrotate through the admin API ({@code POST /v1/reopen-logs})
 * and {@code kodiak ctl reopen-logs}: after the file was renamed, a new one appears at its path
 * and the lines from then on go there; a reopen that fails says which log and why.
 */
@Timeout(60)
class AccessLogAdminTest {
    @TempDir
    Path dir;
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

    private Kodiak start(AccessLogConfig log) throws IOException {
        ScriptedUpstream a = ScriptedUpstream.start("a");
        closeables.add(a);
        Kodiak k = Kodiak.start(ProxyConfig.to(a).accessLog(log).build()
                .withAdmin(new AdminConfig(Loopback.at(0), AdminApiTest.TOKEN, null)));
        closeables.add(k);
        return k;
    }

    private record Run(int code, String out, String err) {
    }

    private Run ctl(Kodiak k, String... args) {
        Map<String, String> env = Map.of("KODIAK_ADMIN", "127.0.0.1:" + k.adminAddress().getPort(),
                "KODIAK_ADMIN_TOKEN", AdminApiTest.TOKEN, "KODIAK_HOME", dir.toString());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Ctl.run(List.of(args), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), env::get);
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** Logs {@code target} as the data path will, and waits until the line is in {@code file}. */
    private static void logAndAwait(AccessLog log, String target, Path file) throws InterruptedException {
        log.log(AccessLogListenerTest.entry(ProxyConfig.LISTENER, target));
        Conditions.await(target + " in " + file, () -> lines(file).stream().anyMatch(l -> l.endsWith(" " + target)),
                Duration.ofSeconds(10));
    }

    private static List<String> lines(Path file) {
        try {
            return Files.exists(file) ? Files.readAllLines(file) : List.of();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void theAdminApiReopensEveryLogAndLinesThenGoToTheNewFile() throws Exception {
        Path file = dir.resolve("access.log");
        Path rotated = dir.resolve("access.log.1");
        Kodiak k = start(AccessLogConfig.target(file.toString(), null).withFormat("$status $request_uri"));
        AccessLog log = k.accessLogs().get(0);
        logAndAwait(log, "/before", file);
        Files.move(file, rotated); // logrotate's rename

        AdminApiTest api = new AdminApiTest();
        AdminApiTest.Answer r = api.post(k, "/v1/reopen-logs", null);
        assertEquals(200, r.status(), r.raw().body());
        assertEquals(Map.of("reopened", List.of(Map.of("listener", ProxyConfig.LISTENER, "target", "file " + file))), r.body());
        assertTrue(Files.exists(file), "the reopen made a new file at the path");
        logAndAwait(log, "/after", file);
        assertEquals(List.of("200 /before"), lines(rotated));
        assertEquals(List.of("200 /after"), lines(file));

        assertEquals(401, api.call(k, "POST", "/v1/reopen-logs", null, null).status(), "a change: it needs the token");
        assertEquals(405, api.call(k, "GET", "/v1/reopen-logs", null, null).status());
        assertEquals(400, api.post(k, "/v1/reopen-logs", "{\"now\": true}").status(), "it takes no body");
    }

    @Test
    void ctlReopenLogsSaysWhatItReopenedAndItsHelpWorks() throws Exception {
        Path file = dir.resolve("access.log");
        Kodiak k = start(AccessLogConfig.target(file.toString(), null));
        Files.move(file, dir.resolve("access.log.1"));
        Run r = ctl(k, "reopen-logs");
        assertEquals(Ctl.OK, r.code(), r.err());
        assertEquals("listener " + ProxyConfig.LISTENER + ": reopened file " + file + "\n", r.out());
        assertTrue(Files.exists(file));

        r = ctl(k, "reopen-logs", "--json");
        assertEquals(Ctl.OK, r.code(), r.err());
        assertTrue(r.out().contains("\"reopened\""), r.out());

        r = ctl(k, "reopen-logs", "--help");
        assertEquals(Ctl.OK, r.code(), r.err());
        assertTrue(r.out().startsWith("usage: kodiak ctl reopen-logs [--admin HOST:PORT] [--token TOKEN] [--json] [--instances LIST] [--all]\n"), r.out());
        assertEquals(Ctl.USAGE, ctl(k, "reopen-logs", "web").code(), "it takes no argument");
    }

    @Test
    void aReopenThatFailsNamesTheLogAndWhyAndTheNextOneRecovers() throws Exception {
        Path logs = Files.createDirectory(dir.resolve("logs"));
        Path file = logs.resolve("access.log");
        Kodiak k = start(AccessLogConfig.target(file.toString(), null).withFormat("$status $request_uri"));
        Path moved = dir.resolve("logs.old");
        Files.move(logs, moved); // the directory is gone: there is nowhere to open the file again

        AdminApiTest.Answer r = new AdminApiTest().post(k, "/v1/reopen-logs", null);
        assertEquals(500, r.status(), r.raw().body());
        assertEquals("access log listener " + ProxyConfig.LISTENER + " (file " + file + "): reopen failed: the directory of "
                + file + " does not exist (any more)", r.error());
        Run ctl = ctl(k, "reopen-logs");
        assertEquals(Ctl.REFUSED, ctl.code());
        assertTrue(ctl.err().startsWith("kodiak ctl: access log listener " + ProxyConfig.LISTENER + " (file " + file
                + "): reopen failed: "), ctl.err());

        Files.move(moved, logs);
        assertEquals(Ctl.OK, ctl(k, "reopen-logs").code(), "the directory is back: the log writes again");
        logAndAwait(k.accessLogs().get(0), "/again", file);
    }

    @Test
    void withoutAccessLogsThereIsNothingToReopen() throws Exception {
        Kodiak k = start(null);
        assertEquals(Map.of("reopened", List.of()), new AdminApiTest().post(k, "/v1/reopen-logs", null).body());
        Run r = ctl(k, "reopen-logs");
        assertEquals(Ctl.OK, r.code(), r.err());
        assertEquals("no listener has an access log: nothing to reopen\n", r.out());
        assertFalse(Files.list(dir).anyMatch(p -> p.toString().endsWith(".log")));
    }
}
