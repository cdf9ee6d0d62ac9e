package io.kodiak.admin;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A small, strict JSON codec (RFC 8259) for the admin API's request and response bodies, the
 * {@code kodiak ctl} client and the state file, so that Kodiak needs no JSON library.
 *
 * <p>{@link #parse} reads exactly one value into plain Java objects: {@link LinkedHashMap} (in the
 * text's order), {@link ArrayList}, {@link String}, {@link Long} or {@link Double}, {@link Boolean}
 * and {@code null}. It accepts nothing beyond the RFC — no comments, trailing commas, single quotes,
 * unquoted keys, NaN, or duplicate keys — and nests at most 64 levels; every
 * rejection says where and what. {@link #write} and {@link #writePretty} go the other way.
 *
 * <p>Stateless and thread-safe.
 */
public final class Json {
    /** The deepest nesting of objects and arrays that is read or written. */
    private static final int MAX_DEPTH = 64;

    private Json() {
    }

    /**
     * Parses {@code text}, which must hold exactly one JSON value, optionally surrounded by spaces,
     * tabs, CRs and LFs.
     *
     * @return a {@code LinkedHashMap<String, Object>}, {@code ArrayList<Object>}, {@code String},
     *     {@code Long} (an integer literal that fits), {@code Double} (any other number),
     *     {@code Boolean}, or {@code null}
     * @throws ParseException naming the line, the column and the problem
     */
    public static Object parse(String text) throws ParseException {
        return new Parser(Objects.requireNonNull(text, "text")).document();
    }

    /**
     * Writes {@code value} as compact JSON, with no whitespace.
     *
     * <p>Accepts {@code null}, {@code Boolean}, {@code CharSequence} and {@code Character} (as
     * strings), {@code Integer}, {@code Long}, {@code Short}, {@code Byte}, {@code BigInteger},
     * {@code BigDecimal}, finite {@code Float} and {@code Double}, enums (their {@code name()}),
     * maps with {@code String} keys (in iteration order), {@code Iterable}s, {@code Object[]} and
     * {@code Optional} (empty is {@code null}), nested at most 64 levels.
     *
     * @throws IllegalArgumentException naming anything else, such as a non-finite number, a
     *     non-string key or an unsupported class
     */
    public static String write(Object value) {
        StringBuilder sb = new StringBuilder();
        value(sb, value, false, 0);
        return sb.toString();
    }

    /**
     * Writes {@code value} like {@link #write}, but indented by two spaces with one member or
     * element per line, {@code "key": value}, and empty objects and arrays as {@code {}} and
     * {@code []}. There is no trailing newline.
     *
     * @throws IllegalArgumentException as {@link #write} does
     */
    public static String writePretty(Object value) {
        StringBuilder sb = new StringBuilder();
        value(sb, value, true, 0);
        return sb.toString();
    }

    /** Why a text is not JSON, and where, as in {@code line 2, column 3: duplicate key "state"}. */
    public static final class ParseException extends Exception {
        private static final long serialVersionUID = 1L;
        private final int line;
        private final int column;

        private ParseException(String problem, int line, int column) {
            super("line " + line + ", column " + column + ": " + problem);
            this.line = line;
            this.column = column;
        }

        /** The 1-based line of the problem; LF, CRLF and a lone CR each end a line. */
        public int line() {
            return line;
        }

        /** The 1-based column of the problem, in characters (a surrogate pair counts as one). */
        public int column() {
            return column;
        }
    }

    // ------------------------------------------------------------------ reading

    /** A recursive-descent parser over the text, with {@code i} the index of the next character. */
    private static final class Parser {
        private final String s;
        private int i;
        private int depth;

        Parser(String s) {
            this.s = s;
        }

        Object document() throws ParseException {
            skipSpace();
            if (i == s.length()) {
                throw error(0, "empty input");
            }
            Object v = value();
            skipSpace();
            if (i < s.length()) {
                throw error(i, "expected end of input but found " + found(i, true));
            }
            return v;
        }

        private Object value() throws ParseException {
            int c = peek();
            return switch (c) {
                case '{' -> object();
                case '[' -> array();
                case '"' -> string();
                case 't' -> literal("true", Boolean.TRUE);
                case 'f' -> literal("false", Boolean.FALSE);
                case 'n' -> literal("null", null);
                default -> {
                    if (c != '-' && !isDigit(c)) {
                        throw error(i, "expected a value but found " + found(i, true));
                    }
                    yield number();
                }
            };
        }

        private Object literal(String word, Object v) throws ParseException {
            if (!s.startsWith(word, i)) {
                throw error(i, "expected a value but found " + found(i, true));
            }
            i += word.length();
            return v;
        }

        private Map<String, Object> object() throws ParseException {
            enter();
            Map<String, Object> m = new LinkedHashMap<>();
            while (!leave('}', m.isEmpty())) {
                if (peek() != '"') {
                    String expected = m.isEmpty() ? "a string key or '}'" : "a string key";
                    throw error(i, "expected " + expected + " but found " + found(i, true));
                }
                int keyAt = i;
                String key = string();
                if (m.containsKey(key)) {
                    throw error(keyAt, "duplicate key " + write(key));
                }
                skipSpace();
                if (peek() != ':') {
                    throw error(i, "expected ':' after the key but found " + found(i, true));
                }
                i++;
                skipSpace();
                m.put(key, value());
            }
            return m;
        }

        private List<Object> array() throws ParseException {
            enter();
            List<Object> list = new ArrayList<>();
            while (!leave(']', list.isEmpty())) {
                list.add(value());
            }
            return list;
        }

        /** Steps over an opening bracket, one level deeper. */
        private void enter() throws ParseException {
            if (++depth > MAX_DEPTH) {
                throw error(i, "nesting deeper than " + MAX_DEPTH + " levels");
            }
            i++;
        }

        /**
         * Before a member or element: true (having stepped over it) if {@code close} ends the
         * container here, false if another item follows; after the first item a ',' must come first.
         */
        private boolean leave(char close, boolean first) throws ParseException {
            skipSpace();
            if (peek() == close) {
                i++;
                depth--;
                return true;
            } else if (!first) {
                if (peek() != ',') {
                    throw error(i, "expected ',' or '" + close + "' but found " + found(i, true));
                }
                i++;
                skipSpace();
                // a trailing comma falls through to the item, which then reports the close bracket
            }
            return false;
        }

        private String string() throws ParseException {
            int open = i++;
            int run = i;
            StringBuilder sb = null;
            while (i < s.length()) {
                char c = s.charAt(i);
                if (c == '"') {
                    String str = sb == null ? s.substring(run, i) : sb.append(s, run, i).toString();
                    i++;
                    return str;
                } else if (c == '\\') {
                    sb = (sb == null ? new StringBuilder() : sb).append(s, run, i).append(escape(open));
                    run = i;
                } else if (c < 0x20) {
                    throw error(i, "unescaped control character " + found(i, false) + " in a string");
                } else {
                    i++;
                }
            }
            throw error(open, "unterminated string");
        }

        /** Reads the escape sequence at {@code i}, a backslash. An escaped lone surrogate is kept as is. */
        private char escape(int open) throws ParseException {
            int at = i;
            int c = i + 1 < s.length() ? s.charAt(i + 1) : -1;
            i += 2;
            switch (c) {
                case '"', '\\', '/': return (char) c;
                case 'b': return '\b';
                case 'f': return '\f';
                case 'n': return '\n';
                case 'r': return '\r';
                case 't': return '\t';
                case -1: throw error(open, "unterminated string");
                case 'u':
                    int v = 0;
                    for (int end = i + 4; i < end; i++) {
                        // ASCII only: Character.digit would also take other scripts' digits
                        int h = i < s.length() && s.charAt(i) < 0x80 ? Character.digit(s.charAt(i), 16) : -1;
                        if (h < 0) {
                            throw error(at, "invalid \\u escape: expected 4 hex digits");
                        }
                        v = v * 16 + h;
                    }
                    return (char) v;
                default: throw error(at, "invalid escape: '\\' followed by " + found(at + 1, false));
            }
        }

        private Object number() throws ParseException {
            int start = i;
            if (peek() == '-') {
                i++;
            }
            if (peek() == '0') {
                i++;
                if (isDigit(peek())) {
                    throw error(start, "leading zeros are not allowed in numbers");
                }
            } else {
                digits("a digit after '-'");
            }
            boolean integral = true;
            if (peek() == '.') {
                i++;
                integral = false;
                digits("a digit after '.'");
            }
            if (peek() == 'e' || peek() == 'E') {
                i++;
                integral = false;
                if (peek() == '+' || peek() == '-') {
                    i++;
                }
                digits("a digit in the exponent");
            }
            String literal = s.substring(start, i);
            if (integral) {
                try {
                    return Long.parseLong(literal);
                } catch (NumberFormatException beyondLong) {
                    // fall through to a double
                }
            }
            double d = Double.parseDouble(literal);
            if (Double.isInfinite(d)) {
                throw error(start, "number too large for a double");
            }
            return d;
        }

        /** Steps over one or more digits. */
        private void digits(String expected) throws ParseException {
            if (!isDigit(peek())) {
                throw error(i, "expected " + expected + " but found " + found(i, true));
            }
            while (isDigit(peek())) {
                i++;
            }
        }

        private static boolean isDigit(int c) {
            return c >= '0' && c <= '9';
        }

        private int peek() {
            return i < s.length() ? s.charAt(i) : -1;
        }

        private void skipSpace() {
            for (char c; i < s.length() && ((c = s.charAt(i)) == ' ' || c == '\t' || c == '\n' || c == '\r'); ) {
                i++;
            }
        }

        /** For a message, what is at {@code at}: a word such as 'NaN' (if {@code word}), a character, or U+XXXX. */
        private String found(int at, boolean word) {
            if (at >= s.length()) {
                return "end of input";
            }
            int c = s.codePointAt(at);
            if (word && Character.isLetterOrDigit(c)) {
                int end = at;
                while (end < s.length() && end - at < 20 && Character.isLetterOrDigit(s.codePointAt(end))) {
                    end += Character.charCount(s.codePointAt(end));
                }
                boolean more = end < s.length() && Character.isLetterOrDigit(s.codePointAt(end));
                return "'" + s.substring(at, end) + (more ? "...'" : "'");
            } else if (c == '\'') {
                return "\"'\"";
            } else if ((c > ' ' && c < 0x7f) || Character.isLetterOrDigit(c)) {
                return "'" + Character.toString(c) + "'";
            }
            return String.format("U+%04X", c);
        }

        /** The exception for a problem at index {@code at}; LF, CRLF and a lone CR each end a line. */
        private ParseException error(int at, String problem) {
            int line = 1;
            int column = 1;
            for (int k = 0; k < at; k++) {
                char c = s.charAt(k);
                if (c == '\n' || (c == '\r' && (k + 1 == s.length() || s.charAt(k + 1) != '\n'))) {
                    line++;
                    column = 1;
                } else if (!Character.isLowSurrogate(c) || k == 0 || !Character.isHighSurrogate(s.charAt(k - 1))) {
                    column++;
                }
            }
            return new ParseException(problem, line, column);
        }
    }

    // ------------------------------------------------------------------ writing

    private static void value(StringBuilder sb, Object v, boolean pretty, int level) {
        if (v == null || v instanceof Boolean || v instanceof Integer || v instanceof Long || v instanceof Short
                || v instanceof Byte || v instanceof BigInteger || v instanceof BigDecimal) {
            sb.append(v);
        } else if (v instanceof Double || v instanceof Float) {
            if (!Double.isFinite(((Number) v).doubleValue())) {
                throw new IllegalArgumentException("cannot write " + v + " as JSON: numbers must be finite");
            }
            sb.append(v); // Float.toString keeps 0.1f as 0.1
        } else if (v instanceof CharSequence || v instanceof Character) {
            quote(sb, v.toString());
        } else if (v instanceof Enum<?> e) {
            quote(sb, e.name());
        } else if (v instanceof Optional<?> o) {
            value(sb, o.orElse(null), pretty, level);
        } else if (v instanceof Map<?, ?> m) {
            container(sb, m.entrySet().iterator(), true, pretty, level);
        } else if (v instanceof Iterable<?> it) {
            container(sb, it.iterator(), false, pretty, level);
        } else if (v instanceof Object[] a) {
            container(sb, Arrays.asList(a).iterator(), false, pretty, level);
        } else {
            throw new IllegalArgumentException("cannot write " + v.getClass().getTypeName() + " as JSON");
        }
    }

    /** Writes a map's entries or an array's elements, one per line when pretty. */
    private static void container(StringBuilder sb, Iterator<?> it, boolean map, boolean pretty, int level) {
        if (level >= MAX_DEPTH) {
            throw new IllegalArgumentException("cannot write JSON nested deeper than " + MAX_DEPTH + " levels (is there a cycle?)");
        }
        sb.append(map ? '{' : '[');
        boolean empty = !it.hasNext();
        while (it.hasNext()) {
            Object item = it.next();
            newline(sb, pretty, level + 1);
            if (map) {
                Map.Entry<?, ?> e = (Map.Entry<?, ?>) item;
                if (!(e.getKey() instanceof String key)) {
                    String type = e.getKey() == null ? "null" : e.getKey().getClass().getTypeName();
                    throw new IllegalArgumentException("cannot write a map key of " + type + " as JSON: keys must be strings");
                }
                quote(sb, key);
                sb.append(pretty ? ": " : ":");
                item = e.getValue();
            }
            value(sb, item, pretty, level + 1);
            if (it.hasNext()) {
                sb.append(',');
            }
        }
        if (!empty) {
            newline(sb, pretty, level);
        }
        sb.append(map ? '}' : ']');
    }

    private static void newline(StringBuilder sb, boolean pretty, int level) {
        if (pretty) {
            sb.append('\n').append("  ".repeat(level));
        }
    }

    /** Writes {@code str} as a JSON string; U+2028 and U+2029 are escaped too, for JavaScript's sake. */
    private static void quote(StringBuilder sb, String str) {
        sb.append('"');
        int run = 0;
        for (int k = 0; k < str.length(); k++) {
            char c = str.charAt(k);
            String esc = switch (c) {
                case '"' -> "\\\"";
                case '\\' -> "\\\\";
                case '\n' -> "\\n";
                case '\r' -> "\\r";
                case '\t' -> "\\t";
                case '\b' -> "\\b";
                case '\f' -> "\\f";
                case '\u2028', '\u2029' -> String.format("\\u%04x", (int) c);
                default -> c < 0x20 ? String.format("\\u%04x", (int) c) : null;
            };
            if (esc != null) {
                sb.append(str, run, k).append(esc);
                run = k + 1;
            }
        }
        sb.append(str, run, str.length()).append('"');
    }
}
