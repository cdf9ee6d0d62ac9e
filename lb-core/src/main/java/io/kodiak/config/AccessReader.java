package io.kodiak.config;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads a listener's or route's {@code access} ({@link AccessConfig}):
 * <pre>
 * access:
 *   - {action: allow, source: [10.0.0.0/8, "2001:db8::/32"]}
 *   - {action: deny, path-prefix: /admin/}                       # 403, the error pages apply
 *   - {action: tarpit, source-file: blocklist.txt, hold: 10s}    # held, then 403 (PT in the log)
 *   - {action: redirect, to: "https://example.com/blocked", status: 302, headers: {x-old-app: true}}
 *   - deny                                                       # everything else
 * </pre>
 * A rule's conditions are a route's ({@code methods}, {@code headers}, {@code cookies},
 * {@code query}, {@code path}/{@code path-prefix}/{@code path-regex}) plus {@code source},
 * {@code source-file}, {@code not-source} and {@code not-source-file}. Files resolve against the
 * configuration's directory and are read now: a line that is no address fails the load (or the
 * reload, which keeps the running configuration) with the file's name and line.
 */
final class AccessReader {
    private static final List<String> KEYS = List.of("action", "status", "hold", "to",
            "source", "source-file", "not-source", "not-source-file",
            "methods", "path", "path-prefix", "path-regex", "headers", "cookies", "query");
    private static final List<String> ACTIONS = List.of("allow", "deny", "tarpit", "redirect");
    private static final Duration MAX_HOLD = Duration.ofMinutes(5);

    private AccessReader() {
    }

    /** @param groups the route's regex group names (a redirect's {@code $1}), or null */
    static AccessConfig read(ConfigNode node, Path baseDir, Set<String> groups) throws ConfigException {
        List<ConfigNode> items = node.sequence();
        if (items.isEmpty()) {
            throw node.error("must list at least one rule (leave access out to allow every request)");
        }
        List<AccessRule> rules = new ArrayList<>();
        for (ConfigNode item : items) {
            if (!rules.isEmpty() && rules.get(rules.size() - 1).unconditional()) {
                throw item.error("is never reached: the rule before it has no conditions and decides every request");
            }
            rules.add(rule(item, baseDir, groups));
        }
        return new AccessConfig(rules);
    }

    private static AccessRule rule(ConfigNode item, Path baseDir, Set<String> groups) throws ConfigException {
        if (item.isScalar()) {
            AccessRule.Action a = action(item);
            if (a == AccessRule.Action.REDIRECT) {
                throw item.error("a redirect needs its target: write {action: redirect, to: URL}");
            }
            return new AccessRule(a, a == AccessRule.Action.ALLOW ? 0 : AccessRule.DEFAULT_STATUS,
                    a == AccessRule.Action.TARPIT ? AccessRule.DEFAULT_HOLD : null, null, RouteConditions.NONE,
                    null, null, null);
        }
        ConfigMapping m = item.mapping(KEYS);
        AccessRule.Action a = action(m.require("action"));
        int status = status(m, a);
        Duration hold = null;
        if (m.get("hold") != null && a != AccessRule.Action.TARPIT) {
            throw m.keyError("hold", "only a tarpit holds requests (this rule is " + a.key() + ")");
        }
        if (a == AccessRule.Action.TARPIT) {
            hold = m.get("hold") == null ? AccessRule.DEFAULT_HOLD : m.get("hold").duration();
            if (hold.isZero() || hold.compareTo(MAX_HOLD) > 0) {
                throw m.get("hold").error("must be more than 0 and at most " + MAX_HOLD.toMinutes() + "m");
            }
        }
        io.kodiak.filter.Template to = null;
        if (a == AccessRule.Action.REDIRECT) {
            ConfigNode t = m.require("to");
            to = RewriteReader.template(t, t.string(), groups);
        } else if (m.get("to") != null) {
            throw m.keyError("to", "only a redirect has a target (this rule is " + a.key() + ")");
        }
        RouteConditions conditions = new RouteConditions(
                m.get("methods") == null ? List.of() : RouteReader.methods(m.get("methods")),
                m.get("headers") == null ? Map.of() : RouteReader.fields(m.get("headers"), "a field name", true, true),
                m.get("cookies") == null ? Map.of() : RouteReader.fields(m.get("cookies"), "a cookie name", true, false),
                m.get("query") == null ? Map.of() : RouteReader.fields(m.get("query"), "a parameter name", false, false),
                List.of());
        return new AccessRule(a, status, hold, to, conditions, path(m),
                sources(m, "source", "source-file", baseDir), sources(m, "not-source", "not-source-file", baseDir));
    }

