package io.kodiak.admin;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
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
    static final int MAX_DEPTH = 64;

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
        return new JsonParser(Objects.requireNonNull(text, "text")).document();
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

        ParseException(String problem, int line, int column) {
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
