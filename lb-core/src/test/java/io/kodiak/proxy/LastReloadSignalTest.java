package io.kodiak.proxy;

import io.kodiak.admin.Json;
import io.kodiak.testing.ScriptedUpstream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The status page's "last reload" after a SIGHUP (issue 19): a reload by signal is shown as one
 * through the admin API is, applied or rejected. A real {@code kodiak run} in a child JVM, since
 * only Main handles the signal.
 */
@Timeout(90)
class LastReloadSignalTest {
    @TempDir
    Path dir;
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
    }

    private static String config(String upstreams) {
        return """
                admin:
                  listen: 127.0.0.1:0
                  token: %s
                  state-file: off
                metrics: off
                listeners:
                  - name: web
                    address: 127.0.0.1:0
                pools:
                  app:
                    upstreams: [%s]
                """.formatted(AdminApiTest.TOKEN, upstreams);
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> kodiakStatus(int adminPort) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/v1/status")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return (Map<String, Object>) ((Map<String, Object>) Json.parse(r.body())).get("kodiak");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> lastReload(Map<String, Object> kodiak) {
        return (Map<String, Object>) kodiak.get("last_reload");
    }

    @Test
    void aSighupReloadIsShownAppliedAndThenRejected() throws Exception {
        ScriptedUpstream a = ScriptedUpstream.start("a");
        ScriptedUpstream b = ScriptedUpstream.start("b");
        closeables.add(a);
        closeables.add(b);
        Path file = dir.resolve("kodiak.yaml");
        Files.writeString(file, config(a.hostPort()));
        ChildKodiak k = ChildKodiak.start(file, List.of("-Xmx256m"), Duration.ofSeconds(30));
        closeables.add(k);
        int admin = k.adminPort();
        assertNull(lastReload(kodiakStatus(admin)), "no reload yet");

        Files.writeString(file, config(a.hostPort() + ", " + b.hostPort()));
        k.signal("HUP");
        Conditions.await("the SIGHUP reload shown", () -> {
            try {
                return lastReload(kodiakStatus(admin)) != null;
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }, Duration.ofSeconds(20));
        Map<String, Object> kodiak = kodiakStatus(admin);
        Map<String, Object> r = lastReload(kodiak);
        assertEquals(true, r.get("ok"), r.toString());
        assertEquals(kodiak.get("config_version"), r.get("config_version"));
        assertNull(r.get("error"));
        String firstAt = (String) r.get("at");

        Files.writeString(file, config(a.hostPort()) + "    strategy: fastest\n");
        k.signal("HUP");
        Conditions.await("the rejected SIGHUP reload shown", () -> {
            try {
                return !firstAt.equals(lastReload(kodiakStatus(admin)).get("at"));
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }, Duration.ofSeconds(20));
        kodiak = kodiakStatus(admin);
        r = lastReload(kodiak);
        assertEquals(false, r.get("ok"), r.toString());
        assertEquals(kodiak.get("config_version"), r.get("config_version"), "the version still running");
        assertTrue(((String) r.get("error")).contains("pools.app.strategy"), r.toString());
    }
}
