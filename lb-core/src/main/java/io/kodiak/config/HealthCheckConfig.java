package io.kodiak.config;

import io.kodiak.health.HealthCheckPolicy;
import io.kodiak.health.HttpCheck;

import java.util.Objects;

/**
 * A pool's active health check: which kind, and the HAProxy-style policy (rise, fall, intervals,
 * timeout, jitter) every upstream of the pool is checked with.
 *
 * @param type   how an upstream is probed
 * @param policy thresholds and timing
 * @param http   what an HTTP check sends and accepts; {@code null} unless {@code type} is {@link Type#HTTP}
 */
public record HealthCheckConfig(Type type, HealthCheckPolicy policy, HttpCheck http) {

    /**
     * What a pool without a {@code health-check} section gets: a TCP connect every 2 s, down after 3
     * failures, up after 2 passes (HAProxy's {@code check} defaults), so that even quick mode stops
     * sending requests to an upstream that has died.
     */
    public static final HealthCheckConfig DEFAULTS = new HealthCheckConfig(Type.TCP, HealthCheckPolicy.DEFAULTS, null);

    /** Header of an HTTP check's response with which an upstream asks to be drained ({@code drain}) or used ({@code ready}). */
    public static final String NODE_STATE_HEADER = "x-kodiak-state";
    /** Header of an HTTP check's response with which an upstream asks for a share of its weight ({@code 50%}). */
    public static final String NODE_WEIGHT_HEADER = "x-kodiak-weight";
    /** What every HTTP check captures from its responses. */
    public static final java.util.Set<String> NODE_HEADERS = java.util.Set.of(NODE_STATE_HEADER, NODE_WEIGHT_HEADER);

    public HealthCheckConfig {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(policy, "policy");
        if ((type == Type.HTTP) != (http != null)) {
            throw new IllegalArgumentException("an HTTP check, and only an HTTP check, needs its request: " + type);
        }
    }

    /** The kinds of check, by their configuration names. */
    public enum Type {
        /** No active check: every upstream counts as up. */
        NONE("none"),
        /** A TCP connect (HAProxy's plain {@code check}). */
        TCP("tcp"),
        /** An HTTP request whose response status (and optionally body) must match (HAProxy's {@code option httpchk}). */
        HTTP("http");

        private final String configName;

        Type(String configName) {
            this.configName = configName;
        }

        public String configName() {
            return configName;
        }
    }

    @Override
    public String toString() {
        return switch (type) {
            case NONE -> "no health check";
            case TCP -> "tcp check every " + Values.format(policy.interval());
            case HTTP -> "http check " + http.method() + " " + http.path() + " every " + Values.format(policy.interval());
        };
    }
}
