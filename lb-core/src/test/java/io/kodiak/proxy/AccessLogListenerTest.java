package io.kodiak.proxy;

import io.kodiak.accesslog.AccessLog;
import io.kodiak.accesslog.AccessLogEntry;
import io.kodiak.accesslog.Termination;
import io.kodiak.config.AccessLogConfig;
import io.kodiak.config.KodiakConfig;
import io.kodiak.config.ServerHeaderPolicy;
import io.kodiak.testing.ScriptedUpstream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A listener's access log as a {@link ProxyServer} runs it: opened when the listener starts,
 * kept or replaced by a reload, shared by listeners that name one file, closed at shutdown. The
 * data path does not build entries yet, so the tests hand entries to the listener's log as the
 * data path will ({@code ListenerRuntime.accessLog.log(entry)}).
 */
@Timeout(60)
class AccessLogListenerTest {
    @TempDir
    Path dir;
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

    static AccessLogEntry entry(String listener, String target) {
        return new AccessLogEntry("127.0.0.1", 40000, 1_796_407_465_123L, "GET", target, "HTTP/1.1", 200, 40, 120, 3,
                1_000_000L, listener, ProxyConfig.POOL, "a", "127.0.0.1:9001", 100_000L, 500_000L, 900_000L, 1, 0,
                "0123456789abcdef0123456789abcdef", "curl/8.5.0", null, Termination.NORMAL);
    }

    private ProxyServer start(KodiakConfig config) throws IOException {
        ProxyServer s = ProxyServer.start(config);
        closeables.add(s);
        return s;
    }

    private ProxyConfig proxyTo() throws IOException {
        ScriptedUpstream a = ScriptedUpstream.start("a");
        closeables.add(a);
        return ProxyConfig.to(a);
    }

    private static AccessLogConfig file(Path p) {
        return AccessLogConfig.target(p.toString(), null);
    }

    @Test
    void theLogIsOpenedWhenTheListenerStartsAndClosedAtShutdown() throws Exception {
        Path file = dir.resolve("access.log");
        ProxyServer server = start(proxyTo().accessLog(file(file)).build());
        assertTrue(Files.exists(file), "opened at start, before the first request");
        List<AccessLog> logs = server.accessLogs();
        assertEquals(1, logs.size());
        AccessLog log = logs.get(0);
        assertEquals(ProxyConfig.LISTENER, log.listener());
        assertEquals("file " + file, log.target());
        log.log(entry(ProxyConfig.LISTENER, "/one"));
        server.close();
        List<String> lines = Files.readAllLines(file);
        assertEquals(1, lines.size(), "written before the close returned: " + lines);
        assertTrue(lines.get(0).matches("127\\.0\\.0\\.1 - - \\[[^]]+] \"GET /one HTTP/1\\.1\" 200 3 \"-\" \"curl/8\\.5\\.0\""),
                "combined: " + lines.get(0));
        log.log(entry(ProxyConfig.LISTENER, "/late"));
        assertEquals(1, log.dropped(), "after shutdown an entry is only counted");
    }

    @Test
    void aListenerWithoutAccessLogHasNone() throws Exception {
        ProxyServer server = start(proxyTo().build());
        assertEquals(List.of(), server.accessLogs());
    }

    @Test
    void aReloadKeepsAnUnchangedLogReplacesAChangedOneAndRejectsOneThatCannotOpen() throws Exception {
        Path file = dir.resolve("access.log");
        ProxyConfig config = proxyTo().accessLog(file(file));
        ProxyServer server = start(config.build());
        AccessLog first = server.accessLogs().get(0);

        List<String> changes = server.reload(config.build());
        assertSame(first, server.accessLogs().get(0), "same access-log, same log: no reopen, counters go on");
        assertEquals(List.of(), changes);

        changes = server.reload(config.accessLog(file(file).withFormat("$request_uri $status")).build());
        AccessLog second = server.accessLogs().get(0);
        assertNotSame(first, second);
        assertEquals(List.of("listener test: access log file " + file + ", format $request_uri $status, buffer 16384"), changes);
        first.log(entry(ProxyConfig.LISTENER, "/to-the-old-one"));
        assertEquals(1, first.dropped(), "the old log was closed by the reload");
        second.log(entry(ProxyConfig.LISTENER, "/two"));

        // Built from records, so no load-time check: the directory is missing only when the log opens.
        Path gone = dir.resolve("gone/access.log");
        KodiakConfig broken = config.accessLog(new AccessLogConfig(AccessLogConfig.Kind.FILE, gone, null, "json", null, 16)).build();
        IOException e = assertThrows(IOException.class, () -> server.reload(broken));
        assertEquals("listener test: access log file " + gone + ": cannot open: the directory " + gone.getParent()
                + " does not exist", e.getMessage());
        assertSame(second, server.accessLogs().get(0), "a rejected reload leaves the log in force");
        assertEquals("$request_uri $status", server.config().listeners().get(0).accessLog().format());

        changes = server.reload(config.accessLog(null).build());
        assertEquals(List.of("listener test: access log off"), changes);
        assertEquals(List.of(), server.accessLogs());
        server.close();
        assertEquals("/two 200", Files.readAllLines(file).get(0));
    }

    /** How many of this process's file descriptors are open on {@code file} (Linux). */
    private static long openDescriptors(Path file) throws IOException {
        try (java.util.stream.Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.filter(fd -> {
                try {
                    return Files.readSymbolicLink(fd).equals(file);
                } catch (IOException e) {
                    return false; // closed while we looked, or the listing's own descriptor
                }
            }).count();
        }
    }

    @Test
    void listenersLoggingToOneFileShareItEachWithItsOwnLog() throws Exception {
        Path file = dir.resolve("access.log");
        ProxyServer server = start(proxyTo().accessLog(file(file).withFormat("$listener $request_uri"))
                .listener("second", ServerHeaderPolicy.DEFAULTS).build());
        List<AccessLog> logs = server.accessLogs();
        assertEquals(2, logs.size(), "one log per listener, so each counts its own");
        assertNotSame(logs.get(0), logs.get(1));
        if (Files.isDirectory(Path.of("/proc/self/fd"))) {
            assertEquals(1, openDescriptors(file), "one open file for both");
        }
        for (int i = 0; i < 100; i++) {
            logs.get(0).log(entry("test", "/a" + i));
            logs.get(1).log(entry("second", "/b" + i));
        }
        server.close();
        List<String> lines = Files.readAllLines(file);
        assertEquals(200, lines.size());
        assertTrue(lines.stream().allMatch(l -> l.matches("(test /a|second /b)\\d+")), "whole lines: " + lines);
        assertEquals(100, logs.get(0).written());
        assertEquals(100, logs.get(1).written());
    }
}
