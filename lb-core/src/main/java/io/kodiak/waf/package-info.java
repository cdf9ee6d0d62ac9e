/**
 * {@code request-rules}, a small WAF: bundled rules for the common hot-patch cases (path
 * traversal, scanner paths, bad cookies, unusual methods, opt-in SQL/script probes) and own rules
 * on the path, query, header fields and the buffered body, matched with RE2/J (linear time) or
 * literals. The configuration is {@link io.kodiak.config.RequestRulesConfig}; the filter is
 * {@link io.kodiak.waf.RequestRules}.
 */
package io.kodiak.waf;
