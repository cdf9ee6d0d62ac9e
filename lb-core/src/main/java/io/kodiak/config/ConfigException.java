package io.kodiak.config;

/**
 * A configuration that cannot be used. The message names the file, the key path and the problem,
 * e.g. {@code kodiak.yaml:12: pools.web.upstreams[1].address: "x:99999" is not host:port}.
 */
public final class ConfigException extends Exception {
    public ConfigException(String message) {
        super(message);
    }
}
