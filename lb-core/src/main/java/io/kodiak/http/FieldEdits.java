package io.kodiak.http;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Changes a filter makes to a message's header fields before Kodiak sends it on: fields removed
 * by name or by pattern ({@code X-Internal-*}) and fields added, applied by {@link RequestEncoder} and {@link ResponseEncoder} while
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
    /** Removal patterns, lower case without the '*': {@code x-internal-} for "X-Internal-*"; null until one is given. */
    private List<String> prefixes;
    private List<String> suffixes;
    /** Removal lists built once ({@link FieldRemovals}); null until one is given. */
    private List<FieldRemovals> lists;
    /** Names {@link #restore}d after a list removed them, lower case; null until one is. */
    private List<String> restored;
    private long declaredLength = -1;
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

    /**
     * Removes the message's own fields named {@code name}, keeping any a filter added: for a field
     * the client sent that Kodiak must not pass on ({@code X-Real-IP} from a client that is not a
     * trusted proxy) while a header rule's {@code set: {X-Real-IP: $remote_addr}} still goes up.
     */
    public FieldEdits removeReceived(String name) {
        String lower = checkName(name);
        if (!removed.contains(lower)) {
            removed.add(lower);
        }
        return this;
    }

    /**
     * Removes every field whose name matches {@code pattern}, case-insensitively: {@code Prefix*}
     * or {@code *suffix} (HAProxy {@code del-header -m beg|end}). Framing fields and {@code Host}
     * never match a pattern: only an exact {@link #remove} could name Host, and framing is Kodiak's.
     *
     * @throws IllegalArgumentException if it is not such a pattern ({@link #checkPattern})
     */
    public FieldEdits removeMatching(String pattern) {
        String p = checkPattern(pattern);
        boolean prefix = p.endsWith("*");
        String part = prefix ? p.substring(0, p.length() - 1) : p.substring(1);
        List<String> list;
        if (prefix) {
            list = prefixes == null ? prefixes = new ArrayList<>(2) : prefixes;
        } else {
            list = suffixes == null ? suffixes = new ArrayList<>(2) : suffixes;
        }
        if (!list.contains(part)) {
            list.add(part);
        }
        for (int i = addedLower.size() - 1; i >= 0; i--) {
            if (matchesPattern(addedLower.get(i))) {
                addedLower.remove(i);
                addedLines.remove(i);
            }
        }
        return this;
    }

    /**
     * Removes every field a {@link FieldRemovals} names or matches, the message's and any added
     * before: one call for a whole list checked when the configuration was read.
     */
    public FieldEdits removeAll(FieldRemovals r) {
        if (r.isEmpty()) {
            return this;
        }
        if (lists == null) {
            lists = new ArrayList<>(2);
        }
        lists.add(r);
        if (restored != null) {
            restored.removeIf(r::matches);
        }
        for (int i = addedLower.size() - 1; i >= 0; i--) {
            if (r.matches(addedLower.get(i))) {
                addedLower.remove(i);
                addedLines.remove(i);
            }
        }
        return this;
    }

    /**
     * Checks a removal pattern: a field name with one '*' at its start or its end, and at least
     * one character besides it.
     *
     * @return the pattern in lower case
     * @throws IllegalArgumentException naming the problem
     */
    public static String checkPattern(String pattern) {
        if (pattern == null || pattern.length() < 2 || pattern.indexOf('*') != pattern.lastIndexOf('*')
                || !(pattern.startsWith("*") || pattern.endsWith("*"))) {
            throw new IllegalArgumentException("not a pattern: \"" + pattern + "\" (write Prefix-* or *-suffix)");
        }
        String part = pattern.startsWith("*") ? pattern.substring(1) : pattern.substring(0, pattern.length() - 1);
        for (int i = 0; i < part.length(); i++) {
            char c = part.charAt(i);
            if (c > 0xff || !Chars.isTchar((byte) c)) {
                throw new IllegalArgumentException("not a field name pattern: \"" + pattern + "\"");
            }
        }
        return pattern.toLowerCase(Locale.ROOT);
    }

    /** Whether {@code name} is a pattern ({@link #removeMatching}) rather than a name. */
    public static boolean isPattern(String name) {
        return name.indexOf('*') >= 0;
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

    /**
     * Forgets every edit of {@code name}: the message's own fields of that name pass as they came
     * (nginx {@code expires off} in a route under a listener that sets one).
     */
    public FieldEdits restore(String name) {
        String lower = checkName(name);
        removed.remove(lower);
        if (lists != null && listsMatch(lower)) {
            if (restored == null) {
                restored = new ArrayList<>(2);
            }
            restored.add(lower);
        }
        for (int i = addedLower.size() - 1; i >= 0; i--) {
            if (addedLower.get(i).equals(lower)) {
                addedLower.remove(i);
                addedLines.remove(i);
            }
        }
        return this;
    }

    /**
     * For a response without a body (to a HEAD): the {@code Content-Length} it declares, in place of
     * the upstream's, when a filter replaces the body a GET would get (an error page). Ignored on
     * responses with a body, whose framing Kodiak sets from what it sends.
     */
    public FieldEdits declareLength(long length) {
        if (length < 0) {
            throw new IllegalArgumentException("negative length " + length);
        }
        declaredLength = length;
        return this;
    }

    /** The length set by {@link #declareLength}, or -1. */
    long declaredLength() {
        return declaredLength;
    }

    public boolean isEmpty() {
        return removed.isEmpty() && addedLines.isEmpty() && prefixes == null && suffixes == null && lists == null
                && declaredLength < 0;
    }

    /** Whether the message's field {@code i} is removed. */
    boolean removes(HeaderFields f, int i) {
        for (int r = 0; r < removed.size(); r++) {
            if (f.nameIs(i, removed.get(r))) {
                return true;
            }
        }
        if ((prefixes != null || suffixes != null) && matchesPattern(f, i)) {
            return true;
        }
        if (lists != null) {
            for (int l = 0; l < lists.size(); l++) {
                if (lists.get(l).matches(f, i)) {
                    return restored == null || !restored.contains(f.name(i).toLowerCase(Locale.ROOT));
                }
            }
        }
        return false;
    }

    private boolean listsMatch(String lower) {
        for (FieldRemovals r : lists) {
            if (r.matches(lower)) {
                return true;
            }
        }
        return false;
    }

    /** Whether {@code lower} is a framing or connection field, which only Kodiak writes. */
    static boolean isFraming(String lower) {
        return KODIAKS.contains(lower);
    }

    /** Field {@code i} against the patterns: its name's bytes compared in place, no String made. */
    private boolean matchesPattern(HeaderFields f, int i) {
        byte[] b = f.bytes();
        int start = f.nameStart(i);
        int end = f.nameEnd(i);
        boolean hit = false;
        if (prefixes != null) {
            for (int p = 0; p < prefixes.size() && !hit; p++) {
                String s = prefixes.get(p);
                hit = end - start >= s.length() && Chars.equalsLower(b, start, start + s.length(), s);
            }
        }
        if (suffixes != null) {
            for (int p = 0; p < suffixes.size() && !hit; p++) {
                String s = suffixes.get(p);
                hit = end - start >= s.length() && Chars.equalsLower(b, end - s.length(), end, s);
            }
        }
        return hit && !f.nameIs(i, "host") && !KODIAKS.contains(f.name(i).toLowerCase(Locale.ROOT));
    }

    private boolean matchesPattern(String lower) {
        if (lower.equals("host")) {
            return false;
        }
        if (prefixes != null) {
            for (String p : prefixes) {
                if (lower.startsWith(p)) {
                    return true;
                }
            }
        }
        if (suffixes != null) {
            for (String s : suffixes) {
                if (lower.endsWith(s)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Whether a field named {@code lower} is removed (the encoders' own fields, such as Host). */
    boolean removes(String lower) {
        return removed.contains(lower) || matchesPattern(lower) && !KODIAKS.contains(lower)
                || lists != null && listsMatch(lower) && (restored == null || !restored.contains(lower));
    }

    /**
     * The value field {@code lower} has once these edits are applied to {@code fields}: the last
     * one added here; else null if it is removed; else the message's first ({@link HeaderFields#get}).
     * For a filter that decides on what the earlier filters left (compression after an error page).
     */
    public String valueAfter(HeaderFields fields, String lower) {
        String a = added(lower);
        if (a != null) {
            return a;
        }
        return removes(lower) ? null : fields.get(lower);
    }

    /**
     * Whether field {@code lower} holds the list element {@code lowerToken} once these edits are
     * applied to {@code fields}: in the message's fields unless they are removed, or in an added one.
     */
    public boolean hasToken(HeaderFields fields, String lower, String lowerToken) {
        if (!removes(lower) && fields.hasToken(lower, lowerToken)) {
            return true;
        }
        for (int i = 0; i < addedLower.size(); i++) {
            if (addedLower.get(i).equals(lower)) {
                String line = addedLines.get(i);
                for (String element : line.substring(line.indexOf(':') + 2).split(",")) {
                    if (element.trim().equalsIgnoreCase(lowerToken)) {
                        return true;
                    }
                }
            }
        }
        return false;
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

    static String checkName(String name) {
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
        return "FieldEdits[-" + removed + (lists == null ? "" : " -" + lists) + (prefixes == null ? "" : " -" + prefixes + "*")
                + (suffixes == null ? "" : " -*" + suffixes) + " +" + addedLines + "]";
    }
}
