package io.kodiak.e2e;

import io.kodiak.Main;
import io.kodiak.admin.Ctl;
import io.kodiak.admin.Json;
import io.kodiak.proxy.ChildKodiak;
import io.kodiak.testing.CtlRun;
import io.kodiak.testing.Gunicorn;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 18's "several instances": three Kodiak processes ({@code java ... io.kodiak.Main run -c},
 * as {@code bin/kodiak run} runs it) in front of the same two Gunicorn instances, driven only by
 * {@code kodiak ctl --all}. One drain reaches all three (their views say DRAIN, and no request
 * through any of them reaches the drained node), by pool and upstream and by address;
 * {@code status --all} shows three columns, and an instance that was killed shows as
 * {@code unreachable} with exit code 4.
 */
@Timeout(180)
class SeveralInstancesTest {
    private static final String TOKEN = "several-instances-token-0123";
    private static final Duration STARTUP = Duration.ofSeconds(60);

    @TempDir
    Path dir;
    private final List<Gunicorn> gunicorns = new ArrayList<>();
    private final List<ChildKodiak> kodiaks = new ArrayList<>();
    private final Map<String, String> env = new HashMap<>();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @AfterEach
    void stop() throws InterruptedException {
        kodiaks.forEach(ChildKodiak::close);
        for (Gunicorn g : gunicorns) {
            g.kill();
        }
    }

    private CtlRun ctl(String... args) {
        return CtlRun.run(env::get, args);
    }

    /** Which Gunicorn answered {@code GET /} through the Kodiak listening on {@code port}. */
    private String instanceBehind(int port) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return r.headers().firstValue("X-Instance").orElse("?");
    }

    @Test
    void oneDrainReachesEveryInstanceAndStatusShowsThemSideBySide() throws Exception {
        gunicorns.add(Gunicorn.builder("g1").workers(2).start());
        gunicorns.add(Gunicorn.builder("g2").workers(2).start());
        String yaml = Gunicorn.kodiakYaml(gunicorns, """
                    health-check: {type: http, path: /, interval: 500ms, timeout: 2s, rise: 1, fall: 2}
                """).replace("""
                admin:
                  listen: off
                """, """
                admin:
                  listen: 127.0.0.1:0
                  token: %s
                """.formatted(TOKEN));
        List<String> admins = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Path config = dir.resolve("kodiak-" + i + ".yaml");
            Files.writeString(config, yaml);
            List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), Main.class.getName(), "run", "-c", config.toString());
            ChildKodiak k = ChildKodiak.start(command, Map.of("KODIAK_HOME", dir.toString()), STARTUP);
            kodiaks.add(k);
            admins.add("127.0.0.1:" + k.adminPort());
        }
        env.put("KODIAK_ADMIN_TOKEN", TOKEN);
        env.put("KODIAK_HOME", dir.toString());
        String instances = String.join(",", admins);
        for (ChildKodiak k : kodiaks) {
            for (int i = 0; i < 4; i++) {
                instanceBehind(k.port()); // every instance serves before the drain
            }
        }

        CtlRun drain = ctl("drain", "app", "g1", "--all", "--wait", "--timeout", "30s", "--instances", instances);
        assertEquals(Ctl.OK, drain.code(), drain.out() + drain.err());
        for (String admin : admins) {
            assertTrue(drain.out().contains(admin + ": app/g1: drained (nothing in flight)"), drain.out());
        }
        CtlRun json = ctl("status", "--all", "--json", "--instances", instances);
        assertEquals(Ctl.OK, json.code(), json.err());
        List<?> views = (List<?>) ((Map<?, ?>) Json.parse(json.out())).get("instances");
        assertEquals(3, views.size(), json.out());
        for (Object v : views) {
            Map<?, ?> pool = (Map<?, ?>) ((List<?>) ((Map<?, ?>) ((Map<?, ?>) v).get("status")).get("pools")).get(0);
            Map<?, ?> g1 = (Map<?, ?>) ((List<?>) pool.get("upstreams")).get(0);
            assertEquals("g1", g1.get("name"), json.out());
            assertEquals("DRAIN", g1.get("state"), json.out());
        }
        for (ChildKodiak k : kodiaks) {
            for (int i = 0; i < 10; i++) {
                assertEquals("g2", instanceBehind(k.port()), "a request through " + k + " reached the drained g1");
            }
        }

        CtlRun status = ctl("status", "--all", "--instances", instances);
        assertEquals(Ctl.OK, status.code(), status.err());
        List<String> lines = status.out().lines().toList();
        assertEquals(3, lines.size(), status.out());
        assertTrue(lines.get(0).matches(" *POOL/UPSTREAM +" + String.join(" +", admins).replace(".", "\\.")), status.out());
        assertTrue(lines.get(1).matches(" +app/g1 +DRAIN 0 +DRAIN 0 +DRAIN 0"), status.out());
        assertTrue(lines.get(2).matches(" +app/g2 +UP \\d+ +UP \\d+ +UP \\d+"), status.out());

        // The same by address (drain ADDRESS: every pool of every instance): g1 back, g2 out.
        CtlRun back = ctl("ready", "app", "g1", "--all", "--wait", "--timeout", "30s", "--instances", instances);
        assertEquals(Ctl.OK, back.code(), back.out() + back.err());
        String g2 = gunicorns.get(1).hostPort();
        CtlRun byAddress = ctl("drain", g2, "--all", "--wait", "--timeout", "30s", "--instances", instances);
        assertEquals(Ctl.OK, byAddress.code(), byAddress.out() + byAddress.err());
        for (String admin : admins) {
            assertTrue(byAddress.out().contains(admin + ": " + g2 + ": drained (nothing in flight on app/g2)"), byAddress.out());
        }
        for (ChildKodiak k : kodiaks) {
            for (int i = 0; i < 10; i++) {
                assertEquals("g1", instanceBehind(k.port()), "a request through " + k + " reached g2, drained by address");
            }
        }

        ChildKodiak killed = kodiaks.get(1);
        killed.close();
        killed.awaitExit(Duration.ofSeconds(30));
        CtlRun down = ctl("status", "--all", "--instances", instances);
        assertEquals(Ctl.UNREACHABLE, down.code(), down.out() + down.err());
        List<String> downLines = down.out().lines().toList();
        assertTrue(downLines.get(1).matches(" +app/g1 +UP \\d+ +unreachable +UP \\d+"), down.out());
        assertTrue(downLines.get(2).matches(" +app/g2 +DRAIN 0 +unreachable +DRAIN 0"), down.out());
        assertTrue(down.err().contains(admins.get(1) + ": cannot reach the admin API"), down.err());

        // The others still take changes, and the exit code still says one was missed.
        CtlRun ready = ctl("ready", g2, "--all", "--wait", "--timeout", "30s", "--instances", instances);
        assertEquals(Ctl.UNREACHABLE, ready.code(), ready.out() + ready.err());
        assertTrue(ready.out().contains(admins.get(0) + ": app/g2: UP after"), ready.out());
        assertTrue(ready.out().contains(admins.get(2) + ": app/g2: UP after"), ready.out());
    }
}
