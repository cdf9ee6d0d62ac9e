package io.kodiak.http;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Changes a filter makes to a message's header fields before Kodiak sends it on: fields removed
 * by name and fields added, applied by {@link RequestEncoder} and {@link ResponseEncoder} while
 * they copy the message byte for byte (nginx {@code proxy_set_header} / {@code add_header},
 * HAProxy {@code http-request set-header} / {@code del-header}).
 *
 * <p>Framing and connection fields ({@code Content-Length}, {@code Transfer-Encoding},
 * {@code Connection} and the other hop-by-hop fields) are Kodiak's alone: a filter that could
 * set them could desynchronise the two sides of a connection, so they are refused. Names must be
 * tokens and values must hold no CR, LF or NUL, so an edit can never split a field.
 *
 * <p>Not thread-safe: owned by one exchange.
 */
public final class FieldEdits {
    private static final List<String> KODIAKS = List.of("content-length", "transfer-encoding", "connection",
            "keep-alive", "proxy-connection", "te", "trailer", "upgrade");

    private final List<String> removed = new ArrayList<>(2);
    private final List<String> addedLower = new ArrayList<>(2);
    private final List<String> addedLines = new ArrayList<>(2);

    /** Removes every field named {@code name}, the message's and any added before. */
    public FieldEdits remove(String name) {
        String lower = checkName(name);
        if (!removed.contains(lower)) {
            removed.add(lower);
        }
        for (int i = addedLower.size() - 1; i >= 0; i--) {
            if (addedLower.get(i).equals(lower)) {
                addedLower.remove(i);
                addedLines.remove(i);
            }
        }
        return this;
    }

    /** Adds a field {@code name: value} after the message's own (a repeated name adds another line). */
    public FieldEdits add(String name, String value) {
        String lower = checkName(name);
        checkValue(name, value);
        addedLower.add(lower);
        addedLines.add(name + ": " + value);
        return this;
    }

    /** Replaces every field named {@code name} by one with {@code value}. */
    public FieldEdits set(String name, String value) {
        checkValue(name, value);
        return remove(name).add(name, value);
    }

    public boolean isEmpty() {
        return removed.isEmpty() && addedLines.isEmpty();
    }

    /** Whether the message's field {@code i} is removed. */
    boolean removes(HeaderFields f, int i) {
        for (int r = 0; r < removed.size(); r++) {
            if (f.nameIs(i, removed.get(r))) {
                return true;
            }
        }
        return false;
    }

    /** Whether a field named {@code lower} is removed (the encoders' own fields, such as Host). */
    boolean removes(String lower) {
        return removed.contains(lower);
    }

    /** The value of the last added field named {@code lower}, or null. */
    String added(String lower) {
        for (int i = addedLower.size() - 1; i >= 0; i--) {
            if (addedLower.get(i).equals(lower)) {
                String line = addedLines.get(i);
                return line.substring(line.indexOf(':') + 2);
            }
        }
        return null;
    }

    /** The added fields as CRLF-separated lines (for an answer of Kodiak's own), or null if none. */
    public String addedLines() {
        return addedLines.isEmpty() ? null : String.join("\r\n", addedLines);
    }

    void appendTo(Bytes out) {
        for (String line : addedLines) {
            out.append(line).crlf();
        }
    }

    private static String checkName(String name) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("empty field name");
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c > 0xff || !Chars.isTchar((byte) c)) {
                throw new IllegalArgumentException("not a field name: \"" + name + "\"");
            }
        }
        String lower = name.toLowerCase(Locale.ROOT);
        if (KODIAKS.contains(lower)) {
            throw new IllegalArgumentException(name + " is framing: Kodiak sets it");
        }
        return lower;
    }

    private static void checkValue(String name, String value) {
        if (value == null) {
            throw new IllegalArgumentException(name + ": null value");
        }
        if (name.equalsIgnoreCase("host")) {
            // Forwarded and X-Forwarded-Host repeat it unquoted-safe only if it is an authority.
            for (int i = 0; i < value.length(); i++) {
                char c = value.charAt(i);
                if (c > 0xff || !Chars.isHost((byte) c)) {
                    throw new IllegalArgumentException("Host: \"" + value + "\" is not a host[:port]");
                }
            }
            return;
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c > 0xff || !Chars.isFieldValue((byte) c)) {
                throw new IllegalArgumentException(name + ": value holds a character a field cannot carry");
            }
        }
    }

    @Override
    public String toString() {
        return "FieldEdits[-" + removed + " +" + addedLines + "]";
    }
}
