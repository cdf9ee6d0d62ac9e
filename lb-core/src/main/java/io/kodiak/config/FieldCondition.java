package io.kodiak.config;

import java.util.regex.Pattern;

/**
 * What a route asks of one header field, cookie or query parameter: {@code true} (present),
 * {@code false} (absent), a string (this exact value) or {@code ~regex} (the expression is found
 * in the value, as nginx's {@code ~} and HAProxy's {@code -m reg}). Several fields or parameters
 * of the same name: it holds when any of them matches (absent: when there is none).
 *
 * <p>Immutable and thread-safe; equality is the text as written, so an unchanged route compares
 * equal across reloads.
 */
public final class FieldCondition {
    /** The four forms. */
    public enum Kind { PRESENT, ABSENT, EXACT, REGEX }

    private final Kind kind;
    private final String text;
    private final Pattern regex;

    private FieldCondition(Kind kind, String text, Pattern regex) {
        this.kind = kind;
        this.text = text;
        this.regex = regex;
    }

    /**
     * @param text {@code true}, {@code false}, {@code ~regex} or an exact value
     * @throws IllegalArgumentException for an empty or invalid regular expression
     */
    public static FieldCondition parse(String text) {
        switch (text) {
            case "true", "True", "TRUE":
                return new FieldCondition(Kind.PRESENT, "true", null);
            case "false", "False", "FALSE":
                return new FieldCondition(Kind.ABSENT, "false", null);
            default:
                break;
        }
        if (text.startsWith("~")) {
            if (text.length() == 1) {
                throw new IllegalArgumentException("\"~\" needs a regular expression after it (true matches any value)");
            }
            return new FieldCondition(Kind.REGEX, text, PathRegex.of(text.substring(1)).pattern());
        }
        return new FieldCondition(Kind.EXACT, text, null);
    }

    public Kind kind() {
        return kind;
    }

    /** The exact value, for {@link Kind#EXACT}. */
    public String value() {
        return text;
    }

    /**
     * Whether {@code value} (one field's or parameter's value) satisfies an EXACT or REGEX condition.
     *
     * @throws RequestRegex.TooDeep if the expression overflowed the stack on {@code value}
     */
    public boolean matchesValue(CharSequence value) {
        return kind == Kind.REGEX ? RequestRegex.find(regex, value) : text.contentEquals(value);
    }

    /** Whether every value that satisfies {@code other} satisfies this one too. */
    boolean impliedBy(FieldCondition other) {
        return equals(other) || kind == Kind.PRESENT && other.kind != Kind.ABSENT;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FieldCondition c && c.kind == kind && c.text.equals(text);
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
