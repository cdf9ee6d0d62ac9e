package io.kodiak.config;

import io.kodiak.filter.RequestVariables;
import io.kodiak.filter.ResponseVariables;
import io.kodiak.filter.Template;
import io.kodiak.http.FieldEdits;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;

/**
 * Reads the header sections of a listener or route: {@code request-headers},
 * {@code response-headers}, {@code hide-headers}, {@code hide-internals} and {@code expires}.
 * Everything a rule could get wrong at run time is refused here: unknown variables, framing
 * fields, names that are not tokens, values a field cannot carry.
 */
final class HeaderRulesReader {
    private static final List<String> RULE_KEYS = List.of("set", "add", "remove");

    /**
     * What {@code hide-internals: true} removes: fields in which application servers, frameworks,
     * CMSs, agents and proxies behind Kodiak name themselves, their versions, hosts or debug
     * handles. The first group is the OWASP Secure Headers Project's list of fields to remove
     * ({@code ci/headers_remove.json}, 2024-07-19: families written as patterns, {@code Server}
     * left to {@code server-header}, which strips it by default); the second adds framework debug
     * fields that list lacks.
     */
    static final List<String> INTERNALS = List.of(
            // OWASP Secure Headers Project
            "Host-Header", "K-Proxy-Request", "Liferay-Portal", "OracleCommerceCloud-Version", "Pega-Host",
            "Powered-By", "Product", "SourceMap", "X-AspNet-Version", "X-AspNetMvc-Version", "X-Atmosphere-*",
            "X-B3-*", "X-BEServer", "X-CF-Powered-By", "X-CMS", "X-CalculatedBETarget", "X-Cocoon-Version",
            "X-Content-Encoded-By", "X-DiagInfo", "X-Envoy-*", "X-FEServer", "X-Framework", "X-Generated-By",
            "X-Generator", "X-Jitsi-Release", "X-Kubernetes-PF-*", "X-LiteSpeed-*", "X-Mod-Pagespeed", "X-Nextjs-*",
            "X-OWA-Version", "X-Old-Content-Length", "X-OneAgent-JS-Injection", "X-Page-Speed", "X-Php-Version",
            "X-Powered-By", "X-Powered-By-Plesk", "X-Powered-CMS", "X-Redirect-By", "X-Server-Powered-By",
            "X-SourceFiles", "X-SourceMap", "X-Turbo-Charged-By", "X-Umbraco-Version", "X-Varnish-Backend",
            "X-Varnish-Server", "X-dtAgentId", "X-dtHealthCheck", "X-dtInjectedServlet", "X-ruxit-JS-Agent",
            // framework debug and cache fields
            "X-Runtime", // Rails and Rack: the time the app took
            "X-Debug-Token", "X-Debug-Token-Link", // Symfony's profiler: a link to the request's debug data
            "X-Drupal-*", // Drupal's cache fields
            "X-Application-Context", // Spring Boot 1.x: the application's name, profiles and port
            "X-Varnish"); // a Varnish behind Kodiak: its transaction IDs

    private HeaderRulesReader() {
    }

    /** {@code request-headers: {set: {Name: TEMPLATE}, add: {...}, remove: [Name or Prefix-*]}} */
    static FeatureConfig requestHeaders(ConfigNode node, Path baseDir, java.util.Set<String> groups)
            throws ConfigException {
        return rules(node, false, groups);
    }

    /** {@code response-headers}: as {@code request-headers}, with the response's variables too. */
    static FeatureConfig responseHeaders(ConfigNode node, Path baseDir) throws ConfigException {
        return rules(node, true, null); // the response's variables do not include the path's groups
    }

    /** {@code hide-headers: [Name or Prefix-* ...]}: removed from every upstream response. */
    static FeatureConfig hideHeaders(ConfigNode node, Path baseDir) throws ConfigException {
        return HeaderRulesConfig.hiding(removals(node, true));
    }

    /** {@code hide-internals: true}: {@link #INTERNALS} removed from every upstream response. */
    static FeatureConfig hideInternals(ConfigNode node, Path baseDir) throws ConfigException {
        return HeaderRulesConfig.hiding(node.bool() ? INTERNALS : List.of());
    }

    /** {@code expires: DURATION | -DURATION | 0 | epoch | max | off}, durations also in days ({@code 30d}). */
    static FeatureConfig expires(ConfigNode node, Path baseDir) throws ConfigException {
        return node.parse("a duration, epoch, max or off", HeaderRulesReader::expires);
    }

