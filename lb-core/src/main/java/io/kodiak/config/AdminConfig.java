package io.kodiak.config;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;

/**
 * The admin API's listener ({@code admin} in the file).
 *
 * @param listen    where the admin API listens, {@code null} for off; never a data listener's address
 * @param token     the bearer token that changes need, or {@code null}: then {@code KODIAK_ADMIN_TOKEN}
 *                  from the environment, else one generated at start and written to a token file
 *                  (loopback only: Kodiak refuses a non-loopback admin address without a token)
 * @param stateFile where admin states and weights set at runtime are kept across restarts and
 *                  reloads, or {@code null} for nowhere
 * @param allowedHosts names the API answers in {@code Host} besides localhost, 127.x.x.x, [::1] and
 *                  the listen address ({@code admin.allowed-hosts}; see {@link io.kodiak.admin.HostGuard})
 * @param sharedState the Kubernetes ConfigMap that every instance reads and writes its admin
 *                  states through ({@code admin.shared-state}), or {@code null} for none
 */
public record AdminConfig(InetSocketAddress listen, String token, Path stateFile, List<String> allowedHosts,
                          SharedStateConfig sharedState) {
    /** The default admin address: loopback only, port 9090. */
    public static final InetSocketAddress DEFAULT_LISTEN = new InetSocketAddress("127.0.0.1", 9090);

    /**
     * The shortest token accepted in {@code admin.token}; a shorter {@code KODIAK_ADMIN_TOKEN} is
     * warned about at start. The token is all that guards the admin API: bearer calls are not
     * rate-limited (see {@code docs/admin-api.md}), so its length is its strength.
     */
    public static final int MIN_TOKEN_LENGTH = 16;

    /** No admin listener and no state file: the embedding default (tests, the demo decides itself). */
    public static final AdminConfig OFF = new AdminConfig(null, null, null);

    public AdminConfig {
        allowedHosts = List.copyOf(allowedHosts);
    }

    /**
     * {@code admin.shared-state}: the ConfigMap {@code namespace/configMap} whose {@code state.json}
     * holds the admin states set on any instance (the state file's format), so that a drain set
     * through one Kodiak reaches every Kodiak that names the same ConfigMap.
     *
     * @param configMap the ConfigMap's name
     * @param namespace its namespace, or {@code null} for {@code kubernetes.namespace}, else the pod's own
     */
    public record SharedStateConfig(String configMap, String namespace) {
        @Override
        public String toString() {
            return "configmap " + (namespace == null ? "" : namespace + "/") + configMap;
        }
    }

    /** No shared state. */
    public AdminConfig(InetSocketAddress listen, String token, Path stateFile, List<String> allowedHosts) {
        this(listen, token, stateFile, allowedHosts, null);
    }

    /** No allowed hosts beyond the loopback names and the listen address. */
    public AdminConfig(InetSocketAddress listen, String token, Path stateFile) {
        this(listen, token, stateFile, List.of());
    }

    public AdminConfig withSharedState(SharedStateConfig s) {
        return new AdminConfig(listen, token, stateFile, allowedHosts, s);
    }

    public boolean enabled() {
        return listen != null;
    }

    public AdminConfig withListen(InetSocketAddress a) {
        return new AdminConfig(a, token, stateFile, allowedHosts, sharedState);
    }

    public AdminConfig withToken(String t) {
        return new AdminConfig(listen, t, stateFile, allowedHosts, sharedState);
    }

    public AdminConfig withStateFile(Path p) {
        return new AdminConfig(listen, token, p, allowedHosts, sharedState);
    }

    /**
     * The state file that goes with a config file: next to it, named after it
     * ({@code /etc/kodiak/kodiak.yaml} → {@code /etc/kodiak/kodiak.state.json}).
     */
    public static Path defaultStateFile(Path configFile) {
        Path abs = configFile.toAbsolutePath();
        String name = abs.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String base = dot > 0 ? name.substring(0, dot) : name;
        return abs.resolveSibling(base + ".state.json");
    }

    @Override
    public String toString() {
        return listen == null ? "admin off" : "admin on " + listen.getHostString() + ":" + listen.getPort()
                + (allowedHosts.isEmpty() ? "" : ", also as " + String.join(", ", allowedHosts))
                + (stateFile == null ? "" : ", state file " + stateFile)
                + (sharedState == null ? "" : ", shared through the " + sharedState);
    }
}
