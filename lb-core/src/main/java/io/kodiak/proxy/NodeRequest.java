package io.kodiak.proxy;

import io.kodiak.config.HealthCheckConfig;
import io.kodiak.upstream.Upstream;

import java.util.Locale;
import java.util.Map;
import java.util.logging.Logger;

/**
 * What a node asks for in its passed HTTP check's response, HAProxy's agent-check over the same
 * check: {@code X-Kodiak-State: drain} (or {@code maint}: no new requests; the checks go on) or
 * {@code ready}, and {@code X-Kodiak-Weight: N%} (a share of the configured weight; 0 % drains).
 * Without the headers the upstream is ready at full weight. Each Kodiak in front of the node reads
 * the same answer, so several drain it without coordinating.
 *
 * @param drain         whether the node takes no new requests
 * @param weightPercent the share of its configured weight the node asks for, 1-100
 */
record NodeRequest(boolean drain, int weightPercent) {
    /** The control loop's log, where these lines have always gone. */
    private static final Logger LOG = Logger.getLogger(ControlLoop.class.getName());

    /**
     * Reads a check response's {@code headers} (lower-case names). A value it cannot read keeps
     * what {@code u} has now, and is logged at FINE.
     */
    static NodeRequest of(Map<String, String> headers, Upstream u) {
        String state = headers.getOrDefault(HealthCheckConfig.NODE_STATE_HEADER, "ready").toLowerCase(Locale.ROOT);
        boolean drain = switch (state) {
            case "drain", "maint" -> true;
            case "ready", "up" -> false;
            default -> {
                LOG.fine(() -> u + ": ignoring " + HealthCheckConfig.NODE_STATE_HEADER + ": " + state);
                yield u.nodeDrain();
            }
        };
        int weight = 100;
        String w = headers.get(HealthCheckConfig.NODE_WEIGHT_HEADER);
        if (w != null) {
            int percent = w.matches("[0-9]{1,3}%") ? Integer.parseInt(w.substring(0, w.length() - 1)) : -1;
            if (percent >= 0 && percent <= 100) {
                weight = percent;
            } else {
                LOG.fine(() -> u + ": ignoring " + HealthCheckConfig.NODE_WEIGHT_HEADER + ": " + w + " (0%-100%)");
                weight = u.nodeWeightPercent();
            }
        }
        if (weight == 0) {
            return new NodeRequest(true, 100); // HAProxy: weight 0 is DRAIN
        }
        return new NodeRequest(drain, weight);
    }
}
