package io.kodiak.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/** Reads a route's {@code redirect}: a target, or {@code {to: TARGET, status: N}} ({@link RedirectConfig}). */
final class RedirectReader {
    private static final List<String> KEYS = List.of("to", "status");

    private RedirectReader() {
    }

    /** @param groups the route's regex group names, or null when it has no path-regex */
    static RedirectConfig read(ConfigNode node, Path baseDir, Set<String> groups) throws ConfigException {
        if (node.isScalar()) {
            return new RedirectConfig(RewriteReader.template(node, node.string(), groups), RedirectConfig.DEFAULT_STATUS);
        }
        ConfigMapping m = node.mapping(KEYS);
        ConfigNode to = m.require("to");
        int status = RedirectConfig.DEFAULT_STATUS;
        if (m.get("status") != null) {
            ConfigNode s = m.get("status");
            status = s.integer(300, 399);
            if (!RedirectConfig.STATUSES.contains(status)) {
                throw s.error(status + " is not a redirect (use 301, 302, 303, 307 or 308)");
            }
        }
        return new RedirectConfig(RewriteReader.template(to, to.string(), groups), status);
    }
}
