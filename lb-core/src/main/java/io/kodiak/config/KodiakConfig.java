package io.kodiak.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The whole, validated configuration of one Kodiak process. Immutable.
 *
 * @param source    the file it was read from, or {@code null} for quick mode and the demo
 * @param listeners the client-facing listeners, in file order
 * @param pools     the upstream pools by name, in file order
 */
public record KodiakConfig(Path source, List<ListenerConfig> listeners, Map<String, PoolConfig> pools) {
    public KodiakConfig {
        listeners = List.copyOf(listeners);
        pools = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(pools));
    }

    /** Where this configuration came from, for messages: the file name or "quick mode". */
    public String origin() {
        return source == null ? "(built-in)" : source.toString();
    }
}
