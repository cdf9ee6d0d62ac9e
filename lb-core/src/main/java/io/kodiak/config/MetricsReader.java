package io.kodiak.config;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Reads the {@code metrics} section: {@code off}, or {@code listen}, {@code rules} and {@code allowed-hosts}. Without one: {@link MetricsConfig#DEFAULT}. */
final class MetricsReader {
    private static final List<String> KEYS = List.of("listen", "rules", "allowed-hosts");

    private final Path baseDir;

    MetricsReader(Path baseDir) {
        this.baseDir = baseDir;
    }

    MetricsConfig read(ConfigNode node) throws ConfigException {
        if (node == null) {
            return MetricsConfig.DEFAULT;
        }
        if (node.isScalar()) {
            if (node.string().equals("off")) {
                return MetricsConfig.OFF;
            }
            throw node.error("expected off, or a mapping with the keys " + String.join(", ", KEYS));
        }
        ConfigMapping m = node.mapping(KEYS);
        InetSocketAddress listen = MetricsConfig.DEFAULT_LISTEN;
        ConfigNode l = m.get("listen");
        if (l != null) {
            listen = l.string().equals("off") ? null : l.parse("host:port or off", Values::listenAddress);
        }
        Path rules = null;
        ConfigNode r = m.get("rules");
        if (r != null) {
            rules = baseDir.resolve(r.string()).normalize();
            if (!Files.isReadable(rules)) {
                throw r.error("cannot read the rules file " + rules);
            }
        }
        List<String> allowedHosts = m.get("allowed-hosts") == null ? List.of() : m.get("allowed-hosts").hostNames();
        return new MetricsConfig(true, listen, rules, allowedHosts);
    }
}
