package io.kodiak.config;

import java.net.InetSocketAddress;
import java.nio.file.Path;

/**
 * The admin API's listener ({@code admin} in the file).
 *
 * @param listen    where the admin API listens, {@code null} for off; never a data listener's address
 * @param token     the bearer token that changes need, or {@code null}: then {@code KODIAK_ADMIN_TOKEN}
 *                  from the environment, else one generated at start and written to a token file
 *                  (loopback only: Kodiak refuses a non-loopback admin address without a token)
 * @param stateFile where admin states and weights set at runtime are kept across restarts and
 *                  reloads, or {@code null} for nowhere
 */
public record AdminConfig(InetSocketAddress listen, String token, Path stateFile) {
    /** The default admin address: loopback only, port 9090. */
    public static final InetSocketAddress DEFAULT_LISTEN = new InetSocketAddress("127.0.0.1", 9090);

    /** No admin listener and no state file: the embedding default (tests, the demo decides itself). */
    public static final AdminConfig OFF = new AdminConfig(null, null, null);

    public boolean enabled() {
        return listen != null;
    }

    public AdminConfig withListen(InetSocketAddress a) {
        return new AdminConfig(a, token, stateFile);
    }

    public AdminConfig withToken(String t) {
        return new AdminConfig(listen, t, stateFile);
    }

    public AdminConfig withStateFile(Path p) {
        return new AdminConfig(listen, token, p);
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
                + (stateFile == null ? "" : ", state file " + stateFile);
    }
}
