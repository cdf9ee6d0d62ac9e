package io.kodiak.config;

import java.util.List;

/**
 * A listener's or route's {@code concurrency-limit}: one or more nginx {@code limit_conn} rules,
 * each counting the requests in progress per key of its zone. A request over any rule's
 * {@code max} is refused at once.
 *
 * @param rules in the order written; never empty, each zone at most once
 */
public record ConcurrencyLimitConfig(List<Rule> rules) implements FeatureConfig {
    public ConcurrencyLimitConfig {
        rules = List.copyOf(rules);
    }

    /**
     * One rule (nginx {@code limit_conn Z N} with {@code limit_conn_status}).
     *
     * @param zone   the zone, as defined at the top of the file
     * @param max    requests in progress per key, at least 1
     * @param status the answer beyond it, 400-599
     */
    public record Rule(LimitZoneConfig zone, int max, int status) {
    }
}
