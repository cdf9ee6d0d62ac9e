package io.kodiak.e2e;

import io.kodiak.testing.Tools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.yaml.snakeyaml.Yaml;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * docker-compose.yml and what it mounts, validated without a Docker engine: {@code docker-compose
 * config} (Debian's {@code docker-compose}), {@code promtool check config} for the Prometheus
 * service's file, and {@code kodiak check} for Kodiak's.
 */
@Timeout(120)
class DockerComposeTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    @Test
    @SuppressWarnings("unchecked")
    void theComposeFileIsValidAndPublishesNeitherTheAdminApiNorMetrics() throws Exception {
        Tools.require("docker-compose", "version", "docker-compose");
        Tools.Result quiet = Tools.run(ROOT, Map.of(), "docker-compose", "-f", "docker-compose.yml", "config", "-q");
        assertEquals(0, quiet.exitCode(), quiet.output());
        Tools.Result full = Tools.run(ROOT, Map.of(), "docker-compose", "-f", "docker-compose.yml", "config");
        assertEquals(0, full.exitCode(), full.output());
        Map<String, Object> services = (Map<String, Object>) new Yaml().<Map<String, Object>>load(full.output()).get("services");
        assertEquals(List.of("app", "grafana", "kodiak", "prometheus"), services.keySet().stream().sorted().toList());
        // One app service that --scale can multiply: no fixed container name, no published port.
        Map<String, Object> app = (Map<String, Object>) services.get("app");
        assertFalse(app.containsKey("container_name"), "a fixed container_name would refuse --scale: " + app);
        assertFalse(app.containsKey("ports"), "published ports would collide when scaled: " + app);
        Map<String, Object> kodiak = (Map<String, Object>) services.get("kodiak");
        List<Object> kodiakPorts = (List<Object>) kodiak.get("ports");
        assertEquals(1, kodiakPorts.size(), "only the proxy's: " + kodiakPorts);
        assertTrue(kodiakPorts.stream().map(String::valueOf).noneMatch(p -> p.contains("9090") || p.contains("9404")),
                "neither the admin API (inside the container only) nor /metrics (for Prometheus only): " + kodiakPorts);
        Map<String, Object> environment = (Map<String, Object>) kodiak.getOrDefault("environment", Map.of());
        assertFalse(environment.containsKey("KODIAK_ADMIN_TOKEN"), "no admin token in the compose file: " + environment);
        assertFalse(Pattern.compile("(?m)^[\\s-]*KODIAK_ADMIN_TOKEN\\s*[:=]\\s*[^$\\s]")
                .matcher(Files.readString(ROOT.resolve("docker-compose.yml"))).find(), "no literal admin token");
        List<Object> grafanaVolumes = (List<Object>) ((Map<String, Object>) services.get("grafana")).get("volumes");
        assertTrue(grafanaVolumes.stream().anyMatch(v -> String.valueOf(v).endsWith("/grafana/dashboards:/var/lib/grafana/dashboards:ro")),
                "the dashboard directory the provisioning file names: " + grafanaVolumes);
        assertTrue(Files.readString(ROOT.resolve("grafana/provisioning/dashboards/kodiak.yaml")).contains("path: /var/lib/grafana/dashboards"));
    }

    @Test
    void thePrometheusConfigItMountsIsValidAndScrapesKodiakByName() throws Exception {
        // By service name: a Host check on /metrics (against DNS rebinding) can then list "kodiak".
        assertTrue(Files.readString(ROOT.resolve("examples/docker/prometheus.yml")).contains("targets: [\"kodiak:9404\"]"));
        Tools.require("promtool", "--version", "prometheus");
        Tools.Result prom = Tools.run(ROOT, Map.of(), "promtool", "check", "config", "examples/docker/prometheus.yml");
        assertEquals(0, prom.exitCode(), prom.output());
    }

    /**
     * Valid without a token in the environment, because the admin API listens on the container's
     * loopback only ({@code docker compose exec kodiak kodiak ctl ...}); /metrics on the compose
     * network, for Prometheus.
     */
    @Test
    @SuppressWarnings("unchecked")
    void theKodiakConfigItMountsKeepsTheAdminApiInsideTheContainer() throws Exception {
        Map<String, Object> config = new Yaml().load(Files.readString(ROOT.resolve("examples/docker/kodiak.yaml")));
        assertEquals("127.0.0.1:9090", ((Map<String, Object>) config.get("admin")).get("listen"));
        assertEquals("0.0.0.0:9404", ((Map<String, Object>) config.get("metrics")).get("listen"));
        // The app's replicas come from Docker's DNS, re-resolved at least every 5 s (it says TTL 600).
        Map<String, Object> docker = (Map<String, Object>) ((Map<String, Object>) config.get("resolvers")).get("docker");
        assertEquals(List.of("127.0.0.11:53"), docker.get("nameservers"));
        assertEquals("5s", docker.get("max-ttl"));
        Map<String, Object> upstream = ((List<Map<String, Object>>) ((Map<String, Object>) ((Map<String, Object>)
                config.get("pools")).get("app")).get("upstreams")).get(0);
        assertEquals(Boolean.TRUE, upstream.get("resolve"));
        assertEquals("app:8000", upstream.get("address"));

        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), "io.kodiak.Main",
                "check", "-c", "examples/docker/kodiak.yaml").directory(ROOT.toFile()).redirectErrorStream(true);
        pb.environment().remove("KODIAK_ADMIN_TOKEN");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("OK (1 listener(s), 1 pool(s), 0 upstream(s), 1 discovery source(s))"), out);
    }

    /** The image runs as a fixed non-root uid that owns the state directory, through bin/kodiak (its heap bound). */
    @Test
    void theImageRunsAsANonRootUserThroughTheLauncher() throws Exception {
        String dockerfile = Files.readString(ROOT.resolve("Dockerfile"));
        String runtime = dockerfile.substring(dockerfile.lastIndexOf("\nFROM "));
        Matcher user = Pattern.compile("(?m)^USER (\\d+)(?::(\\d+))?$").matcher(runtime);
        assertTrue(user.find(), "a numeric USER in the runtime stage (Kubernetes' runAsNonRoot can check it)");
        assertNotEquals("0", user.group(1));
        assertTrue(runtime.contains("chown " + user.group(1) + ":" + user.group(2) + " /var/lib/kodiak"),
                "the state directory belongs to the user");
        assertTrue(runtime.indexOf("chown ") < user.start(), "chown runs before USER, as root");
        assertTrue(runtime.contains("ENTRYPOINT [\"/opt/kodiak/bin/kodiak\"]"),
                "bin/kodiak starts the JVM: bounded heap, exit on OutOfMemoryError (LauncherTest)");
        assertTrue(runtime.contains("COPY bin/kodiak /opt/kodiak/bin/kodiak"), runtime);
        assertTrue(runtime.contains("/opt/kodiak/lb-core/target/classes") && runtime.contains("/opt/kodiak/lb-core/target/lib"),
                "the layout bin/kodiak expects");
    }
}
