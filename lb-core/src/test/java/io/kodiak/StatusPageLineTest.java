package io.kodiak;

import io.kodiak.config.AdminConfig;
import io.kodiak.demo.DemoUpstream;
import io.kodiak.testing.Loopback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The line Kodiak prints at start for its status page: where it is, and, when the token was
 * generated (the demo) or came from the environment, how to get it for the login.
 */
@Timeout(60)
class StatusPageLineTest {
    @TempDir
    Path dir;
    private final List<DemoUpstream> upstreams = new ArrayList<>();
    private Kodiak kodiak;

    @AfterEach
    void stop() {
        if (kodiak != null) {
            kodiak.close();
        }
        upstreams.forEach(DemoUpstream::close);
    }

    private String describe(AdminConfig admin) throws Exception {
        upstreams.add(DemoUpstream.start("demo-1"));
        kodiak = Kodiak.start(Main.demoConfig(Loopback.at(0), upstreams).withAdmin(admin));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Main.describe(kodiak, new PrintStream(out, true, StandardCharsets.UTF_8));
        return out.toString(StandardCharsets.UTF_8);
    }

    private static String line(String text, String prefix) {
        return text.lines().filter(l -> l.startsWith(prefix)).findFirst().orElse("(no line " + prefix + " in:\n" + text + ")");
    }

    @Test
    void aConfiguredTokenGetsThePagesAddressAlone() throws Exception {
        String text = describe(new AdminConfig(Loopback.at(0), "a-configured-token", null));
        InetSocketAddress a = kodiak.adminAddress();
        assertEquals("status page: http://127.0.0.1:" + a.getPort() + "/", line(text, "status page: "));
        assertTrue(text.indexOf("admin API: ") < text.indexOf("status page: "), text);
    }

    @Test
    void aGeneratedTokenGetsTheCommandThatPrintsIt() throws Exception {
        // The token file goes to kodiak.home, as Main's demo would write it to ~/.kodiak.
        String before = System.getProperty("kodiak.home");
        System.setProperty("kodiak.home", dir.toString());
        try {
            String text = describe(new AdminConfig(Loopback.at(0), null, null));
            int port = kodiak.adminAddress().getPort();
            assertEquals("status page: http://127.0.0.1:" + port + "/ (log in with: bin/kodiak ctl token --admin 127.0.0.1:" + port + ")",
                    line(text, "status page: "));
        } finally {
            if (before == null) {
                System.clearProperty("kodiak.home");
            } else {
                System.setProperty("kodiak.home", before);
            }
        }
    }

    @Test
    void noAdminListenerNoPage() throws Exception {
        String text = describe(AdminConfig.OFF);
        assertFalse(text.contains("status page"), text);
    }
}
