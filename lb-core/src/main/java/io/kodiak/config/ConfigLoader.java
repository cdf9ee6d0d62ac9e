package io.kodiak.config;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.Tag;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.CharacterCodingException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Reads and validates a Kodiak YAML configuration file (reference: {@code docs/configuration.md}).
 *
 * <p>The file is read through SnakeYAML's node API rather than into maps, so that every error
 * names the line it comes from: {@code FILE:LINE: KEY.PATH: problem}, e.g.
 * {@code kodiak.yaml:12: pools.web.upstreams[1].address: "10.0.0.1:99999" is not host:port (port must be 1-65535)}.
 * Loading stops at the first error. Unknown keys are errors, so a misspelt key never silently
 * leaves a default in place. Missing optional sections take the records' {@code DEFAULTS}.
 *
 * <p>Pools are read before listeners because routes name pools. Relative paths in the file
 * (error-page files, temp dirs) resolve against the directory of the config file; error-page
 * bodies are read here, once, so a missing page fails at load rather than during an outage.
 * Listener host names are resolved here (a bind needs an address); upstream host names are only
 * checked for syntax and are resolved when connecting. The names of discovery entries
 * ({@code resolve: true}, {@code service:}, {@code kubernetes:}) are not looked up here either: a
 * source that does not answer yet leaves its pool empty rather than stopping the start.
 *
 * <p>Stateless and thread-safe.
 */
public final class ConfigLoader {
    static {
        io.kodiak.tls.TlsDefaults.apply(); // before a pool's TLS or a listener's makes the JDK read them
    }

    private static final List<String> TOP_KEYS = List.of("listeners", "pools", "admin", "metrics", "shutdown-grace", "temp", "acme",
            "rate-limits", "concurrency-limits", // limit zones (LimitReader)
            "resolvers", "kubernetes"); // discovery (ResolverReader, KubernetesReader)

    private ConfigLoader() {
    }

