package io.kodiak.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Reads {@code request-rules} ({@link RequestRulesConfig}): the bundled rules that are on, their
 * settings, and own rules. Every pattern is compiled here, so a bad one fails the load with its
 * line, never a request.
 */
final class RequestRulesReader {
    private static final List<String> KEYS = List.of("bundled", "except", "status", "allowed-methods", "cookies",
            "inspect-limit", "body-limit", "body-over-limit", "rules");
    private static final List<String> COOKIE_KEYS = List.of("max-bytes", "max-count");
    private static final List<String> RULE_KEYS = List.of("id", "methods", "path", "query", "headers", "body",
            "action", "status");
    private static final java.util.regex.Pattern TOKEN = java.util.regex.Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
    private static final java.util.regex.Pattern ID = java.util.regex.Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");

    private RequestRulesReader() {
    }

    static RequestRulesConfig read(ConfigNode node, Path baseDir) throws ConfigException {
        ConfigMapping m = node.mapping(KEYS);
        Set<BundledRule> bundled = bundled(m);
        int status = m.get("status") == null ? RequestRulesConfig.DEFAULT_STATUS : m.get("status").integer(400, 599);
        List<String> methods = RequestRulesConfig.DEFAULT_METHODS;
        if (m.get("allowed-methods") != null) {
            methods = RouteReader.methods(m.get("allowed-methods"));
        }
        int cookieBytes = RequestRulesConfig.DEFAULT_COOKIE_BYTES;
        int cookieCount = RequestRulesConfig.DEFAULT_COOKIE_COUNT;
        if (m.get("cookies") != null) {
            ConfigMapping c = m.get("cookies").mapping(COOKIE_KEYS);
            if (c.get("max-bytes") != null) {
                cookieBytes = (int) c.get("max-bytes").size(1 << 20);
            }
            if (c.get("max-count") != null) {
                cookieCount = c.get("max-count").integer(1, 10_000);
            }
        }
        int inspect = m.get("inspect-limit") == null ? RequestRulesConfig.DEFAULT_INSPECT_LIMIT
                : (int) m.get("inspect-limit").size(1 << 20);
        int bodyLimit = m.get("body-limit") == null ? RequestRulesConfig.DEFAULT_BODY_LIMIT
                : (int) m.get("body-limit").size(16 << 20);
        boolean refuse = false;
        if (m.get("body-over-limit") != null) {
            String v = m.get("body-over-limit").string();
            if (!v.equals("pass") && !v.equals("refuse")) {
                throw m.get("body-over-limit").error("expected pass or refuse, got " + Values.quote(v));
            }
            refuse = v.equals("refuse");
        }
        List<RequestRulesConfig.Rule> rules = m.get("rules") == null ? List.of() : rules(m.get("rules"), status);
        if (bundled.isEmpty() && rules.isEmpty()) {
            throw node.error("has no rules: name bundled ones (bundled: all) or write your own (rules: [...])");
        }
        return new RequestRulesConfig(bundled, status, methods, cookieBytes, cookieCount, inspect, bodyLimit, refuse, rules);
    }

    /** {@code bundled: all} or a list of ids (which may hold {@code all}), less {@code except}. */
    private static Set<BundledRule> bundled(ConfigMapping m) throws ConfigException {
        Set<BundledRule> on = EnumSet.noneOf(BundledRule.class);
        ConfigNode b = m.get("bundled");
        if (b != null) {
            for (ConfigNode item : b.isScalar() ? List.of(b) : b.sequence()) {
                String id = item.string();
                if (id.equals("all")) {
                    for (BundledRule r : BundledRule.values()) {
                        if (!r.optIn()) {
                            on.add(r);
                        }
                    }
                } else {
                    on.add(known(item, id));
                }
            }
        }
        ConfigNode except = m.get("except");
        if (except != null) {
            for (ConfigNode item : except.isScalar() ? List.of(except) : except.sequence()) {
                BundledRule r = known(item, item.string());
                if (!on.remove(r)) {
                    throw item.error(Values.quote(r.id()) + " is not in bundled, so there is nothing to except");
                }
            }
        }
        return on;
    }

