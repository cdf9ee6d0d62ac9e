package io.kodiak.config;

import io.kodiak.filter.Template;

/**
 * A route's {@code rewrite}: what the upstream is sent instead of the client's path, query and
 * Host (nginx {@code rewrite ... break}, {@code proxy_pass} with a URI and
 * {@code proxy_set_header Host}; HAProxy {@code http-request set-path|replace-path|set-query};
 * Traefik StripPrefix and ReplacePathRegex). At most one of the three path forms is set.
 *
 * @param stripPrefix    removed from the start of the path when it starts with it, or null
 * @param replaceFrom    a prefix replaced by {@code replaceTo} when the path starts with it, or null
 * @param replaceTo      what replaces {@code replaceFrom}
 * @param path           the new path, with variables and the route's regex groups, or null
 * @param query          the new query (empty: none), or null to keep the client's
 * @param host           a fixed {@code Host} to send, or null
 * @param hostOfUpstream send the upstream's own host[:port] as {@code Host}, per attempt
 */
public record RewriteConfig(String stripPrefix, String replaceFrom, String replaceTo, Template path, Template query,
                            String host, boolean hostOfUpstream) implements FeatureConfig {
}
