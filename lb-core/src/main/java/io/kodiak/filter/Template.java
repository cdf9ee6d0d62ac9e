package io.kodiak.filter;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/**
 * A text with variables, as header rules, rewrites and redirects write it: {@code $name} or
 * {@code ${name}} (nginx's syntax), {@code $1}..{@code $9} for the groups of the route's
 * {@code path-regex}, {@code ${name}} also for a named group, and {@code $$} for a dollar sign.
 * Parsed once, when the configuration is read, so that an unknown variable is a config error;
 * expanded per request by looking each variable up in a {@link Lookup}.
 *
 * <p>Immutable and thread-safe. Equality is the text's, so an unchanged rule survives a reload.
 */
public final class Template {
    /** Gives a variable's value for one request; null when it has none (expanded as empty). */
    @FunctionalInterface
    public interface Lookup {
        String get(String name);
    }

    private final String text;
    /** Literal text and variable names, alternating: literals at even indices. */
    private final String[] parts;
    private final List<String> names;

    private Template(String text, String[] parts, List<String> names) {
        this.text = text;
        this.parts = parts;
        this.names = names;
    }

    /**
     * @param known the variable names allowed here (digits and named groups are checked by
     *              {@code groups}); see {@link RequestVariables#NAMES}
     * @param groups the named groups of the route's regular expression, and its group count as
     *               the names "1".."9" it has; null when the route has no regular expression
     * @throws IllegalArgumentException naming the first unknown variable or a malformed one
     */
    public static Template parse(String text, Predicate<String> known, Set<String> groups) {
        List<String> parts = new ArrayList<>();
        List<String> names = new ArrayList<>();
        StringBuilder literal = new StringBuilder();
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c != '$') {
                literal.append(c);
                i++;
                continue;
            }
            if (i + 1 < text.length() && text.charAt(i + 1) == '$') {
                literal.append('$');
                i += 2;
                continue;
            }
            String name;
            int end;
            if (i + 1 < text.length() && text.charAt(i + 1) == '{') {
                end = text.indexOf('}', i + 2);
                if (end < 0) {
                    throw new IllegalArgumentException("unclosed ${ in " + quote(text));
                }
                name = text.substring(i + 2, end);
                end++;
            } else if (i + 1 < text.length() && Character.isDigit(text.charAt(i + 1))) {
                name = text.substring(i + 1, i + 2); // $1..$9, one digit as nginx reads it
                end = i + 2;
            } else {
                end = i + 1;
                while (end < text.length() && isNameChar(text.charAt(end))) {
                    end++;
                }
                name = text.substring(i + 1, end);
            }
            if (name.isEmpty()) {
                throw new IllegalArgumentException("a '$' with no variable name in " + quote(text) + " (write $$ for a dollar sign)");
            }
            boolean group = groups != null && groups.contains(name);
            if (!group && !known.test(name)) {
                if (Character.isDigit(name.charAt(0)) || groups != null) {
                    throw new IllegalArgumentException("unknown variable $" + name + " in " + quote(text)
                            + (groups == null ? ": $1..$9 need the route's path-regex" : ""));
                }
                throw new IllegalArgumentException("unknown variable $" + name + " in " + quote(text)
                        + " (known: " + known + ")");
            }
            parts.add(literal.toString());
            literal.setLength(0);
            parts.add(name);
            names.add(name);
            i = end;
        }
        parts.add(literal.toString());
        return new Template(text, parts.toArray(new String[0]), List.copyOf(names));
    }

    /** A template without variables. */
    public boolean isConstant() {
        return names.isEmpty();
    }

    /** The variables it names, in order. */
    public List<String> names() {
        return names;
    }

    public String expand(Lookup lookup) {
        if (parts.length == 1) {
            return parts[0];
        }
        StringBuilder out = new StringBuilder(text.length() + 32);
        for (int i = 0; i < parts.length; i++) {
            if ((i & 1) == 0) {
                out.append(parts[i]);
            } else {
                String v = lookup.get(parts[i]);
                if (v != null) {
                    out.append(v);
                }
            }
        }
        return out.toString();
    }

    /** The text as written. */
    public String text() {
        return text;
    }

    private static boolean isNameChar(char c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_';
    }

    private static String quote(String s) {
        return "\"" + s + "\"";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Template t && t.text.equals(text);
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
