package io.kodiak.config;

import java.util.List;

/**
 * A listener's or route's {@code rate-limit}: one or more nginx {@code limit_req} rules, each on
 * its own zone. A request passes only if every rule lets it; it then waits for the longest delay
 * any rule asks for.
 *
 * @param rules in the order written; never empty, each zone at most once
 */
public record RateLimitConfig(List<Rule> rules) implements FeatureConfig {
    /** nginx's {@code limit_req_status} is 503; Kodiak's default is the status RFC 6585 made for it. */
    public static final int DEFAULT_STATUS = 429;

    public RateLimitConfig {
        rules = List.copyOf(rules);
    }

    /**
     * One rule (nginx {@code limit_req zone=Z burst=B [nodelay | delay=D]}).
     *
     * @param zone   the zone, as defined at the top of the file
     * @param burst  requests over the rate that may wait (or pass, up to {@code delay}) rather
     *               than be refused
     * @param delay  requests over the rate served without waiting; {@link Integer#MAX_VALUE}
     *               for {@code nodelay}, 0 (every excess request waits) by default
     * @param status the answer beyond the burst, 400-599
     */
    public record Rule(LimitZoneConfig zone, int burst, int delay, int status) {
        public boolean nodelay() {
            return delay == Integer.MAX_VALUE;
        }
    }
}
