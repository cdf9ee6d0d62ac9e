package io.kodiak.e2e;

import io.kodiak.testing.Tools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.yaml.snakeyaml.Yaml;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
    void theComposeFileIsValidAndPublishesTheAdminPortOnLoopbackOnly() throws Exception {
        Tools.require("docker-compose", "version", "docker-compose");
        Tools.Result quiet = Tools.run(ROOT, Map.of(), "docker-compose", "-f", "docker-compose.yml", "config", "-q");
        assertEquals(0, quiet.exitCode(), quiet.output());
        Tools.Result full = Tools.run(ROOT, Map.of(), "docker-compose", "-f", "docker-compose.yml", "config");
        assertEquals(0, full.exitCode(), full.output());
        Map<String, Object> services = (Map<String, Object>) new Yaml().<Map<String, Object>>load(full.output()).get("services");
        assertEquals(List.of("app1", "app2", "app3", "grafana", "kodiak", "prometheus"), services.keySet().stream().sorted().toList());
        List<Object> kodiakPorts = (List<Object>) ((Map<String, Object>) services.get("kodiak")).get("ports");
        assertTrue(kodiakPorts.contains("127.0.0.1:9090:9090/tcp"), "admin API on the host's loopback only: " + kodiakPorts);
        assertTrue(kodiakPorts.stream().noneMatch(p -> String.valueOf(p).contains("9404")), "/metrics is for Prometheus only");
        List<Object> grafanaVolumes = (List<Object>) ((Map<String, Object>) services.get("grafana")).get("volumes");
        assertTrue(grafanaVolumes.stream().anyMatch(v -> String.valueOf(v).endsWith("/grafana/dashboards:/var/lib/grafana/dashboards:ro")),
                "the dashboard directory the provisioning file names: " + grafanaVolumes);
        assertTrue(Files.readString(ROOT.resolve("grafana/provisioning/dashboards/kodiak.yaml")).contains("path: /var/lib/grafana/dashboards"));
    }

    @Test
    void thePrometheusAndKodiakConfigsItMountsAreValid() throws Exception {
        Tools.require("promtool", "--version", "prometheus");
        Tools.Result prom = Tools.run(ROOT, Map.of(), "promtool", "check", "config", "examples/docker/prometheus.yml");
        assertEquals(0, prom.exitCode(), prom.output());

        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Tools.Result check = Tools.run(ROOT, Map.of("KODIAK_ADMIN_TOKEN", "change-me-to-a-long-secret"), java, "-cp",
                System.getProperty("java.class.path"), "io.kodiak.Main", "check", "-c", "examples/docker/kodiak.yaml");
        assertEquals(0, check.exitCode(), check.output());
        assertTrue(check.output().contains("OK (1 listener(s), 1 pool(s), 3 upstream(s))"), check.output());
    }
}
