package io.kodiak.config;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A listener's or route's {@code request-rules}: a small WAF (HAProxy {@code http-request deny if
 * ...}, nginx {@code location ~ /\.env { deny all; }}; ModSecurity with the OWASP CRS is the heavy
 * peer). Own rules are tried in order, then the bundled ones; the first that matches decides.
 *
 * @param bundled        the bundled rules that are on
 * @param status         the status of a bundled rule's denial
 * @param allowedMethods the methods {@code unusual-methods} lets through
 * @param cookieMaxBytes {@code bad-cookies}: most bytes in all Cookie fields together
 * @param cookieMaxCount {@code bad-cookies}: most cookies
 * @param inspectLimit   how many characters of the path, the query or a header field a rule reads
 * @param bodyLimit      how many bytes of a body the body rules read; a longer body is not inspected
 * @param refuseLongBody a body longer than {@code bodyLimit} gets 413 (when a body rule applies)
 *                       instead of passing uninspected
 * @param rules          own rules, in order
 */
public record RequestRulesConfig(Set<BundledRule> bundled, int status, List<String> allowedMethods,
                                 int cookieMaxBytes, int cookieMaxCount, int inspectLimit, int bodyLimit,
                                 boolean refuseLongBody, List<Rule> rules) implements FeatureConfig {
    /** The methods {@code unusual-methods} lets through unless {@code allowed-methods} says otherwise. */
    public static final List<String> DEFAULT_METHODS = List.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS");
    public static final int DEFAULT_STATUS = 403;
    public static final int DEFAULT_COOKIE_BYTES = 4096;
    public static final int DEFAULT_COOKIE_COUNT = 50;
    public static final int DEFAULT_INSPECT_LIMIT = 32 * 1024;
    public static final int DEFAULT_BODY_LIMIT = 64 * 1024;
    /** At most this many rules with a {@code body} per section: a request's pending ones fit in a long. */
    public static final int MAX_BODY_RULES = 64;

    public RequestRulesConfig {
        bundled = Set.copyOf(bundled);
        allowedMethods = List.copyOf(allowedMethods);
        rules = List.copyOf(rules);
    }

    /**
     * One own rule: every condition it has must hold.
     *
     * @param id      its name in the log
     * @param methods the methods it applies to, empty for any
     * @param path    on the normalised path, or null
     * @param query   on the percent-decoded query, or null
     * @param headers on header fields by lower-case name
     * @param body    on the first {@code body-limit} bytes of the body, or null
     * @param allow   whether a match lets the request through the rules after it (else denies)
     * @param status  the denial's status
     */
    public record Rule(String id, List<String> methods, RuleMatch path, RuleMatch query,
                       Map<String, RuleMatch> headers, RuleMatch body, boolean allow, int status) {
        public Rule {
            methods = List.copyOf(methods);
            headers = java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(headers));
        }
    }
}
