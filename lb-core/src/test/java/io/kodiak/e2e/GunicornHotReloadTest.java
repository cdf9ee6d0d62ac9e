package io.kodiak.e2e;

import io.kodiak.Kodiak;
import io.kodiak.config.ConfigLoader;
import io.kodiak.testing.Gunicorn;
import io.kodiak.testing.NumberedLoad;
import io.kodiak.upstream.Upstream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue #5's hot reload with real Gunicorn: under a steady load of numbered GETs and POSTs, five
 * reloads of the file add, remove and re-weight upstreams and change a pool setting; no request
 * fails, every reload is in force when it returns, and an instance removed by a reload gets no
 * request issued after that reload returned (its own access log says).
 */
@Timeout(180)
class GunicornHotReloadTest {
    @TempDir
    Path dir;
    private final Map<String, Gunicorn> instances = new HashMap<>();
    private Kodiak kodiak;
    private NumberedLoad load;

    @AfterEach
    void stop() throws InterruptedException {
        if (load != null) {
            load.stop();
        }
        if (kodiak != null) {
            kodiak.close();
        }
        for (Gunicorn g : instances.values()) {
            g.kill();
        }
    }

    /** The file: pool app over {@code weights} (instance name → weight), with {@code extra} pool keys. */
    private void write(Path file, Map<String, Integer> weights, String extra) throws Exception {
        StringBuilder y = new StringBuilder("""
                admin:
                  listen: off
                  state-file: off
                metrics: off
                listeners:
                  - name: web
                    address: 127.0.0.1:0
                pools:
                  app:
                    health-check: {type: http, path: /, interval: 500ms, timeout: 500ms, rise: 1, fall: 2}
                """ + extra + "    upstreams:\n");
        for (String name : List.of("g1", "g2", "g3", "g4")) {
            if (weights.containsKey(name)) {
                y.append("      - {name: ").append(name).append(", address: ").append(instances.get(name).hostPort())
                        .append(", weight: ").append(weights.get(name)).append("}\n");
            }
        }
        Files.writeString(file, y.toString());
    }

    @Test
    void fiveReloadsUnderLoadFailNoRequest() throws Exception {
        for (String name : List.of("g1", "g2", "g3", "g4")) {
            instances.put(name, Gunicorn.builder(name).workers(2).start());
        }
        Path file = dir.resolve("kodiak.yaml");
        write(file, Map.of("g1", 1, "g2", 1, "g3", 1), "");
        kodiak = Kodiak.start(ConfigLoader.load(file));
        load = NumberedLoad.start(kodiak.boundAddress("web").getPort(), 4, 0, Duration.ofMinutes(2));
        load.awaitMore(200, Duration.ofSeconds(30));

        record Step(Map<String, Integer> weights, String extra, String expect) {
        }
        List<Step> steps = List.of(
                new Step(Map.of("g1", 1, "g2", 1, "g3", 1, "g4", 1), "", "upstream g4"),
                new Step(Map.of("g2", 1, "g3", 1, "g4", 1), "", "upstream g1"),
                new Step(Map.of("g2", 3, "g3", 1, "g4", 1), "", "upstream g2 now weight 3"),
                new Step(Map.of("g1", 1, "g2", 3, "g4", 1), "", "upstream g3"),
                new Step(Map.of("g1", 2, "g2", 1, "g4", 1), "    strategy: least-connections\n", "settings changed"));
        Map<String, Long> removedAt = new HashMap<>();
        for (Step step : steps) {
            write(file, step.weights(), step.extra());
            List<Upstream> before = new ArrayList<>(kodiak.pool("app").upstreams());
            Kodiak.Reload r = kodiak.reload();
            long seq = load.nextSeq();
            assertTrue(r.changes().stream().anyMatch(c -> c.contains(step.expect())), step + " -> " + r.changes());
            for (Upstream u : before) {
                if (!step.weights().containsKey(u.name())) {
                    removedAt.putIfAbsent(u.name(), seq);
                } else {
                    removedAt.remove(u.name()); // back: only its last removal counts
                }
            }
            List<String> names = kodiak.pool("app").upstreams().stream().map(Upstream::name).sorted().toList();
            assertEquals(step.weights().keySet().stream().sorted().toList(), names, "in force when reload returned");
            load.awaitMore(150, Duration.ofSeconds(30));
        }
        load.stop();

        assertEquals(List.of(), load.failures().stream().limit(5).toList(),
                load.failures().size() + " of " + (load.ok() + load.failures().size()) + " requests failed");
        assertEquals("least-connections", kodiak.pool("app").config().strategy().configName());
        assertEquals(2, kodiak.upstream("app", "g1").weight());
        // g3 was removed by the fourth reload and not added back.
        long from = removedAt.get("g3");
        List<Long> late = NumberedLoad.seqs(instances.get("g3").accessLogLines()).stream().filter(s -> s >= from).toList();
        assertEquals(List.of(), late, "g3 got requests issued after the reload that removed it returned");
        assertFalse(NumberedLoad.seqs(instances.get("g4").accessLogLines()).isEmpty(), "the added g4 served");
    }
}
