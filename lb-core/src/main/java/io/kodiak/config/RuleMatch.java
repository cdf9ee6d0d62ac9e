package io.kodiak.config;

import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;

/**
 * What a request rule ({@code request-rules.rules}) asks of one value: the path, the decoded
 * query, a header field or the body. {@code ~re} is an RE2 regular expression found anywhere in
 * the value ({@code ~*re} ignoring case), as nginx's {@code ~} and {@code ~*} read; any other text
 * is a literal: a prefix of the path, contained in the other values (HAProxy's {@code path_beg}
 * and {@code sub}). On a header field, {@code true} and {@code false} ask for its presence or absence.
 *
 * <p>Why RE2/J and not {@code java.util.regex}: RE2 compiles to an automaton that reads each input
 * character once, so a match costs time linear in the value whatever the expression, and
 * {@code (a+)+$} on a long value cannot hang a selector thread. RE2 has no backreferences and no
 * lookaround, so such expressions are refused when the configuration is read.
 *
 * <p>Values are read as bytes (ISO-8859-1: one character per byte), each bounded by the caller
 * ({@code inspect-limit}, {@code body-limit}). Immutable and thread-safe; equal by its text.
 */
public final class RuleMatch {
    /** The forms. */
    public enum Kind { PREFIX, CONTAINS, REGEX, PRESENT, ABSENT }

    private final Kind kind;
    private final String text;
    /** The literal, or null for a regex. */
    private final String literal;
    private final Pattern regex;

    private RuleMatch(Kind kind, String text, String literal, Pattern regex) {
        this.kind = kind;
        this.text = text;
        this.literal = literal;
        this.regex = regex;
    }

    /**
     * @param text     {@code ~re}, {@code ~*re}, or a literal
     * @param prefix   whether a literal is a prefix (the path) rather than contained
     * @param presence whether {@code true}/{@code false} mean present/absent (header fields)
     * @throws IllegalArgumentException for an empty text or an expression RE2 cannot compile
     */
    public static RuleMatch parse(String text, boolean prefix, boolean presence) {
        if (text.isEmpty()) {
            throw new IllegalArgumentException("must not be empty");
        }
        if (presence && (text.equals("true") || text.equals("false"))) {
            return new RuleMatch(text.equals("true") ? Kind.PRESENT : Kind.ABSENT, text, null, null);
        }
        if (text.startsWith("~")) {
            boolean caseless = text.startsWith("~*");
            String re = text.substring(caseless ? 2 : 1);
            if (re.isEmpty()) {
                throw new IllegalArgumentException("\"" + text + "\" needs a regular expression after it");
            }
            try {
                return new RuleMatch(Kind.REGEX, text, null, Pattern.compile(re, caseless ? Pattern.CASE_INSENSITIVE : 0));
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException("not an RE2 regular expression (no backreferences, no lookaround): "
                        + e.getDescription() + " in " + Values.quote(re));
            }
        }
        return new RuleMatch(prefix ? Kind.PREFIX : Kind.CONTAINS, text, text, null);
    }

    public Kind kind() {
        return kind;
    }

    /** Whether the first {@code limit} characters of {@code s} match (a regex or a literal). */
    public boolean matches(CharSequence s, int limit) {
        if (s.length() > limit) {
            s = s.subSequence(0, limit);
        }
        if (regex != null) {
            return regex.matcher(s).find();
        }
        return kind == Kind.PREFIX ? startsWith(s, literal) : indexOf(s, literal) >= 0;
    }

    /** As {@link #matches(CharSequence, int)} on the bytes {@code [from, to)}, each one character. */
    public boolean matches(byte[] b, int from, int to, int limit) {
        to = Math.min(to, from + limit);
        if (regex != null) {
            return regex.matcher(new Latin1(b, from, to)).find();
        }
        int n = literal.length();
        if (kind == Kind.PREFIX) {
            return to - from >= n && regionEquals(b, from, literal);
        }
        for (int i = from; i + n <= to; i++) {
            if (regionEquals(b, i, literal)) {
                return true;
            }
        }
        return false;
    }

    private static boolean regionEquals(byte[] b, int at, String lit) {
        for (int j = 0; j < lit.length(); j++) {
            if ((b[at + j] & 0xff) != lit.charAt(j)) {
                return false;
            }
        }
        return true;
    }

    private static boolean startsWith(CharSequence s, String lit) {
        if (s.length() < lit.length()) {
            return false;
        }
        for (int j = 0; j < lit.length(); j++) {
            if (s.charAt(j) != lit.charAt(j)) {
                return false;
            }
        }
        return true;
    }

    private static int indexOf(CharSequence s, String lit) {
        if (s instanceof String str) {
            return str.indexOf(lit);
        }
        return s.toString().indexOf(lit);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RuleMatch m && m.kind == kind && m.text.equals(text);
    }

    @Override
    public int hashCode() {
        return text.hashCode();
    }

    @Override
    public String toString() {
        return text;
    }

    /** Bytes as characters, one each (ISO-8859-1), without a copy: what RE2/J reads. */
    private record Latin1(byte[] b, int from, int to) implements CharSequence {
        @Override
        public int length() {
            return to - from;
        }

        @Override
        public char charAt(int i) {
            return (char) (b[from + i] & 0xff);
        }

        @Override
        public CharSequence subSequence(int start, int end) {
            return new Latin1(b, from + start, from + end);
        }

        @Override
        public String toString() {
            return new String(b, from, to - from, java.nio.charset.StandardCharsets.ISO_8859_1);
        }
    }
}
