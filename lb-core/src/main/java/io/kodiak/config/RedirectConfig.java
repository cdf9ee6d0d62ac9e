package io.kodiak.config;

import io.kodiak.filter.Template;

/**
 * A route's {@code redirect}: Kodiak answers with {@code status} and a {@code Location} made from
 * {@code to} (nginx {@code rewrite ... redirect|permanent} and {@code return 301 URL}; HAProxy
 * {@code http-request redirect location|prefix ... code N}).
 *
 * @param to     the target, with variables and the route's regex groups; the client's query is
 *               appended when it has no '?', and a final '?' drops it (nginx's rewrite rules)
 * @param status 301, 302, 303, 307 or 308
 */
public record RedirectConfig(Template to, int status) implements FeatureConfig {
    /** The statuses a redirect may have. */
    public static final java.util.List<Integer> STATUSES = java.util.List.of(301, 302, 303, 307, 308);
    /** As nginx's {@code rewrite ... redirect}. */
    public static final int DEFAULT_STATUS = 302;
}
