package io.kodiak.config;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;

/** Reads the {@code admin} section. Without one: {@code 127.0.0.1:9090} and the state file next to the config. */
final class AdminReader {
    private static final List<String> KEYS = List.of("listen", "token", "state-file", "allowed-hosts", "shared-state");
    private static final List<String> SHARED_KEYS = List.of("configmap", "namespace");
    /** A ConfigMap's name is a DNS-1123 subdomain (Kubernetes' own rule). */
    private static final Pattern CONFIG_MAP = Pattern.compile("(?=.{1,253}$)[a-z0-9](?:[-a-z0-9.]*[a-z0-9])?");
    /** Shorter tokens are too easy to guess for something that can drain a whole pool. */
    static final int MIN_TOKEN_LENGTH = AdminConfig.MIN_TOKEN_LENGTH;

    private final Path configFile;

    AdminReader(Path configFile) {
        this.configFile = configFile;
    }

    AdminConfig read(ConfigNode node) throws ConfigException {
        Path stateFile = AdminConfig.defaultStateFile(configFile);
        if (node == null) {
            return new AdminConfig(AdminConfig.DEFAULT_LISTEN, null, stateFile);
        }
        ConfigMapping m = node.mapping(KEYS);
        InetSocketAddress listen = AdminConfig.DEFAULT_LISTEN;
        ConfigNode l = m.get("listen");
        if (l != null) {
            String text = l.string();
            listen = text.equals("off") ? null : l.parse("host:port or off", Values::listenAddress);
        }
        String token = null;
        ConfigNode t = m.get("token");
        if (t != null) {
            token = t.string();
            String problem = tokenProblem(token);
            if (problem != null) {
                throw t.error(problem);
            }
        }
        ConfigNode s = m.get("state-file");
        if (s != null) {
            String text = s.string();
            stateFile = text.equals("off") ? null : configFile.toAbsolutePath().resolveSibling(text).normalize();
        }
        if (listen != null && token == null && !listen.getAddress().isLoopbackAddress() && System.getenv("KODIAK_ADMIN_TOKEN") == null) {
            throw (l != null ? l : node).error(listen.getHostString() + " is not a loopback address: the admin API "
                    + "would be open to the network, so it needs admin.token (or KODIAK_ADMIN_TOKEN)");
        }
        List<String> allowedHosts = m.get("allowed-hosts") == null ? List.of() : m.get("allowed-hosts").hostNames();
        return new AdminConfig(listen, token, stateFile, allowedHosts, sharedState(m.get("shared-state")));
    }

    /** {@code shared-state: {configmap: NAME, namespace: NS}}, or {@code null} without it. */
    private static AdminConfig.SharedStateConfig sharedState(ConfigNode node) throws ConfigException {
        if (node == null) {
            return null;
        }
        ConfigMapping m = node.mapping(SHARED_KEYS);
        ConfigNode name = m.get("configmap");
        if (name == null) {
            throw node.error("needs configmap: NAME (the ConfigMap every instance shares its admin states through)");
        }
        String configMap = name.parse("a ConfigMap name", text -> {
            if (!CONFIG_MAP.matcher(text).matches()) {
                throw new IllegalArgumentException(Values.quote(text) + " is not a ConfigMap name (lower-case letters, "
                        + "digits, '-' and '.', at most 253)");
            }
            return text;
        });
        String namespace = m.get("namespace") == null ? null
                : m.get("namespace").parse("a namespace", DiscoveryValues::kubernetesNamespace);
        return new AdminConfig.SharedStateConfig(configMap, namespace);
    }

    /** @return why {@code token} cannot be a bearer token, or {@code null} if it can */
    static String tokenProblem(String token) {
        if (token.length() < MIN_TOKEN_LENGTH) {
            return "the token must be at least " + MIN_TOKEN_LENGTH + " characters";
        }
        if (!token.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            return "the token must be printable ASCII without spaces";
        }
        return null;
    }
}