    static ExpiresConfig expires(String text) {
        switch (text) {
            case "epoch": return new ExpiresConfig(ExpiresConfig.Kind.EPOCH, Duration.ZERO);
            case "max": return new ExpiresConfig(ExpiresConfig.Kind.MAX, Duration.ZERO);
            case "off": return new ExpiresConfig(ExpiresConfig.Kind.OFF, Duration.ZERO);
            case "0", "0s": return new ExpiresConfig(ExpiresConfig.Kind.AFTER, Duration.ZERO);
            default:
        }
        boolean negative = text.startsWith("-");
        String d = negative ? text.substring(1) : text;
        Duration age;
        if (d.matches("[0-9]{1,6}d")) {
            age = Duration.ofDays(Long.parseLong(d.substring(0, d.length() - 1)));
            if (age.isZero()) {
                throw new IllegalArgumentException(Values.quote(text) + ": write 0 for no max-age");
            }
        } else {
            age = Values.duration(d);
        }
        if (age.toSeconds() > 100L * 365 * 86_400) {
            throw new IllegalArgumentException(Values.quote(text) + " is too long (write max)");
        }
        return new ExpiresConfig(ExpiresConfig.Kind.AFTER, negative ? age.negated() : age);
    }

    private static HeaderRulesConfig rules(ConfigNode node, boolean response, java.util.Set<String> groups)
            throws ConfigException {
        ConfigMapping m = node.mapping(RULE_KEYS);
        Predicate<String> known = response ? ResponseVariables.NAMES : RequestVariables.NAMES;
        List<HeaderRulesConfig.Rule> set = m.get("set") == null ? List.of() : fields(m.get("set"), known, response, groups);
        List<HeaderRulesConfig.Rule> add = m.get("add") == null ? List.of() : fields(m.get("add"), known, response, groups);
        List<String> remove = m.get("remove") == null ? List.of() : removals(m.get("remove"), response);
        if (set.isEmpty() && add.isEmpty() && remove.isEmpty()) {
            throw node.error("has no rules (give set, add or remove)");
        }
        return new HeaderRulesConfig(response, set, add, remove);
    }

    /**
     * Refuses a {@code set} or {@code add} of {@code request-headers} that names a field the
     * listener writes itself.
     *
     * @param written lower-case field name → the listener setting under which Kodiak writes it
     */
    static void refuseWritten(ConfigNode requestHeaders, java.util.Map<String, String> written)
            throws ConfigException {
        ConfigMapping m = requestHeaders.mapping(RULE_KEYS);
        for (String key : List.of("set", "add")) {
            if (m.get(key) == null) {
                continue;
            }
            ConfigMapping fields = m.get(key).freeMapping();
            for (String name : fields.keys()) {
                String setting = written.get(name.toLowerCase(Locale.ROOT));
                if (setting == null) {
                    continue;
                }
                throw fields.keyError(name, setting.equals("request-id.header")
                        ? "Kodiak writes the request ID in " + name + " (the listener's request-id.header), so it"
                                + " would go upstream twice: name another field there to set this one here"
                        : "Kodiak writes " + name + " (the listener's " + setting + " is on), so it would go"
                                + " upstream twice: turn " + setting + " off to set it here");
            }
        }
    }

    private static List<HeaderRulesConfig.Rule> fields(ConfigNode node, Predicate<String> known, boolean response,
                                                       java.util.Set<String> groups) throws ConfigException {
        ConfigMapping m = node.freeMapping();
        List<HeaderRulesConfig.Rule> rules = new ArrayList<>();
        for (String name : m.keys()) {
            ConfigNode value = m.get(name);
            try {
                new FieldEdits().set(name, "x"); // a token, and not a framing field
            } catch (IllegalArgumentException e) {
                throw m.keyError(name, e.getMessage());
            }
            if (name.equalsIgnoreCase("host") && response) {
                throw m.keyError(name, "Host is a request field");
            }
            String text = value.parse("a field value", Values::fieldValue);
            Template t;
            try {
                t = Template.parse(text, known, groups);
                if (t.isConstant()) {
                    new FieldEdits().set(name, t.expand(n -> null)); // a constant Host must be host[:port]
                }
            } catch (IllegalArgumentException e) {
                throw value.error(e.getMessage());
            }
            rules.add(new HeaderRulesConfig.Rule(name, t));
        }
        return rules;
    }

    private static List<String> removals(ConfigNode node, boolean response) throws ConfigException {
        List<String> names = new ArrayList<>();
        for (ConfigNode item : node.sequence()) {
            String name = item.string();
            try {
                if (FieldEdits.isPattern(name)) {
                    FieldEdits.checkPattern(name);
                } else {
                    new FieldEdits().remove(name);
                }
            } catch (IllegalArgumentException e) {
                throw item.error(e.getMessage());
            }
            if (!response && name.equalsIgnoreCase("host")) {
                throw item.error("an HTTP/1.1 request needs a Host: set it instead");
            }
            if (!names.contains(name.toLowerCase(Locale.ROOT))) {
                names.add(name.toLowerCase(Locale.ROOT));
            }
        }
        if (names.isEmpty()) {
            throw node.error("must name at least one field");
        }
        return names;
    }
}