    private static BundledRule known(ConfigNode item, String id) throws ConfigException {
        BundledRule r = BundledRule.byId(id);
        if (r == null) {
            throw item.error("unknown bundled rule " + Values.quote(id) + " (known: all, " + BundledRule.ids() + ")");
        }
        return r;
    }

    private static List<RequestRulesConfig.Rule> rules(ConfigNode node, int status) throws ConfigException {
        List<RequestRulesConfig.Rule> rules = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        int bodyRules = 0;
        for (ConfigNode item : node.sequence()) {
            RequestRulesConfig.Rule r = rule(item, status);
            if (!ids.add(r.id())) {
                throw item.mapping(RULE_KEYS).get("id").error("duplicate rule id " + Values.quote(r.id()));
            }
            if (r.body() != null && ++bodyRules > RequestRulesConfig.MAX_BODY_RULES) {
                throw item.error("more than " + RequestRulesConfig.MAX_BODY_RULES + " rules with a body in one section");
            }
            rules.add(r);
        }
        return rules;
    }

    /** @param sectionStatus the section's status: a deny rule's unless it has its own */
    private static RequestRulesConfig.Rule rule(ConfigNode node, int sectionStatus) throws ConfigException {
        ConfigMapping m = node.mapping(RULE_KEYS);
        ConfigNode idNode = m.require("id");
        String id = idNode.string();
        if (!ID.matcher(id).matches()) {
            throw idNode.error(Values.quote(id) + " is not a rule id (1-64 letters, digits and . _ -, first a letter or digit)");
        }
        if (BundledRule.byId(id) != null || id.equals("all")) {
            throw idNode.error(Values.quote(id) + " is the name of a bundled rule: choose another, so the log tells them apart");
        }
        List<String> methods = m.get("methods") == null ? List.of() : RouteReader.methods(m.get("methods"));
        RuleMatch path = match(m.get("path"), true, false);
        RuleMatch query = match(m.get("query"), false, false);
        RuleMatch body = match(m.get("body"), false, false);
        Map<String, RuleMatch> headers = new LinkedHashMap<>();
        if (m.get("headers") != null) {
            ConfigMapping h = m.get("headers").freeMapping();
            for (String name : h.keys()) {
                String lower = name.toLowerCase(Locale.ROOT);
                if (!TOKEN.matcher(name).matches()) { // any field, framing ones too (Transfer-Encoding)
                    throw h.keyError(name, "not a field name: " + Values.quote(name));
                }
                if (headers.containsKey(lower)) {
                    throw h.keyError(name, "named twice (field names ignore case)");
                }
                headers.put(lower, match(h.get(name), false, true));
            }
        }
        if (methods.isEmpty() && path == null && query == null && body == null && headers.isEmpty()) {
            throw m.error("a rule needs at least one of methods, path, query, headers, body");
        }
        boolean allow = false;
        if (m.get("action") != null) {
            String a = m.get("action").string();
            if (!a.equals("deny") && !a.equals("allow")) {
                throw m.get("action").error("expected deny or allow, got " + Values.quote(a));
            }
            allow = a.equals("allow");
        }
        if (allow && body != null) {
            throw m.get("action").error("a rule on the body can only deny (an allow decides on the head, before the body is read)");
        }
        if (allow && m.get("status") != null) {
            throw m.get("status").error("an allow rule answers nothing: status is for deny");
        }
        int status = m.get("status") == null ? sectionStatus : m.get("status").integer(400, 599);
        return new RequestRulesConfig.Rule(id, methods, path, query, headers, body, allow, status);
    }

    private static RuleMatch match(ConfigNode n, boolean prefix, boolean presence) throws ConfigException {
        return n == null ? null : n.parse("a pattern", t -> RuleMatch.parse(t, prefix, presence));
    }
}
