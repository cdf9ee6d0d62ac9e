package io.kodiak.config;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Finds routes that can never match: an earlier route in precedence order ({@link RouteConfig})
 * takes every request they would. {@code kodiak check} prints them, and so do {@code run} and a
 * reload, as warnings rather than errors: such a route is harmless, just dead.
 *
 * <p>Route A shadows route B when A is in every host group B is in (its hosts include all of
 * B's, or both have none) with the same server name, B's conditions imply A's, and by path:
 * <ul>
 *   <li>both have the same path rank (the same exact path, prefix or expression; no path covers
 *       the prefix "/") and A is tried first (more conditions, then file order);</li>
 *   <li>B is a prefix without {@code prefix-over-regex} (or has no path) and A is an expression
 *       that matches every path starting with a text B's prefix starts with ({@code ^/api},
 *       {@code ^/api.*}, {@code /api}): a regular expression beats a prefix;</li>
 *   <li>both are expressions, A earlier in the file, and every path B can match starts with a
 *       text A matches every path starting with;</li>
 *   <li>B is an expression, every path it can match starts with A's prefix, A is
 *       {@code prefix-over-regex}, and no longer prefix without it could take such a path (any
 *       route's, to be safe) and let the expressions be tried.</li>
 * </ul>
 * What cannot be told from the text of an expression is not reported.
 */
final class RouteShadows {
    private RouteShadows() {
    }

    static void check(List<RouteConfig> routes, List<ConfigNode> nodes, List<String> warnings) {
        Map<String, Integer> regexRank = new HashMap<>();
        for (int i = 0; i < routes.size(); i++) {
            PathRegex r = routes.get(i).pathRegex();
            if (r != null) {
                regexRank.putIfAbsent(r.text(), i);
            }
        }
        for (int b = 0; b < routes.size(); b++) {
            for (int a = 0; a < routes.size(); a++) {
                if (a != b && shadows(routes.get(a), a, routes.get(b), b, regexRank, routes)) {
                    ConfigNode at = nodes.get(b);
                    warnings.add(at.error("never matches: " + nodes.get(a).path() + " (line " + nodes.get(a).line()
                            + ", " + routes.get(a).describe() + ") takes every request it would").getMessage());
                    break;
                }
            }
        }
    }

    static boolean shadows(RouteConfig a, int orderA, RouteConfig b, int orderB, Map<String, Integer> regexRank,
                           List<RouteConfig> all) {
        if (!Objects.equals(a.sni(), b.sni()) || !a.conditions().impliedBy(b.conditions())) {
            return false;
        }
        if (b.hosts().isEmpty() ? !a.hosts().isEmpty() : !a.hosts().containsAll(b.hosts())) {
            return false;
        }
        if (sameRank(a, b)) {
            int ca = a.conditions().count();
            int cb = b.conditions().count();
            boolean first = ca > cb || ca == cb && orderA < orderB;
            boolean covers = Objects.equals(a.path(), b.path()) && Objects.equals(a.pathPrefix(), b.pathPrefix())
                    && Objects.equals(a.pathRegex(), b.pathRegex())
                    || a.pathPrefix() == null && a.path() == null && a.pathRegex() == null; // no path vs "/"
            return first && covers;
        }
        if (a.prefixOverRegex() && b.pathRegex() != null) {
            String literal = b.pathRegex().anchoredLiteral();
            return literal != null && literal.startsWith(a.pathPrefix()) && all.stream().noneMatch(c ->
                    c.pathPrefix() != null && !c.prefixOverRegex() && c.pathPrefix().length() > a.pathPrefix().length()
                            && (c.pathPrefix().startsWith(literal) || literal.startsWith(c.pathPrefix())));
        }
        String covered = a.pathRegex() == null ? null : a.pathRegex().coveredPrefix();
        if (covered == null) {
            return false;
        }
        if (b.pathRegex() != null) {
            String literal = b.pathRegex().anchoredLiteral();
            return literal != null && literal.startsWith(covered)
                    && regexRank.get(a.pathRegex().text()) < regexRank.get(b.pathRegex().text());
        }
        if (b.path() != null || b.prefixOverRegex()) {
            return false; // an exact path, or a prefix that beats expressions
        }
        return (b.pathPrefix() == null ? "" : b.pathPrefix()).startsWith(covered);
    }

    /** The same exact path, the same expression, or the same prefix (no path being "/"). */
    private static boolean sameRank(RouteConfig a, RouteConfig b) {
        if (a.path() != null || b.path() != null) {
            return Objects.equals(a.path(), b.path());
        }
        if (a.pathRegex() != null || b.pathRegex() != null) {
            return Objects.equals(a.pathRegex(), b.pathRegex());
        }
        return prefixRank(a).equals(prefixRank(b));
    }

    private static String prefixRank(RouteConfig r) {
        return r.pathPrefix() == null ? "/" : r.pathPrefix();
    }
}
