package io.kodiak.discovery.kubernetes;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.kodiak.config.ConfigLoader;
import io.kodiak.config.KodiakConfig;
import io.kodiak.config.KubernetesSource;
import io.kodiak.testing.Tools;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * deploy/kubernetes is checked without a cluster ({@code kubectl apply --dry-run=client} fetches
 * the server's OpenAPI and fails offline): every object is read into fabric8's typed models and
 * any field they do not know fails the test (a typo would otherwise be dropped silently); the
 * objects are cross-checked (selectors, ports, probes, RBAC, the Dockerfile's uid, Kodiak's own
 * config); and, where kubectl is installed, {@code kubectl kustomize} renders the kustomization.
 */
class ManifestsTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Path DIR = ROOT.resolve("deploy/kubernetes");
    /** Applied on purpose, not by the kustomization (see its comment). */
    private static final List<String> OUTSIDE_BASE = List.of("example-gunicorn.yaml", "rbac-shared-state.yaml");

    private static List<HasMetadata> read(String file) throws IOException {
        List<HasMetadata> objects = new ArrayList<>();
        KubernetesSerialization serialization = new KubernetesSerialization();
        for (String doc : Files.readString(DIR.resolve(file)).split("(?m)^---\\s*$")) {
            if (doc.lines().allMatch(l -> l.isBlank() || l.trim().startsWith("#"))) {
                continue;
            }
            Object o = serialization.unmarshal(doc);
            assertInstanceOf(HasMetadata.class, o, file + ": not a Kubernetes object:\n" + doc);
            assertFalse(o instanceof GenericKubernetesResource, file + ": unknown apiVersion/kind " + ((HasMetadata) o).getKind());
            objects.add((HasMetadata) o);
        }
        return objects;
    }

    private static <T extends HasMetadata> T one(String file, Class<T> type, String name) throws IOException {
        return read(file).stream().filter(type::isInstance).map(type::cast)
                .filter(o -> o.getMetadata().getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError(file + " has no " + type.getSimpleName() + " " + name));
    }

    private static List<String> yamlFiles() throws IOException {
        try (Stream<Path> s = Files.list(DIR)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".yaml")).sorted().toList();
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> kustomization() throws IOException {
        return new Yaml().load(Files.readString(DIR.resolve("kustomization.yaml")));
    }

    private static String namespace() throws IOException {
        return (String) kustomization().get("namespace");
    }

    @Test
    void everyObjectIsTypedWithoutUnknownFields() throws IOException {
        List<String> problems = new ArrayList<>();
        for (String file : yamlFiles()) {
            if (file.equals("kustomization.yaml")) {
                continue;
            }
            for (HasMetadata o : read(file)) {
                UnknownFields.of(o).forEach(u -> problems.add(file + " " + o.getKind() + "/" + o.getMetadata().getName() + " " + u));
            }
        }
        assertEquals(List.of(), problems);
    }

    @Test
    void aTypoIsFound() {
        Object o = new KubernetesSerialization().unmarshal("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n"
                + "spec:\n  template:\n    spec:\n      containers:\n        - name: c\n          readinesProbe: {}\n");
        assertEquals(List.of("spec.template.spec.containers[0]: [readinesProbe]"), UnknownFields.of(o));
    }

    @Test
    void theKustomizationListsTheBase() throws Exception {
        @SuppressWarnings("unchecked")
        List<String> resources = (List<String>) kustomization().get("resources");
        List<String> expected = new ArrayList<>(yamlFiles());
        expected.remove("kustomization.yaml");
        expected.removeAll(OUTSIDE_BASE);
        assertEquals(new TreeSet<>(expected), new TreeSet<>(resources));
    }

    /**
     * Where kubectl is installed, it renders the kustomization. Debian's own repositories have no
     * current kubectl (only kubernetes-client 1.20, whose kustomize is years old), so CI does not
     * install one and this check runs where a developer has it; the typed reading above is the
     * check that always runs.
     */
    @Test
    void kubectlRendersTheKustomizationWhereItIsInstalled() throws Exception {
        Assumptions.assumeTrue(onPath("kubectl"), "kubectl is not installed: the typed reading of every manifest still ran");
        // Some kubectl builds (Google's dispatcher) ask the API server's version first: a kubeconfig
        // naming a closed loopback port makes that fail at once instead of asking localhost:8080.
        Path kubeconfig = Files.createTempFile("kodiak-kubeconfig", ".yaml");
        int closed;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        Files.writeString(kubeconfig, "apiVersion: v1\nkind: Config\nclusters: [{name: none, cluster: {server: \"http://127.0.0.1:"
                + closed + "\"}}]\ncontexts: [{name: none, context: {cluster: none}}]\ncurrent-context: none\n");
        try {
            Tools.Result r = Tools.run(ROOT, Map.of("KUBECONFIG", kubeconfig.toString()), "kubectl", "kustomize", "deploy/kubernetes");
            assertEquals(0, r.exitCode(), r.output());
            KubernetesSerialization serialization = new KubernetesSerialization();
            int objects = 0;
            for (String doc : r.output().split("(?m)^---\\s*$")) {
                HasMetadata o = serialization.unmarshal(doc);
                assertEquals(namespace(), o.getMetadata().getNamespace(), o.getKind() + "/" + o.getMetadata().getName());
                objects++;
            }
            assertEquals(8, objects, "ServiceAccount, Role, RoleBinding, ConfigMap, Deployment, 2 Services, PDB");
        } finally {
            Files.deleteIfExists(kubeconfig);
        }
    }

    private static boolean onPath(String command) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, command))) {
                return true;
            }
        }
        return false;
    }

    @Test
    void rbacIsReadOnlyAndBindsTheServiceAccount() throws IOException {
        ServiceAccount sa = one("rbac.yaml", ServiceAccount.class, "kodiak");
        Role role = one("rbac.yaml", Role.class, "kodiak-endpointslices");
        assertEquals(1, role.getRules().size());
        PolicyRule rule = role.getRules().get(0);
        assertEquals(List.of("discovery.k8s.io"), rule.getApiGroups());
        assertEquals(List.of("endpointslices"), rule.getResources());
        assertEquals(List.of("list", "watch"), rule.getVerbs(), "the verbs the informer uses, no more");
        assertBinds(one("rbac.yaml", RoleBinding.class, "kodiak-endpointslices"), role, sa);

        Role shared = one("rbac-shared-state.yaml", Role.class, "kodiak-admin-state");
        ConfigMap state = one("rbac-shared-state.yaml", ConfigMap.class, "kodiak-admin-state");
        assertEquals(1, shared.getRules().size());
        PolicyRule write = shared.getRules().get(0);
        assertEquals(List.of(""), write.getApiGroups());
        assertEquals(List.of("configmaps"), write.getResources());
        assertEquals(List.of(state.getMetadata().getName()), write.getResourceNames(), "one ConfigMap only");
        assertEquals(List.of("get", "list", "watch", "update"), write.getVerbs(), "no create (it is shipped), no patch (never used)");
        assertBinds(one("rbac-shared-state.yaml", RoleBinding.class, "kodiak-admin-state"), shared, sa);
    }

    private static void assertBinds(RoleBinding binding, Role role, ServiceAccount sa) throws IOException {
        assertEquals("Role", binding.getRoleRef().getKind());
        assertEquals(role.getMetadata().getName(), binding.getRoleRef().getName());
        assertEquals(1, binding.getSubjects().size());
        Subject s = binding.getSubjects().get(0);
        assertEquals("ServiceAccount", s.getKind());
        assertEquals(sa.getMetadata().getName(), s.getName());
        assertEquals(namespace(), s.getNamespace(), "a ServiceAccount subject names its namespace");
    }

    @Test
    void theDeploymentMatchesTheImageTheServicesAndTheConfig() throws IOException {
        Deployment d = one("deployment.yaml", Deployment.class, "kodiak");
        PodTemplateSpec pod = d.getSpec().getTemplate();
        Map<String, String> labels = pod.getMetadata().getLabels();
        assertSelects(d.getSpec().getSelector().getMatchLabels(), labels, "the Deployment's selector");
        assertEquals(2, d.getSpec().getReplicas());
        assertEquals("kodiak", pod.getSpec().getServiceAccountName());
        Container c = pod.getSpec().getContainers().get(0);
        assertEquals("kodiak", c.getName());
        assertProbe(c, c.getReadinessProbe(), "admin", "/healthz");
        assertProbe(c, c.getLivenessProbe(), "admin", "/healthz");
        assertNotNull(c.getResources().getRequests().get("cpu"));
        assertNotNull(c.getResources().getRequests().get("memory"));
        assertNotNull(c.getResources().getLimits().get("memory"));
        assertEquals("-Xmx512m", env(c, "KODIAK_JAVA_OPTS").getValue());
        assertEquals("token", env(c, "KODIAK_ADMIN_TOKEN").getValueFrom().getSecretKeyRef().getKey());

        // the Dockerfile's user, so that runAsNonRoot can check it and the state directory is writable
        String dockerfile = Files.readString(ROOT.resolve("Dockerfile"));
        long uid = pod.getSpec().getSecurityContext().getRunAsUser();
        assertTrue(dockerfile.contains("--uid " + uid) && dockerfile.contains("USER " + uid), "uid " + uid);
        assertTrue(pod.getSpec().getSecurityContext().getRunAsNonRoot());

        // the config: mounted where the image's command reads it, from the ConfigMap shipped
        ConfigMap cm = one("configmap.yaml", ConfigMap.class, "kodiak-config");
        String volume = pod.getSpec().getVolumes().stream().filter(v -> v.getConfigMap() != null)
                .filter(v -> v.getConfigMap().getName().equals(cm.getMetadata().getName())).findFirst().orElseThrow().getName();
        String mount = c.getVolumeMounts().stream().filter(m -> m.getName().equals(volume)).findFirst().orElseThrow().getMountPath();
        String file = c.getArgs().get(c.getArgs().indexOf("-c") + 1);
        assertEquals(mount + "/kodiak.yaml", file);
        assertTrue(cm.getData().containsKey("kodiak.yaml"));
        assertTrue(c.getVolumeMounts().stream().anyMatch(m -> m.getMountPath().equals("/var/lib/kodiak")), "KODIAK_HOME is writable");
        assertTrue(c.getVolumeMounts().stream().anyMatch(m -> m.getMountPath().equals("/tmp")), "temp files");

        // shutdown: the preStop sleep plus Kodiak's shutdown-grace fit in the pod's grace period
        KodiakConfig config = kodiakYaml(cm);
        long sleep = Long.parseLong(c.getLifecycle().getPreStop().getExec().getCommand().get(1));
        assertTrue(sleep + config.shutdownGrace().toSeconds() < pod.getSpec().getTerminationGracePeriodSeconds(),
                "preStop " + sleep + " s + shutdown-grace " + config.shutdownGrace() + " within " + pod.getSpec().getTerminationGracePeriodSeconds());
        assertEquals(9090, config.admin().listen().getPort());
        assertEquals(9090, port(c, "admin").getContainerPort());
        assertEquals(8080, config.listeners().get(0).address().getPort());
        assertEquals(8080, port(c, "http").getContainerPort());

        for (String name : List.of("kodiak", "kodiak-admin")) {
            Service s = one(name.equals("kodiak") ? "service.yaml" : "service-admin.yaml", Service.class, name);
            assertSelects(s.getSpec().getSelector(), labels, "Service " + name);
            for (ServicePort p : s.getSpec().getPorts()) {
                port(c, p.getTargetPort().getStrVal());
            }
        }
        assertEquals("None", one("service-admin.yaml", Service.class, "kodiak-admin").getSpec().getClusterIP(), "headless");
        PodDisruptionBudget pdb = one("pdb.yaml", PodDisruptionBudget.class, "kodiak");
        assertSelects(pdb.getSpec().getSelector().getMatchLabels(), labels, "the PDB");
        assertTrue(pdb.getSpec().getMinAvailable().getIntVal() < d.getSpec().getReplicas(), "a node can still be drained");
    }

    @Test
    void theExampleGunicornIsWhatThePoolFollows() throws IOException {
        Deployment d = one("example-gunicorn.yaml", Deployment.class, "gunicorn");
        Service s = one("example-gunicorn.yaml", Service.class, "gunicorn");
        Map<String, String> labels = d.getSpec().getTemplate().getMetadata().getLabels();
        assertSelects(d.getSpec().getSelector().getMatchLabels(), labels, "the Deployment's selector");
        assertSelects(s.getSpec().getSelector(), labels, "the Service");
        assertEquals("None", s.getSpec().getClusterIP(), "headless");
        assertEquals(3, d.getSpec().getReplicas());
        Container c = d.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertProbe(c, c.getReadinessProbe(), "http", "/health");
        assertEquals(List.of("sleep", "5"), c.getLifecycle().getPreStop().getExec().getCommand());
        int graceful = Integer.parseInt(c.getCommand().get(c.getCommand().indexOf("--graceful-timeout") + 1));
        assertTrue(5 + graceful < d.getSpec().getTemplate().getSpec().getTerminationGracePeriodSeconds());

        KubernetesSource source = (KubernetesSource) kodiakYaml(one("configmap.yaml", ConfigMap.class, "kodiak-config"))
                .pools().get("app").sources().get(0);
        assertEquals(s.getMetadata().getName(), source.service());
        assertTrue(s.getSpec().getPorts().stream().anyMatch(p -> p.getName().equals(source.port())),
                "the pool's port: names a port of the Service (the slices carry its name)");
        port(c, s.getSpec().getPorts().get(0).getTargetPort().getStrVal());
    }

    /**
     * The ConfigMap's kodiak.yaml through Kodiak's own loader. In the pod the admin token comes from
     * the Secret as KODIAK_ADMIN_TOKEN (checked above); this process has none, so the admin section
     * gets one here, or the loader would rightly refuse an admin API on 0.0.0.0 without a token.
     */
    private static KodiakConfig kodiakYaml(ConfigMap cm) {
        String yaml = cm.getData().get("kodiak.yaml").replace("\nadmin:\n", "\nadmin:\n  token: manifests-test-token-0123456789\n");
        try {
            return ConfigLoader.parse(yaml, Path.of("/etc/kodiak/kodiak.yaml"));
        } catch (Exception e) {
            throw new AssertionError("configmap.yaml's kodiak.yaml: " + e.getMessage(), e);
        }
    }

    private static void assertSelects(Map<String, String> selector, Map<String, String> labels, String what) {
        assertFalse(selector == null || selector.isEmpty(), what + " selects nothing");
        selector.forEach((k, v) -> assertEquals(v, labels.get(k), what + " selects " + k + "=" + v));
    }

    private static void assertProbe(Container c, Probe probe, String portName, String path) {
        assertNotNull(probe, c.getName() + " has the probe");
        IntOrString port = probe.getHttpGet().getPort();
        assertEquals(portName, port.getStrVal());
        port(c, port.getStrVal());
        assertEquals(path, probe.getHttpGet().getPath());
    }

    private static ContainerPort port(Container c, String name) {
        return c.getPorts().stream().filter(p -> Objects.equals(p.getName(), name)).findFirst()
                .orElseThrow(() -> new AssertionError(c.getName() + " has no port named " + name));
    }

    private static EnvVar env(Container c, String name) {
        return c.getEnv().stream().filter(e -> e.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError(c.getName() + " has no " + name));
    }
}
