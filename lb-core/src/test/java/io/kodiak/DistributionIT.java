package io.kodiak;

import io.kodiak.config.ConfigLoader;
import io.kodiak.config.KodiakConfig;
import io.kodiak.proxy.ChildKodiak;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.RawResponse;
import io.kodiak.testing.ScriptedUpstream;
import io.kodiak.testing.Tools;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The distribution as users get it: {@code target/kodiak-VERSION.tar.gz}, made by {@code package},
 * unpacked with tar into a temp directory as INSTALL.md unpacks it into /opt, and run from there.
 * An integration test (failsafe, in {@code verify}) because {@code test} runs before {@code package}:
 * it tests the real archive, not a layout rebuilt from target/classes. Kodiak listens on port 0 of
 * 127.0.0.1 only, and is stopped by its own PID.
 */
@Timeout(180)
class DistributionIT {
    private static final Duration STARTUP = Duration.ofSeconds(60);
    private static final String UNIT_PREFIX = "/opt/kodiak/";

    @TempDir
    static Path unpacked;
    /** The kodiak-VERSION directory the archive unpacks to. */
    private static Path install;

    @TempDir
    Path dir;

    @BeforeAll
    static void unpack() throws Exception {
        String archive = System.getProperty("kodiak.dist");
        assertNotNull(archive, "the kodiak.dist system property (set by lb-core/pom.xml's failsafe configuration)");
        assertTrue(Files.isRegularFile(Path.of(archive)), archive + " was not built");
        Tools.Result tar = Tools.run(unpacked, Map.of(), "tar", "-xzf", archive);
        assertEquals(0, tar.exitCode(), tar.output());
        try (Stream<Path> top = Files.list(unpacked)) {
            List<Path> dirs = top.toList();
            assertEquals(1, dirs.size(), "one top directory: " + dirs);
            install = dirs.get(0);
        }
        assertTrue(install.getFileName().toString().matches("kodiak-\\d+\\.\\d+\\.\\d+(-SNAPSHOT)?"), install.toString());
    }

    /** Runs {@code command} from the install directory with {@code env} added, to its end. */
    private static Tools.Result run(Map<String, String> env, String... command) throws IOException, InterruptedException {
        Map<String, String> e = new HashMap<>(env);
        e.put("JAVA_HOME", System.getProperty("java.home")); // bin/kodiak's java: this JDK
        return Tools.run(install, e, command);
    }

    @Test
    void theArchiveHoldsTheLauncherTheJarItsLibrariesTheUnitAndNoSources() throws Exception {
        assertTrue(Files.isExecutable(install.resolve("bin/kodiak")), "bin/kodiak is executable");
        assertTrue(Files.isExecutable(install.resolve("examples/rolling-restart.sh")));
        for (String file : List.of("kodiak.jar", "kodiak.service", "INSTALL.md", "etc/kodiak.yaml", "examples/kodiak.yaml",
                "examples/errors/503.html", "README.md", "docs/configuration.md")) {
            assertTrue(Files.isRegularFile(install.resolve(file)), file);
        }
        for (String absent : List.of("pom.xml", "mvnw", "lb-core")) {
            assertFalse(Files.exists(install.resolve(absent)), absent + " must not be installed: bin/kodiak would build");
        }
        try (JarFile jar = new JarFile(install.resolve("kodiak.jar").toFile())) {
            Attributes manifest = jar.getManifest().getMainAttributes();
            assertEquals(Main.class.getName(), manifest.getValue(Attributes.Name.MAIN_CLASS));
            String classPath = manifest.getValue(Attributes.Name.CLASS_PATH);
            assertNotNull(classPath, "Class-Path");
            List<String> entries = List.of(classPath.trim().split("\\s+"));
            try (Stream<Path> lib = Files.list(install.resolve("lib"))) {
                List<String> installed = lib.map(p -> "lib/" + p.getFileName()).sorted().toList();
                assertEquals(installed, entries.stream().sorted().toList(), "the manifest names exactly the installed libraries");
            }
            assertTrue(entries.stream().anyMatch(e -> e.startsWith("lib/snakeyaml-")), classPath);
        }
    }

