package io.kodiak.files;

/**
 * A {@code Range} request field against a representation of {@code length} bytes (RFC 9110
 * §14.1-14.2), as nginx and Caddy read it: one range of {@code bytes=a-b}, {@code a-} or
 * {@code -n} is served as 206; a field that cannot be satisfied as 416; several ranges are served
 * whole with 200 (allowed: a server may ignore Range, and multipart answers are rarely wanted);
 * anything malformed, or another unit, is ignored (200).
 *
 * @param kind  what to answer
 * @param first the first byte (for {@link Kind#PARTIAL})
 * @param last  the last byte, inclusive (for {@link Kind#PARTIAL})
 */
public record ByteRange(Kind kind, long first, long last) {
    /** WHOLE: 200 with everything; PARTIAL: 206; UNSATISFIABLE: 416. */
    public enum Kind { WHOLE, PARTIAL, UNSATISFIABLE }

    static final ByteRange WHOLE = new ByteRange(Kind.WHOLE, 0, -1);
    static final ByteRange UNSATISFIABLE = new ByteRange(Kind.UNSATISFIABLE, 0, -1);

    public long count() {
        return last - first + 1;
    }

    /** @param field the Range field's value; {@code length} the representation's size */
    public static ByteRange parse(String field, long length) {
        String f = field.trim();
        if (f.length() < 6 || !f.regionMatches(true, 0, "bytes=", 0, 6)) {
            return WHOLE; // another unit, or not a range at all: ignored
        }
        String set = f.substring(6);
        if (set.indexOf(',') >= 0) {
            // Several ranges, or empty list elements: served whole, unless every one is malformed.
            int valid = 0;
            for (String spec : set.split(",", -1)) {
                if (!spec.isBlank() && parseOne(spec.trim(), length) != null) {
                    valid++;
                }
            }
            return valid == 1 ? parseSingle(set, length) : WHOLE;
        }
        ByteRange r = parseOne(set.trim(), length);
        return r == null ? WHOLE : r;
    }

    /** The one well-formed spec among blank list elements ({@code bytes=0-9,}). */
    private static ByteRange parseSingle(String set, long length) {
        for (String spec : set.split(",", -1)) {
            if (!spec.isBlank()) {
                ByteRange r = parseOne(spec.trim(), length);
                if (r != null) {
                    return r;
                }
            }
        }
        return WHOLE;
    }

    /** One range spec; null if malformed. */
    private static ByteRange parseOne(String spec, long length) {
        int dash = spec.indexOf('-');
        if (dash < 0) {
            return null;
        }
        String a = spec.substring(0, dash).trim();
        String b = spec.substring(dash + 1).trim();
        if (a.isEmpty()) {
            long n = number(b);
            if (n < 0) {
                return null;
            }
            if (n == 0 || length == 0) {
                return UNSATISFIABLE; // a suffix of nothing (RFC 9110 §14.1.3)
            }
            return new ByteRange(Kind.PARTIAL, Math.max(0, length - n), length - 1);
        }
        long first = number(a);
        if (first < 0) {
            return null;
        }
        long last;
        if (b.isEmpty()) {
            last = Long.MAX_VALUE;
        } else {
            last = number(b);
            if (last < 0 || last < first) {
                return null; // invalid: the field is ignored
            }
        }
        if (first >= length) {
            return UNSATISFIABLE;
        }
        return new ByteRange(Kind.PARTIAL, first, Math.min(last, length - 1));
    }

    /** A non-negative decimal; -1 if not one (or too long to be a file offset). */
    private static long number(String s) {
        if (s.isEmpty() || s.length() > 18) {
            return s.length() > 18 && s.chars().allMatch(Character::isDigit) ? Long.MAX_VALUE - 1 : -1;
        }
        long n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            n = n * 10 + (c - '0');
        }
        return n;
    }
}
