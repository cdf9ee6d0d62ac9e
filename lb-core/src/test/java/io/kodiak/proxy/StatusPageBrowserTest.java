package io.kodiak.proxy;

import io.kodiak.Kodiak;
import io.kodiak.admin.Json;
import io.kodiak.config.ConfigLoader;
import io.kodiak.testing.BrowserTools;
import io.kodiak.testing.Gunicorn;
import io.kodiak.testing.NodeScript;
import io.kodiak.testing.OtherOrigin;
import io.kodiak.testing.SlowLoad;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 19's status page end to end, in Debian's headless Chromium driven by Playwright
 * ({@code src/test/browser/status-page.js}): Kodiak in process in front of three real Gunicorn
 * instances (and a fourth that a reload adds) under a slow load, its admin API on {@code
 * 127.0.0.1:0} with a token. The script logs in through the page's dialog, drains an upstream with
 * its button and watches the drain finish, readies it, sets a weight and a MAINT through the
 * dialogs, and sees a killed instance turn DOWN and an instance added by a reload appear; it
 * checks that form posts and reads from two other origins, and changes without the CSRF token or
 * the cookie, are refused (with the status and the reason each should get), that a second tab
 * with the cookie but not the tab's CSRF token is read-only, that sorting moves rows and keyboard
 * focus survives updates, and runs axe-core on the page (also at phone size). This test does what the browser cannot
 * (start and kill instances, reload the file, read the API with the Bearer token) when the script
 * asks with a {@code STEP} line; it fails with the script's whole output if any check failed.
 * Screenshots go to {@code target/status-page/}.
 *
 * <p>Skipped without Node.js, {@code /usr/bin/chromium} or the npm packages, unless {@code CI} is set
 * (see {@link BrowserTools}).
 */
@Timeout(300)
class StatusPageBrowserTest {
    private static final String TOKEN = "browser-test-token-0123456789abcdef";

    // The health check, and from it how soon the page must show a killed instance DOWN: the last
    // passed check may have run just before the kill, so the first failure comes at most one
    // interval (+ jitter) later, and FALL failures in a row at most FALL intervals later, each
    // taking at most the check's timeout (a refused connect fails at once); the page then shows it
    // at its next poll (once a second). The margin is for a busy two-core machine.
    private static final Duration INTERVAL = Duration.ofSeconds(1);
    private static final Duration CHECK_TIMEOUT = Duration.ofMillis(500);
    private static final int FALL = 2;
    private static final double JITTER = 0.10;
    private static final Duration PAGE_POLL = Duration.ofSeconds(1);
    private static final Duration MARGIN = Duration.ofSeconds(2);
    static final long DOWN_BOUND_MS = Math.round(FALL * INTERVAL.toMillis() * (1 + JITTER)) + CHECK_TIMEOUT.toMillis()
            + PAGE_POLL.toMillis() + MARGIN.toMillis();

    // Requests of 6 s from 9 clients keep about 3 in flight on each of 3 upstreams, so a drained one
    // still has some for seconds: long enough for a page polling once a second to show them.
    private static final int LOAD_CLIENTS = 9;
    private static final int LOAD_SLEEP_MS = 6000;

    @TempDir
    Path dir;
    private final Map<String, Gunicorn> instances = new LinkedHashMap<>();
    private final List<OtherOrigin> sites = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private Kodiak kodiak;
    private SlowLoad load;
    private Path configFile;
    private String admin;
    private int loadFailuresBeforeKill = -1;

    @AfterEach
    void stop() throws InterruptedException {
        if (load != null) {
            load.stop();
        }
        sites.forEach(OtherOrigin::close);
        if (kodiak != null) {
            kodiak.close();
        }
        for (Gunicorn g : instances.values()) {
            g.kill();
        }
    }

