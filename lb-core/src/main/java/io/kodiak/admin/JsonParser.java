package io.kodiak.admin;

import io.kodiak.admin.Json.ParseException;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.kodiak.admin.Json.MAX_DEPTH;

/**
 * {@link Json#parse}'s reader: recursive descent over the text, with {@code i} the index of the
 * next character; strict as {@link Json} describes, each rejection a {@link Json.ParseException}
 * with the line and column.
 *
 * <p>One instance per document; not thread-safe.
 */
final class JsonParser {
    private final String s;
    private int i;
    private int depth;

    JsonParser(String s) {
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
                throw error(keyAt, "duplicate key " + Json.write(key));
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
