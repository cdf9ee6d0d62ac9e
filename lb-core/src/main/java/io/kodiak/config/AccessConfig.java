package io.kodiak.config;

import java.util.List;

/**
 * A listener's or route's {@code access} rules (nginx {@code allow}/{@code deny}, HAProxy
 * {@code http-request allow|deny|tarpit|redirect if <acl>}, Traefik's {@code IPAllowList}): tried
 * in order, the first whose conditions all hold decides; when none does, the request goes on
 * (nginx's rule). A listener's rules run before its routes'.
 *
 * @param rules in order; never empty
 */
public record AccessConfig(List<AccessRule> rules) implements FeatureConfig {
    public AccessConfig {
        rules = List.copyOf(rules);
        if (rules.isEmpty()) {
            throw new IllegalArgumentException("no rules");
        }
    }
}