    @Test
    void statusPageInChromium() throws Exception {
        BrowserTools.require();
        for (String name : List.of("a", "b", "c", "d")) {
            // 16 requests at once each: room for the whole load on one instance, so that a health
            // check never waits behind slow requests (it would time out and take a busy instance DOWN).
            instances.put(name, Gunicorn.builder(name).workers(2).workerClass(Gunicorn.WorkerClass.GTHREAD).threads(8).start());
        }
        configFile = dir.resolve("kodiak.yaml");
        writeConfig(List.of("a", "b", "c"));
        kodiak = Kodiak.start(ConfigLoader.load(configFile));
        admin = "http://127.0.0.1:" + kodiak.adminAddress().getPort();
        sites.add(OtherOrigin.start("127.0.0.2", admin));
        sites.add(OtherOrigin.start("127.0.0.1", admin));
        load = SlowLoad.start(kodiak.boundAddress("web").getPort(), LOAD_CLIENTS, LOAD_SLEEP_MS, Duration.ofMinutes(4));

        Path screenshots = Path.of("target", "status-page").toAbsolutePath();
        Map<String, String> env = Map.of(
                "KODIAK_ADMIN", admin,
                "KODIAK_TOKEN", TOKEN,
                "KODIAK_OTHER_SITE", sites.get(0).origin(),
                "KODIAK_OTHER_PORT", sites.get(1).origin(),
                "KODIAK_DOWN_BOUND_MS", Long.toString(DOWN_BOUND_MS),
                "KODIAK_SCREENSHOTS", screenshots.toString(),
                "KODIAK_CHROMIUM", BrowserTools.CHROMIUM.toString());
        NodeScript.Result result = NodeScript.run(BrowserTools.HARNESS, "status-page.js", env,
                screenshots.resolve("node-stderr.txt"), Duration.ofMinutes(4), this::step);

        assertEquals(0, result.exitCode(), "the browser scenario failed: " + result.failures() + "\n" + result);
        assertTrue(result.output().stream().anyMatch(l -> l.startsWith("DONE passed=") && l.contains("failed=0")), result.toString());
        assertEquals(0, loadFailuresBeforeKill, "requests failed before the kill (the drain must lose none): "
                + load.failures().stream().limit(5).toList());
    }

    /** The test's side of the script's STEP lines (see harness.js). */
    private String step(String what) throws Exception {
        String[] words = what.split(" ", 2);
        switch (words[0]) {
            case "loaded": {
                // Waits for a request that has just started on the upstream the script is about to
                // drain (its in-flight count went up): it still has about LOAD_SLEEP_MS to run, so
                // the page sees requests in flight while DRAIN, whatever the older ones do.
                var u = kodiak.upstream("app", words[1]);
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                int last = u.inFlight();
                while (System.nanoTime() < deadline) {
                    int now = u.inFlight();
                    if (now > last) {
                        return now + " in flight, one just started";
                    }
                    last = now;
                    Thread.sleep(2);
                }
                throw new AssertionError("no request started on " + words[1] + " in 30 s of " + load);
            }
            case "kill": {
                loadFailuresBeforeKill = load.failures().size();
                instances.get(words[1]).kill(); // SIGKILL, as a crash; returns once every process is gone
                return "";
            }
            case "reload-add": {
                List<String> names = new ArrayList<>(List.of("a", "b", "c"));
                names.add(words[1]);
                writeConfig(names);
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(admin + "/v1/reload"))
                        .header("Authorization", "Bearer " + TOKEN).timeout(Duration.ofSeconds(20))
                        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() != 200) {
                    throw new AssertionError("reload answered " + r.statusCode() + " " + r.body());
                }
                return String.valueOf(((Map<?, ?>) Json.parse(r.body())).get("config_version"));
            }
            case "api-get": {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(admin + words[1]))
                        .header("Authorization", "Bearer " + TOKEN).timeout(Duration.ofSeconds(10)).GET().build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() != 200) {
                    throw new AssertionError("GET " + words[1] + " answered " + r.statusCode() + " " + r.body());
                }
                return Json.write(Json.parse(r.body())); // one line
            }
            default:
                throw new IllegalArgumentException("unknown step: " + what);
        }
    }

    /** The file: admin on a free loopback port with the token, MBeans only, pool app over {@code names}. */
    private void writeConfig(List<String> names) throws Exception {
        StringBuilder y = new StringBuilder("admin:\n  listen: 127.0.0.1:0\n  token: \"" + TOKEN + "\"\n  state-file: off\n"
                + "metrics:\n  listen: off\n"
                + "listeners:\n  - name: web\n    address: 127.0.0.1:0\n"
                + "pools:\n  app:\n"
                + "    health-check: {type: http, path: /, interval: " + INTERVAL.toMillis() + "ms, timeout: "
                + CHECK_TIMEOUT.toMillis() + "ms, rise: 1, fall: " + FALL + ", jitter: " + Math.round(JITTER * 100) + "%}\n"
                + "    upstreams:\n");
        for (String name : names) {
            y.append("      - {name: ").append(name).append(", address: ").append(instances.get(name).hostPort()).append("}\n");
        }
        Files.writeString(configFile, y.toString());
    }
}