    @Test
    void checksTheShippedConfigurationsWithoutBuilding() throws Exception {
        for (String config : List.of("etc/kodiak.yaml", "examples/kodiak.yaml")) {
            Tools.Result check = run(Map.of(), install.resolve("bin/kodiak").toString(), "check", "-c", config);
            assertEquals(0, check.exitCode(), check.output());
            assertTrue(check.output().contains(config + ": OK ("), check.output());
            assertFalse(check.output().contains("building"), check.output());
        }
    }

    /** The manifest's Class-Path is relative to the jar, so it runs from any working directory. */
    @Test
    void javaDashJarRunsTheInstalledJar() throws Exception {
        Tools.Result check = Tools.run(dir, Map.of(), Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", install.resolve("kodiak.jar").toString(), "check", "-c", install.resolve("etc/kodiak.yaml").toString());
        assertEquals(0, check.exitCode(), check.output());
        assertTrue(check.output().contains("kodiak.yaml: OK ("), check.output());
    }

    /**
     * Runs the installed bin/kodiak as the unit does (KODIAK_HOME set, no token configured), proxies
     * a request, reloads with {@code kodiak ctl reload} as ExecReload does (the token found through
     * the same KODIAK_HOME), and stops on SIGTERM.
     */
    @Test
    void runsFromTheInstallProxiesReloadsAndStopsOnSigterm() throws Exception {
        Path home = dir.resolve("state");
        Path config = dir.resolve("kodiak.yaml");
        try (ScriptedUpstream upstream = ScriptedUpstream.start("up-1")) {
            Files.writeString(config, """
                    admin: {listen: 127.0.0.1:0, state-file: %s}
                    metrics: off
                    temp: {dir: %s}
                    shutdown-grace: 5s
                    listeners: [{name: web, address: 127.0.0.1:0}]
                    pools:
                      app:
                        upstreams: [%s]
                    """.formatted(home.resolve("kodiak.state.json"), home.resolve("tmp"), upstream.hostPort()));
            Map<String, String> env = new HashMap<>();
            env.put("JAVA_HOME", System.getProperty("java.home"));
            env.put("KODIAK_HOME", home.toString());
            try (ChildKodiak kodiak = ChildKodiak.start(withoutAdminVariables("run", "-c", config.toString()), env, STARTUP)) {
                try (RawClient client = RawClient.connect(kodiak.port())) {
                    RawResponse response = client.get("/through-the-install");
                    assertEquals(200, response.status(), response.toString());
                    assertEquals("up-1 GET /through-the-install", response.bodyString());
                }

                Map<String, String> ctlEnv = new HashMap<>(env);
                ctlEnv.put("KODIAK_ADMIN", "127.0.0.1:" + kodiak.adminPort());
                Tools.Result reload = run(ctlEnv, withoutAdminVariables("ctl", "reload").toArray(String[]::new));
                assertEquals(0, reload.exitCode(), reload.output() + "\n" + kodiak.output());
                assertTrue(reload.output().contains("reloaded"), reload.output());

                kodiak.signal("TERM");
                assertEquals(0, kodiak.awaitExit(Duration.ofSeconds(30)), kodiak.output());
                assertTrue(kodiak.output().contains("kodiak: stopped"), kodiak.output());
                assertFalse(kodiak.output().contains("building"), kodiak.output());
            }
        }
        assertTrue(Files.isDirectory(home.resolve("tmp")), "temp.dir was made under KODIAK_HOME's directory");
    }

    /**
     * An installed server archives its classes in KODIAK_HOME when its first run exits and maps
     * them from then on (class-data sharing, for start-up); the second run proxies as the first,
     * and neither prints CDS's warnings. A short command such as ctl makes no archive.
     */
    @Test
    void aServerArchivesItsClassesAtItsFirstExitAndStartsFromThemAfter() throws Exception {
        Path home = dir.resolve("home");
        Map<String, String> env = new HashMap<>();
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.put("KODIAK_HOME", home.toString());
        Tools.Result version = run(env, install.resolve("bin/kodiak").toString(), "--version");
        assertEquals(0, version.exitCode(), version.output());
        assertFalse(Files.isDirectory(home) && hasArchive(home), "--version made no archive");
        try (ScriptedUpstream upstream = ScriptedUpstream.start("up-1")) {
            List<String> proxy = withoutAdminVariables("proxy", "--listen", "127.0.0.1:0", "--to", upstream.hostPort(),
                    "--admin", "off", "--metrics", "off");
            for (int start = 1; start <= 2; start++) {
                try (ChildKodiak kodiak = ChildKodiak.start(proxy, env, STARTUP)) {
                    try (RawClient client = RawClient.connect(kodiak.port())) {
                        RawResponse response = client.get("/start-" + start);
                        assertEquals(200, response.status(), response.toString());
                    }
                    kodiak.signal("TERM");
                    assertEquals(0, kodiak.awaitExit(Duration.ofSeconds(30)), kodiak.output());
                    assertFalse(kodiak.output().contains("[warning]") || kodiak.output().contains("cds"), kodiak.output());
                }
                assertTrue(hasArchive(home), "an archive after start " + start);
            }
        }
    }

    private static boolean hasArchive(Path home) throws IOException {
        try (Stream<Path> files = Files.list(home)) {
            return files.anyMatch(f -> f.getFileName().toString().matches("kodiak-cds-\\d+\\.jsa") && f.toFile().length() > 0);
        }
    }

    /**
     * systemd's own check of the unit as shipped, with its /opt/kodiak paths pointed into this
     * install (verify requires ExecStart's program to exist). It exits 0 even for unknown keys and
     * bad values, so every line about the unit counts as a failure.
     */
    @Test
    void systemdAnalyzeVerifiesTheUnit() throws Exception {
        Tools.require("systemd-analyze", "--version", "systemd");
        String unit = Files.readString(install.resolve("kodiak.service"));
        assertTrue(unit.contains("ExecStart=" + UNIT_PREFIX + "bin/kodiak "), unit);
        Path copy = dir.resolve("kodiak.service");
        Files.writeString(copy, unit.replace(UNIT_PREFIX, install + "/"));
        Tools.Result verify = Tools.run(dir, Map.of(), "systemd-analyze", "verify", copy.toString());
        assertEquals(0, verify.exitCode(), verify.output());
        assertEquals(List.of(), verify.output().lines().filter(l -> l.contains("kodiak.service")).toList(), verify.output());
    }

    /**
     * dist/deb/build-deb.sh makes a .deb of the archive with plain dpkg-deb: the program under
     * /opt/kodiak, /usr/bin/kodiak, the unit, and the configuration as a conffile, whose maintainer
     * scripts parse; unpacked, its launcher runs. (Installing it, which creates a user, is left to
     * a machine of one's own: {@code dpkg -i}, then {@code dpkg --purge kodiak}.)
     */
    @Test
    void aDebianPackageIsBuiltFromTheArchive() throws Exception {
        Tools.require("dpkg-deb", "--version", "dpkg");
        Path repo = Path.of(System.getProperty("user.dir")).getParent(); // failsafe runs in lb-core
        Path out = dir.resolve("deb");
        Tools.Result build = Tools.run(dir, Map.of(), "bash", repo.resolve("dist/deb/build-deb.sh").toString(),
                System.getProperty("kodiak.dist"), out.toString());
        assertEquals(0, build.exitCode(), build.output());
        Path deb = Path.of(build.output().strip().lines().reduce((a, b) -> b).orElseThrow());
        assertTrue(deb.getFileName().toString().matches("kodiak_\\d+\\.\\d+\\.\\d+(~snapshot)?_all\\.deb"), deb.toString());

        Tools.Result info = Tools.run(dir, Map.of(), "dpkg-deb", "--field", deb.toString(), "Package", "Architecture", "Depends");
        assertEquals(0, info.exitCode(), info.output());
        assertTrue(info.output().contains("Package: kodiak"), info.output());
        assertTrue(info.output().contains("Architecture: all"), info.output());
        assertTrue(info.output().contains("java17-runtime-headless"), info.output());

        Tools.Result list = Tools.run(dir, Map.of(), "dpkg-deb", "--contents", deb.toString());
        assertEquals(0, list.exitCode(), list.output());
        for (String path : List.of("./opt/kodiak/bin/kodiak", "./opt/kodiak/kodiak.jar", "./lib/systemd/system/kodiak.service",
                "./etc/kodiak/kodiak.yaml", "./usr/bin/kodiak -> /opt/kodiak/bin/kodiak")) {
            assertTrue(list.output().contains(path), path + " in\n" + list.output());
        }
        assertTrue(list.output().lines().allMatch(l -> l.contains(" root/root ")), "files owned by root:\n" + list.output());

        Path control = dir.resolve("control");
        assertEquals(0, Tools.run(dir, Map.of(), "dpkg-deb", "--control", deb.toString(), control.toString()).exitCode());
        assertEquals("/etc/kodiak/kodiak.yaml", Files.readString(control.resolve("conffiles")).strip());
        for (String script : List.of("postinst", "prerm", "postrm")) {
            Tools.Result syntax = Tools.run(dir, Map.of(), "sh", "-n", control.resolve(script).toString());
            assertEquals(0, syntax.exitCode(), script + ": " + syntax.output());
        }

        Path root = dir.resolve("root");
        assertEquals(0, Tools.run(dir, Map.of(), "dpkg-deb", "--extract", deb.toString(), root.toString()).exitCode());
        Tools.Result version = Tools.run(root, Map.of("JAVA_HOME", System.getProperty("java.home")),
                root.resolve("opt/kodiak/bin/kodiak").toString(), "--version");
        assertEquals(0, version.exitCode(), version.output());
        assertTrue(version.output().startsWith("kodiak "), version.output());
    }

    /**
     * The unit and the server configuration it runs agree: under ProtectSystem=strict Kodiak may
     * write only to its StateDirectory, so the state file, the temp files and (KODIAK_HOME) the
     * token go there; ExecReload's ctl reaches the configured admin API; and systemd waits longer
     * than shutdown-grace before it kills.
     */
    @Test
    void theUnitAndTheServerConfigurationAgree() throws Exception {
        Map<String, List<String>> unit = serviceSettings(install.resolve("kodiak.service"));
        assertEquals(List.of(UNIT_PREFIX + "bin/kodiak run -c /etc/kodiak/kodiak.yaml"), unit.get("ExecStart"));
        assertEquals(List.of(UNIT_PREFIX + "bin/kodiak ctl reload"), unit.get("ExecReload"));
        assertEquals(List.of("kodiak"), unit.get("StateDirectory"));
        Path state = Path.of("/var/lib/kodiak");
        List<String> environment = unit.get("Environment");

        KodiakConfig server = ConfigLoader.load(install.resolve("etc/kodiak.yaml"));
        assertTrue(environment.contains("KODIAK_HOME=" + state), environment.toString());
        assertTrue(server.admin().stateFile().startsWith(state), server.admin().toString());
        assertTrue(server.temp().dir().startsWith(state), server.temp().toString());
        String admin = server.admin().listen().getHostString() + ":" + server.admin().listen().getPort();
        assertTrue(environment.contains("KODIAK_ADMIN=" + admin), environment + " vs admin.listen " + admin);

        String stop = unit.get("TimeoutStopSec").get(0);
        assertTrue(stop.matches("\\d+s"), stop);
        Duration timeoutStop = Duration.ofSeconds(Long.parseLong(stop.substring(0, stop.length() - 1)));
        assertTrue(timeoutStop.compareTo(server.shutdownGrace().plusSeconds(10)) >= 0,
                "TimeoutStopSec " + timeoutStop + " leaves the JVM time after shutdown-grace " + server.shutdownGrace());
        assertEquals(List.of("SIGTERM"), unit.get("KillSignal"));
    }

    /** The [Service] section's settings, each key with its values in order (Environment= repeats). */
    private static Map<String, List<String>> serviceSettings(Path unit) throws IOException {
        Map<String, List<String>> settings = new HashMap<>();
        String section = "";
        for (String line : Files.readAllLines(unit)) {
            String l = line.strip();
            if (l.startsWith("[")) {
                section = l;
            } else if (section.equals("[Service]") && !l.isEmpty() && !l.startsWith("#")) {
                int eq = l.indexOf('=');
                settings.computeIfAbsent(l.substring(0, eq), k -> new ArrayList<>()).add(l.substring(eq + 1));
            }
        }
        return settings;
    }

    /**
     * The installed bin/kodiak with {@code args}, run without a KODIAK_ADMIN_TOKEN the caller may
     * have set, so that Kodiak writes its token file and ctl reads it, as under systemd. env execs
     * bin/kodiak, which execs java: the PID is Kodiak's.
     */
    private static List<String> withoutAdminVariables(String... args) {
        List<String> command = new ArrayList<>(List.of("env", "-u", "KODIAK_ADMIN_TOKEN", install.resolve("bin/kodiak").toString()));
        command.addAll(List.of(args));
        return command;
    }
}
