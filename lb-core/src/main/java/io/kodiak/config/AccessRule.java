package io.kodiak.config;

import io.kodiak.filter.Template;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * One access rule: what it does and when. All its conditions must hold; a rule without any
 * takes every request that reaches it (the "deny everything else" at the end of a list).
 *
 * @param action     what it does
 * @param status     the answer's status: deny and tarpit 400-599 (403 by default), redirect
 *                   301/302/303/307/308 (302 by default); 0 for allow
 * @param hold       how long a tarpit holds the request before answering; null for the others
 * @param to         a redirect's target; null for the others
 * @param conditions methods, headers, cookies and query, as a route reads them (no sources: those
 *                   are {@code source}, which may be large)
 * @param path       the path condition, or null for any path
 * @param source     the client must be in one of these ranges, or null for any client
 * @param notSource  the client must be in none of these ranges, or null
 */
public record AccessRule(Action action, int status, Duration hold, Template to, RouteConditions conditions,
                         AccessPath path, Sources source, Sources notSource) {
    /** The actions: nginx {@code allow}/{@code deny}, HAProxy {@code http-request allow|deny|tarpit|redirect}. */
    public enum Action {
        ALLOW, DENY, TARPIT, REDIRECT;

        /** The action's key, as written in the configuration. */
        public String key() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** As nginx's {@code deny}. */
    public static final int DEFAULT_STATUS = 403;
    /** How long a tarpit holds a request unless told (HAProxy's {@code timeout tarpit} has no default of its own). */
    public static final Duration DEFAULT_HOLD = Duration.ofSeconds(10);

    /**
     * Address ranges written in the rule and read from files. The files' ranges are those read with
     * the configuration; while it runs, a changed file is read again and replaces them
     * ({@code io.kodiak.proxy.AccessFiles}).
     *
     * @param cidrs the ranges written in the rule
     * @param files the {@code source-file}s
     */
    public record Sources(AccessCidrs cidrs, List<AccessSourceFile> files) {
        public Sources {
            files = List.copyOf(files);
        }
    }

    /**
     * The path condition, one of three kinds as a route has them: exact paths, path prefixes, or a
     * regular expression found in the path. The path is the normalised one, as routes see it.
     *
     * @param exact    any of these paths exactly (nginx {@code location =}), or empty
     * @param prefixes any of these prefixes, or empty
     * @param regex    the expression, or null
     */
    public record AccessPath(List<String> exact, List<String> prefixes, PathRegex regex) {
        public AccessPath {
            exact = List.copyOf(exact);
            prefixes = List.copyOf(prefixes);
        }
    }

    /** Whether the rule has no condition: it takes every request that reaches it. */
    public boolean unconditional() {
        return conditions.isEmpty() && path == null && source == null && notSource == null;
    }

    /** As the docs and logs name it: {@code deny 403 if methods POST; source 2 ranges}. */
    public String describe() {
        List<String> parts = new ArrayList<>();
        String c = conditions.describe();
        if (!c.isEmpty()) {
            parts.add(c);
        }
        if (path != null) {
            parts.add(path.regex() != null ? "path-regex " + path.regex().text()
                    : !path.exact().isEmpty() ? "path " + String.join(",", path.exact())
                    : "path-prefix " + String.join(",", path.prefixes()));
        }
        if (source != null) {
            parts.add("source " + describe(source));
        }
        if (notSource != null) {
            parts.add("not-source " + describe(notSource));
        }
        String what = action.key() + (status == 0 ? "" : " " + status) + (hold == null ? "" : " after " + hold.toMillis() + " ms")
                + (to == null ? "" : " to " + to);
        return parts.isEmpty() ? what : what + " if " + String.join("; ", parts);
    }

    private static String describe(Sources s) {
        int n = s.cidrs().size();
        for (AccessSourceFile f : s.files()) {
            n += f.cidrs().size();
        }
        return n + (n == 1 ? " range" : " ranges") + (s.files().isEmpty() ? "" : " (" + s.files().size() + " files)");
    }
}
