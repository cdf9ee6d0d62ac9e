package io.kodiak.proxy;

import io.kodiak.config.ConfigException;
import io.kodiak.config.ConfigLoader;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.ScriptedUpstream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;

import static io.kodiak.proxy.AccessRulesTest.ONE;
import static io.kodiak.proxy.AccessRulesTest.TWO;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A source file over real sockets across reloads and changes on disk: a reload with a bad line
 * fails naming the file and line and keeps the running rules; a good reload takes the new list;
 * a change on disk between reloads is taken up by the files' check (called here directly), and a
 * broken file on disk keeps the last good list.
 */
@Timeout(60)
class AccessReloadTest {
    @TempDir
    Path dir;
    private ScriptedUpstream web;
    private ProxyServer server;
    private Path block;
    private Path file;
    private int tick;

    @BeforeEach
    void start() throws Exception {
        web = ScriptedUpstream.start("web");
        block = dir.resolve("block.txt");
        write("127.0.0.2\n");
        file = dir.resolve("kodiak.yaml");
        Files.writeString(file, "admin: {listen: off, state-file: off}\nmetrics: off\n"
                + "listeners:\n  - name: front\n    address: 127.0.0.1:0\n"
                + "    access: [{action: deny, source-file: block.txt}]\n"
                + "    routes: [{pool: web}]\n"
                + "pools:\n"
                + "  web: {health-check: {type: none}, upstreams: [{name: web, address: \"" + web.hostPort() + "\"}]}\n");
        server = ProxyServer.start(ConfigLoader.load(file));
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        web.close();
    }

    /** Writes the list and moves its time on, so each version shows whatever the clock's grain. */
    private void write(String text) throws Exception {
        Files.writeString(block, text);
        Files.setLastModifiedTime(block, FileTime.from(Instant.ofEpochSecond(1_700_000_000L + tick++)));
    }

    private int get(InetAddress from) throws Exception {
        try (RawClient c = RawClient.connectFrom(from, server.boundAddress("front").getPort())) {
            return c.get("/").status();
        }
    }

    private void reload() throws Exception {
        server.reload(ConfigLoader.load(file));
    }

    @Test
    void aBadLineFailsTheReloadAndKeepsTheRunningRules() throws Exception {
        assertEquals(403, get(TWO));
        assertEquals(200, get(ONE));
        write("127.0.0.1\n127.0.0.300\n");
        ConfigException e = assertThrows(ConfigException.class, this::reload);
        assertEquals(file + ":6: listeners[0].access[0].source-file: " + block
                + ":2: \"127.0.0.300\" is not an address or range (such as 10.0.0.0/8, 192.168.1.7, ::1/128)", e.getMessage());
        assertEquals(403, get(TWO), "the running rules stay");
        assertEquals(200, get(ONE));

        write("127.0.0.1\n");
        reload();
        assertEquals(403, get(ONE), "the reload took the new list");
        assertEquals(200, get(TWO));
    }

    @Test
    void aChangeOnDiskIsTakenUpWithoutAReloadAndABrokenFileKeepsTheLastGoodList() throws Exception {
        AccessFiles files = server.featureRuntime().access();
        assertEquals(1, files.size());
        write("# now both\n127.0.0.1\n127.0.0.2\n");
        files.recheckAll();
        assertEquals(403, get(ONE));
        assertEquals(403, get(TWO));

        write("127.0.0.1\nhalf-writ");
        files.recheckAll();
        assertEquals(403, get(ONE), "a broken file keeps the last good list");
        assertEquals(403, get(TWO));

        write("");
        files.recheckAll();
        assertEquals(200, get(ONE), "an empty list denies no one");
        assertEquals(200, get(TWO));
        assertTrue(web.requestsReceived() >= 2);
    }
}