    private static AccessRule.Action action(ConfigNode n) throws ConfigException {
        String text = n.string();
        if (!ACTIONS.contains(text)) {
            throw n.error("unknown action " + Values.quote(text) + " (known: " + String.join(", ", ACTIONS) + ")");
        }
        return AccessRule.Action.valueOf(text.toUpperCase(java.util.Locale.ROOT));
    }

    private static int status(ConfigMapping m, AccessRule.Action a) throws ConfigException {
        ConfigNode s = m.get("status");
        switch (a) {
            case ALLOW -> {
                if (s != null) {
                    throw m.keyError("status", "an allow has no status: the request goes on");
                }
                return 0;
            }
            case REDIRECT -> {
                if (s == null) {
                    return RedirectConfig.DEFAULT_STATUS;
                }
                int status = s.integer(300, 399);
                if (!RedirectConfig.STATUSES.contains(status)) {
                    throw s.error(status + " is not a redirect (use 301, 302, 303, 307 or 308)");
                }
                return status;
            }
            default -> {
                return s == null ? AccessRule.DEFAULT_STATUS : s.integer(400, 599);
            }
        }
    }

    private static AccessRule.AccessPath path(ConfigMapping m) throws ConfigException {
        List<String> kinds = m.keys().stream().filter(k -> k.equals("path") || k.equals("path-prefix")
                || k.equals("path-regex")).toList();
        if (kinds.isEmpty()) {
            return null;
        }
        if (kinds.size() > 1) {
            throw m.keyError(kinds.get(1), "a rule has one of path, path-prefix and path-regex; this one also has "
                    + kinds.get(0));
        }
        if (m.get("path-regex") != null) {
            return new AccessRule.AccessPath(List.of(), List.of(),
                    m.get("path-regex").parse("a regular expression", RouteReader::regex));
        }
        boolean exact = m.get("path") != null;
        List<String> paths = paths(exact ? m.get("path") : m.get("path-prefix"));
        return exact ? new AccessRule.AccessPath(paths, List.of(), null) : new AccessRule.AccessPath(List.of(), paths, null);
    }

    /** One path or a list of them, each as a route's path reads it. */
    private static List<String> paths(ConfigNode node) throws ConfigException {
        List<ConfigNode> items = node.isScalar() ? List.of(node) : node.sequence();
        if (items.isEmpty()) {
            throw node.error("must list at least one path (leave it out to match any path)");
        }
        List<String> out = new ArrayList<>();
        for (ConfigNode item : items) {
            out.add(item.parse("a path", ListenerReader::pathPrefix));
        }
        return out;
    }

    /** {@code source} and {@code source-file} (or their {@code not-} forms) together; null when neither is given. */
    private static AccessRule.Sources sources(ConfigMapping m, String key, String fileKey, Path baseDir)
            throws ConfigException {
        if (m.get(key) == null && m.get(fileKey) == null) {
            return null;
        }
        AccessCidrs cidrs = m.get(key) == null ? AccessCidrs.EMPTY : AccessCidrs.of(RouteReader.sources(m.get(key)));
        List<AccessSourceFile> files = new ArrayList<>();
        if (m.get(fileKey) != null) {
            ConfigNode node = m.get(fileKey);
            List<ConfigNode> items = node.isScalar() ? List.of(node) : node.sequence();
            if (items.isEmpty()) {
                throw node.error("must list at least one file");
            }
            for (ConfigNode item : items) {
                files.add(file(item, baseDir.resolve(item.string()).normalize()));
            }
        }
        return new AccessRule.Sources(cidrs, files);
    }

    private static AccessSourceFile file(ConfigNode node, Path file) throws ConfigException {
        try {
            return AccessSourceFile.read(file);
        } catch (AccessSourceFile.BadLine e) {
            throw node.error(e.getMessage());
        } catch (IOException e) {
            throw node.error("cannot read " + file + ": " + ConfigLoader.reason(e));
        }
    }
}