    /**
     * Reads and validates {@code file} (UTF-8).
     *
     * @throws ConfigException {@code FILE: cannot read: reason} if the file cannot be read,
     *                         otherwise as {@link #parse}
     */
    public static KodiakConfig load(Path file) throws ConfigException {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read: " + reason(e));
        }
        return parse(text, file);
    }

    /**
     * Validates a configuration given as text.
     *
     * @param yaml            the YAML text
     * @param nameForMessages the file name used in error messages and as {@link KodiakConfig#source()};
     *                        relative paths in the YAML resolve against its directory
     * @throws ConfigException with a {@code FILE:LINE: KEY.PATH: problem} message
     */
    public static KodiakConfig parse(String yaml, Path nameForMessages) throws ConfigException {
        String name = nameForMessages.toString();
        Node root = compose(yaml, name);
        if (root == null || (root instanceof ScalarNode s && Tag.NULL.equals(s.getTag()) && s.isPlain())) {
            throw new ConfigException(name + ":1: file is empty (expected the keys "
                    + "listeners, pools)");
        }
        ConfigMapping top = new ConfigNode(root, "", name).mapping(TOP_KEYS);
        Path absolute = nameForMessages.toAbsolutePath();
        Path baseDir = absolute.getParent() == null ? absolute : absolute.getParent();
        // Resolvers before pools: upstream entries name them. Pools with kubernetes: entries need no
        // kubernetes: section (in a cluster, the service account is enough).
        Map<String, io.kodiak.discovery.DnsSettings> resolvers = ResolverReader.read(top.get("resolvers"));
        java.util.Set<String> resolverNames = new java.util.HashSet<>(resolvers.keySet());
        resolverNames.add("default");
        io.kodiak.discovery.KubernetesSettings kubernetes = KubernetesReader.read(top.get("kubernetes"), baseDir);
        // No pools is a configuration whose routes all answer by themselves (static files, redirects).
        Map<String, PoolConfig> pools = top.get("pools") == null ? Map.of()
                : new PoolReader(baseDir, resolverNames).read(top.get("pools"));
        ListenerReader listenerReader = new ListenerReader(pools, baseDir);
        // Limit zones before listeners: their rate-limit and concurrency-limit sections name them.
        LimitReader.Zones zones = LimitReader.zones(top.get("rate-limits"), top.get("concurrency-limits"));
        List<ListenerConfig> listeners = LimitReader.withZones(zones, () -> listenerReader.read(top.require("listeners")));
        AdminConfig admin = new AdminReader(nameForMessages).read(top.get("admin"));
        if (admin.enabled()) {
            requireOwnAddress(top, "admin", admin.listen(), listeners, "the admin API's address", "the admin API needs its own");
        }
        MetricsConfig metrics = new MetricsReader(baseDir).read(top.get("metrics"));
        if (metrics.serves()) {
            requireOwnAddress(top, "metrics", metrics.listen(), listeners, "the metrics address", "/metrics needs its own");
            if (metrics.listen().getPort() != 0 && metrics.listen().equals(admin.listen())) {
                throw (top.get("metrics") != null ? top.get("metrics") : top.get("admin")).error("the metrics address "
                        + metrics.listen().getHostString() + ":" + metrics.listen().getPort()
                        + " is also the admin API's: each needs its own");
            }
        }
        java.time.Duration grace = KodiakConfig.DEFAULT_SHUTDOWN_GRACE;
        if (top.get("shutdown-grace") != null) {
            grace = top.get("shutdown-grace").duration();
            if (grace.isNegative() || grace.compareTo(java.time.Duration.ofHours(1)) > 0) {
                throw top.get("shutdown-grace").error("must be between 0s and 1h");
            }
        }
        TempConfig temp = temp(top.get("temp"), baseDir);
        io.kodiak.acme.AcmeSettings acme = AcmeReader.read(top.get("acme"), baseDir);
        return new KodiakConfig(nameForMessages, listeners, pools, admin, metrics, version(yaml), grace, temp, acme,
                listenerReader.warnings(), resolvers, kubernetes);
    }

    private static TempConfig temp(ConfigNode node, Path baseDir) throws ConfigException {
        if (node == null) {
            return TempConfig.DEFAULTS;
        }
        ConfigMapping m = node.mapping(List.of("dir", "max-total"));
        Path dir = TempConfig.DEFAULTS.dir();
        ConfigNode d = m.get("dir");
        if (d != null) {
            dir = baseDir.resolve(d.string()).normalize();
            // Created at start if missing; what exists must be a writable directory.
            if (Files.exists(dir) && !(Files.isDirectory(dir) && Files.isWritable(dir))) {
                throw d.error(dir + " is not a writable directory");
            }
        }
        long max = m.get("max-total") == null ? TempConfig.DEFAULTS.maxTotal() : m.get("max-total").size(Long.MAX_VALUE);
        return new TempConfig(dir, max);
    }

    /** Rejects a {@code section}'s {@code address} that is also a listener's (port 0 is never taken twice). */
    private static void requireOwnAddress(ConfigMapping top, String section, java.net.InetSocketAddress address,
                                          List<ListenerConfig> listeners, String what, String need) throws ConfigException {
        for (ListenerConfig l : listeners) {
            if (l.address().getPort() != 0 && l.address().equals(address)) {
                String msg = what + " " + l.address().getHostString() + ":" + l.address().getPort()
                        + " is also listener " + l.name() + "'s: " + need + " (set " + section + ".listen)";
                throw top.get(section) != null ? top.get(section).error(msg) : top.keyError("listeners", msg);
            }
        }
    }

    /** The first 12 hex digits of the SHA-256 of the file's text: which config is running. */
    static String version(String text) {
        try {
            byte[] d = java.security.MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(d, 0, 6);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e); // every JDK has SHA-256
        }
    }

    private static Node compose(String yaml, String name) throws ConfigException {
        try {
            return new Yaml(new LoaderOptions()).compose(new StringReader(yaml));
        } catch (MarkedYAMLException e) {
            Mark mark = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
            throw new ConfigException(name + (mark == null ? "" : ":" + (mark.getLine() + 1))
                    + ": invalid YAML: " + describe(e));
        } catch (YAMLException e) {
            // Unmarked: limits such as the 3M code point cap, or a bad encoding in the text.
            throw new ConfigException(name + ": invalid YAML: " + e.getMessage());
        }
    }

    /**
     * SnakeYAML splits its messages into a context ("while parsing a flow sequence", or "expected a
     * single document in the stream") and a problem ("but found another document"); join them into
     * one sentence and say where the context began, which is often where the real mistake is.
     */
    private static String describe(MarkedYAMLException e) {
        String context = e.getContext();
        String problem = e.getProblem();
        if (problem == null) {
            return context;
        }
        if (context == null) {
            return problem;
        }
        if (problem.startsWith("but ")) {
            return context + ", " + problem;
        }
        return e.getContextMark() == null ? problem + " (" + context + ")"
                : problem + " (" + context + " at line " + (e.getContextMark().getLine() + 1) + ")";
    }

    /** A short reason for an I/O failure; the JDK's messages are often just the path again. */
    static String reason(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "no such file";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof CharacterCodingException) {
            return "not valid UTF-8 text";
        }
        if (e instanceof FileSystemException fse && fse.getReason() != null) {
            return fse.getReason();
        }
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }
}
