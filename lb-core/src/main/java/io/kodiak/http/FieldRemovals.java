package io.kodiak.http;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A fixed list of field names and patterns to remove ({@code hide-internals}' fifty-odd,
 * {@code hide-headers}, a rule's {@code remove}), checked once when the configuration is read and
 * applied per message with one {@link FieldEdits#removeAll} call. Each of the message's fields is
 * tested against it in place: names grouped by length, compared byte by byte in lower case, so
 * that no String is made and only names of the field's length are compared.
 *
 * <p>Patterns ({@code X-Internal-*}, {@code *-Debug}) never match {@code Host} or a framing
 * field, as in {@link FieldEdits#removeMatching}.
 *
 * <p>Immutable and thread-safe: shared by every message of its listener or route.
 */
public final class FieldRemovals {
    /** Exact names in lower case, by length: {@code byLength[n]} holds those of n characters. */
    private final String[][] byLength;
    private final Set<String> names;
    private final String[] prefixes;
    private final String[] suffixes;
    /** Whether '_' in a message's field name counts as '-' ({@link #withUnderscoreTwins}). */
    private final boolean twins;

    /**
     * @param namesOrPatterns field names and {@code Prefix*} / {@code *suffix} patterns, any case
     * @throws IllegalArgumentException for a name that is no token or is a framing field, or a bad pattern
     */
    public FieldRemovals(Collection<String> namesOrPatterns) {
        this(namesOrPatterns, false);
    }

    /**
     * Removes each of {@code names} and every spelling of it with '_' for any of its '-':
     * {@code X-User} removes {@code X_User} and {@code x-user_} too... CGI and WSGI servers
     * (Gunicorn, uWSGI, mod_wsgi) read both as {@code HTTP_X_USER}, so a field Kodiak sets for the
     * upstream to trust must leave no twin a client could send in its stead (where the listener
     * keeps names with '_': {@code underscores-in-headers: on}). Names only, no patterns.
     *
     * @throws IllegalArgumentException for a name that is no token, is a framing field, or is a pattern
     */
    public static FieldRemovals withUnderscoreTwins(Collection<String> names) {
        for (String n : names) {
            if (FieldEdits.isPattern(n)) {
                throw new IllegalArgumentException("not a field name: \"" + n + "\"");
            }
        }
        return new FieldRemovals(names, true);
    }

    private FieldRemovals(Collection<String> namesOrPatterns, boolean twins) {
        this.twins = twins;
        List<String> exact = new ArrayList<>();
        List<String> pre = new ArrayList<>();
        List<String> suf = new ArrayList<>();
        int longest = 0;
        for (String n : namesOrPatterns) {
            if (FieldEdits.isPattern(n)) {
                String p = FieldEdits.checkPattern(n);
                (p.endsWith("*") ? pre : suf).add(p.endsWith("*") ? p.substring(0, p.length() - 1) : p.substring(1));
            } else {
                String lower = FieldEdits.checkName(n);
                if (twins) {
                    lower = lower.replace('_', '-');
                }
                if (!exact.contains(lower)) {
                    exact.add(lower);
                    longest = Math.max(longest, lower.length());
                }
            }
        }
        this.names = Set.copyOf(exact);
        this.byLength = new String[longest + 1][];
        for (int len = 0; len <= longest; len++) {
            int length = len;
            String[] same = exact.stream().filter(s -> s.length() == length).toArray(String[]::new);
            byLength[len] = same.length == 0 ? null : same;
        }
        this.prefixes = pre.toArray(new String[0]);
        this.suffixes = suf.toArray(new String[0]);
    }

    public boolean isEmpty() {
        return names.isEmpty() && prefixes.length == 0 && suffixes.length == 0;
    }

    /** Whether the message's field {@code i} is one to remove. */
    boolean matches(HeaderFields f, int i) {
        byte[] b = f.bytes();
        int start = f.nameStart(i);
        int end = f.nameEnd(i);
        int n = end - start;
        if (n < byLength.length && byLength[n] != null) {
            for (String s : byLength[n]) {
                if (twins ? equalsTwin(b, start, end, s) : Chars.equalsLower(b, start, end, s)) {
                    return true;
                }
            }
        }
        boolean hit = false;
        for (int p = 0; p < prefixes.length && !hit; p++) {
            String s = prefixes[p];
            hit = n >= s.length() && Chars.equalsLower(b, start, start + s.length(), s);
        }
        for (int p = 0; p < suffixes.length && !hit; p++) {
            String s = suffixes[p];
            hit = n >= s.length() && Chars.equalsLower(b, end - s.length(), end, s);
        }
        return hit && !f.nameIs(i, "host") && !FieldEdits.isFraming(f.name(i).toLowerCase(Locale.ROOT));
    }

    /** Whether {@code b[from, to)} is {@code s} (lower case, '-' for '_') with '_' read as '-', in any case. */
    private static boolean equalsTwin(byte[] b, int from, int to, String s) {
        for (int i = 0; i < to - from; i++) {
            int c = b[from + i];
            if (c >= 'A' && c <= 'Z') {
                c += 32;
            } else if (c == '_') {
                c = '-';
            }
            if (c != s.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /** Whether a field named {@code lower} (lower case) is one to remove. */
    boolean matches(String lower) {
        if (names.contains(twins ? lower.replace('_', '-') : lower)) {
            return true;
        }
        if (lower.equals("host") || FieldEdits.isFraming(lower)) {
            return false;
        }
        for (String p : prefixes) {
            if (lower.startsWith(p)) {
                return true;
            }
        }
        for (String s : suffixes) {
            if (lower.endsWith(s)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return "FieldRemovals[" + names + (prefixes.length == 0 ? "" : " " + List.of(prefixes) + "*")
                + (suffixes.length == 0 ? "" : " *" + List.of(suffixes)) + "]";
    }
}
