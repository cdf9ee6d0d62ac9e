package io.kodiak.proxy;

import io.kodiak.config.ConfigLoader;
import io.kodiak.config.KodiakConfig;
import io.kodiak.testing.RawClient;
import io.kodiak.testing.RawResponse;
import io.kodiak.testing.ScriptedUpstream;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A Kodiak with one listener ({@code web}) whose routes a test gives as YAML, and one upstream
 * per pool, named like the pool: {@link #pool} says which pool a raw request reached (the
 * upstream's {@code X-Upstream}), or the status when Kodiak answered by itself.
 */
final class RouteHarness implements AutoCloseable {
    private final List<ScriptedUpstream> upstreams = new ArrayList<>();
    final ProxyServer server;
    final KodiakConfig config;

    /**
     * @param dir     where the file goes
     * @param address the listener's address
     * @param routes  the {@code routes:} list, each line indented by 6 spaces
     * @param pools   the pool names
     */
    RouteHarness(Path dir, String address, String routes, String... pools) throws Exception {
        StringBuilder yaml = new StringBuilder("admin: {listen: off, state-file: off}\nmetrics: off\n"
                + "listeners:\n  - name: web\n    address: \"" + address + "\"\n    routes:\n" + routes + "pools:\n");
        try {
            for (String p : pools) {
                ScriptedUpstream u = ScriptedUpstream.start(p);
                upstreams.add(u);
                yaml.append("  ").append(p).append(": {health-check: {type: none}, upstreams: [{name: ").append(p)
                        .append(", address: \"").append(u.hostPort()).append("\"}]}\n");
            }
            Path file = dir.resolve("kodiak.yaml");
            Files.writeString(file, yaml);
            config = ConfigLoader.load(file);
            server = ProxyServer.start(config);
        } catch (Exception | Error e) {
            upstreams.forEach(ScriptedUpstream::close);
            throw e;
        }
    }

    InetSocketAddress address() {
        return server.boundAddress("web");
    }

    /** Sends {@code head} (a request without body, without the final empty line) on a new connection. */
    String pool(String head) throws IOException {
        try (RawClient c = RawClient.connect(address(), RawClient.DEFAULT_READ_TIMEOUT)) {
            return pool(c, head);
        }
    }

    /** Sends {@code head} on {@code c} and says where it went. */
    static String pool(RawClient c, String head) throws IOException {
        RawResponse r = c.exchange(head + "\r\n\r\n");
        return r.status() == 200 && r.header("X-Upstream") != null ? r.header("X-Upstream") : Integer.toString(r.status());
    }

    /** {@code GET target} with {@code Host: host} and the extra field lines {@code fields}. */
    String get(String host, String target, String... fields) throws IOException {
        StringBuilder head = new StringBuilder("GET " + target + " HTTP/1.1\r\nHost: " + host);
        for (String f : fields) {
            head.append("\r\n").append(f);
        }
        return pool(head.toString());
    }

    ScriptedUpstream upstream(String pool) {
        return upstreams.stream().filter(u -> u.name().equals(pool)).findFirst().orElseThrow();
    }

    @Override
    public void close() {
        server.close();
        upstreams.forEach(ScriptedUpstream::close);
    }
}
