package io.kodiak.config;

import java.util.LinkedHashSet;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A route's {@code path-regex}: a Java regular expression found anywhere in the normalised path,
 * as nginx's {@code location ~} (so users anchor with {@code ^} and {@code $}; {@code (?i)} makes
 * it case-insensitive, nginx's {@code ~*}). Compiled once, when the configuration is read.
 *
 * <p>Also the one place that says which groups a route's regular expression has
 * ({@link #groups(String)}, {@link #groups(ConfigMapping)}): feature readers check a
 * {@link io.kodiak.filter.Template}'s {@code $1} and {@code ${name}} against it.
 *
 * <p>Immutable and thread-safe; equality is the expression's text.
 */
public final class PathRegex {
    private final String text;
    private final Pattern pattern;

    private PathRegex(String text, Pattern pattern) {
        this.text = text;
        this.pattern = pattern;
    }

    /** @throws IllegalArgumentException with the {@link PatternSyntaxException}'s message */
    public static PathRegex of(String text) {
        try {
            return new PathRegex(text, Pattern.compile(text));
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException("is not a valid regular expression: " + e.getDescription()
                    + (e.getIndex() >= 0 ? " near index " + e.getIndex() : ""), e);
        }
    }

    public String text() {
        return text;
    }

    public Pattern pattern() {
        return pattern;
    }

    /**
     * The group names of {@code regex}: "1".."N" for its N groups, then its named groups, in order.
     *
     * @throws IllegalArgumentException if it does not compile
     */
    public static Set<String> groups(String regex) {
        Pattern p = of(regex).pattern;
        Set<String> names = new LinkedHashSet<>();
        int count = p.matcher("").groupCount();
        for (int i = 1; i <= count; i++) {
            names.add(Integer.toString(i));
        }
        names.addAll(namedGroups(regex));
        return Set.copyOf(names);
    }

    /**
     * The groups of the {@code path-regex} of the route mapping {@code route} (already checked by
     * the route's reader), or null when it has none: what {@link io.kodiak.filter.Template#parse}
     * takes as its {@code groups}.
     */
    static Set<String> groups(ConfigMapping route) throws ConfigException {
        ConfigNode node = route.get("path-regex");
        return node == null ? null : node.parse("a regular expression", PathRegex::groups);
    }

    /**
     * Refuses a named group called as a built-in variable ({@code (?<host>...)}, {@code uri},
     * {@code args}, {@code scheme}; Java's group names cannot hold the '_' of the others):
     * {@code ${host}} would name both, and a reader could not tell which one a
     * rewrite or header value takes.
     *
     * @throws IllegalArgumentException naming the group and the variable
     */
    static void checkGroupNames(String regex) {
        for (String name : namedGroups(regex)) {
            if (io.kodiak.filter.ResponseVariables.NAMES.test(name)) {
                throw new IllegalArgumentException("names a group " + Values.quote(name) + ", which is the built-in"
                        + " variable $" + name + ": rename the group");
            }
        }
    }

    /** The names of {@code (?<name>...)} groups; Java 17's Pattern does not list them. */
    static Set<String> namedGroups(String regex) {
        Set<String> names = new LinkedHashSet<>();
        boolean inClass = false;
        for (int i = 0; i < regex.length(); i++) {
            char c = regex.charAt(i);
            if (c == '\\') {
                if (regex.startsWith("Q", i + 1)) { // \Q...\E quotes everything
                    int end = regex.indexOf("\\E", i + 2);
                    i = end < 0 ? regex.length() : end + 1;
                } else {
                    i++;
                }
            } else if (inClass) {
                inClass = c != ']';
            } else if (c == '[') {
                inClass = true;
            } else if (c == '(' && regex.startsWith("?<", i + 1) && i + 3 < regex.length()
                    && Character.isLetter(regex.charAt(i + 3))) {
                int end = regex.indexOf('>', i + 3);
                names.add(regex.substring(i + 3, end));
            }
        }
        return names;
    }

    /**
     * The text every path it matches starts with, when that can be told from the expression: it
     * is anchored ({@code ^}), case-sensitive and without alternatives. Null otherwise. Used only
     * to warn about routes that can never match.
     */
    String anchoredLiteral() {
        if (!text.startsWith("^") || hasTopLevelAlternative()) {
            return null;
        }
        return literalRun(1).literal;
    }

    /** Whether a '|' outside groups and classes splits the whole expression ({@code ^/a|/b}). */
    private boolean hasTopLevelAlternative() {
        int depth = 0;
        boolean inClass = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\\') {
                i++;
            } else if (inClass) {
                inClass = c != ']';
            } else if (c == '[') {
                inClass = true;
            } else if (c == '(') {
                depth++;
            } else if (c == ')') {
                depth--;
            } else if (c == '|' && depth == 0) {
                return true;
            }
        }
        return false;
    }

    /**
     * The prefix L such that this expression matches every path starting with L, or null when it
     * cannot be told: {@code ^L}, {@code ^L.*}, or unanchored {@code L} (found anywhere).
     */
    String coveredPrefix() {
        int start = text.startsWith("(?i)") ? 4 : 0; // case-insensitive: still matches L itself
        boolean anchored = text.startsWith("^", start);
        Run run = literalRun(anchored ? start + 1 : start);
        String rest = text.substring(run.end);
        if (run.dropped || !rest.isEmpty() && !rest.equals(".*")) {
            return null;
        }
        return run.literal;
    }

    private record Run(String literal, int end, boolean dropped) {
    }

    /** The literal characters from {@code from} up to the first metacharacter. */
    private Run literalRun(int from) {
        StringBuilder sb = new StringBuilder();
        int i = from;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c == '\\' && i + 1 < text.length() && !Character.isLetterOrDigit(text.charAt(i + 1))) {
                sb.append(text.charAt(i + 1));
                i += 2;
                continue;
            }
            if ("\\^$.|?*+()[]{}".indexOf(c) >= 0) {
                break;
            }
            sb.append(c);
            i++;
        }
        if (i < text.length() && "?*{".indexOf(text.charAt(i)) >= 0 && sb.length() > 0) {
            // The last character may appear zero times: it is not part of every match.
            sb.setLength(sb.length() - 1);
            return new Run(sb.toString(), i, true);
        }
        return new Run(sb.toString(), i, false);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PathRegex r && r.text.equals(text);
    }

    @Override
    public int hashCode() {
        return text.hashCode();
    }

    @Override
    public String toString() {
        return text;
    }
}
