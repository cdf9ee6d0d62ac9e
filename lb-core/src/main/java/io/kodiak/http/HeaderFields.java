package io.kodiak.http;

import java.nio.charset.StandardCharsets;

/**
 * The header fields of one parsed message, kept as offsets into the head's bytes so that they
 * can be forwarded byte for byte. Names are compared ASCII case-insensitively. Duplicates are
 * kept in order. Not thread-safe; owned by the exchange that parsed it.
 */
public final class HeaderFields {
    private final byte[] buf;
    private int count;
    private int[] offsets = new int[4 * 16]; // nameStart, nameEnd, valueStart, valueEnd per field

    HeaderFields(byte[] buf) {
        this.buf = buf;
    }

    void add(int nameStart, int nameEnd, int valueStart, int valueEnd) {
        if (4 * count == offsets.length) {
            offsets = java.util.Arrays.copyOf(offsets, offsets.length * 2);
        }
        int o = 4 * count++;
        offsets[o] = nameStart;
        offsets[o + 1] = nameEnd;
        offsets[o + 2] = valueStart;
        offsets[o + 3] = valueEnd;
    }

    public int size() {
        return count;
    }

    public byte[] bytes() {
        return buf;
    }

    public int nameStart(int i) {
        return offsets[4 * i];
    }

    public int nameEnd(int i) {
        return offsets[4 * i + 1];
    }

    public int valueStart(int i) {
        return offsets[4 * i + 2];
    }

    public int valueEnd(int i) {
        return offsets[4 * i + 3];
    }

    /** @param lowerName a lower-case field name */
    public boolean nameIs(int i, String lowerName) {
        return Chars.equalsLower(buf, nameStart(i), nameEnd(i), lowerName);
    }

    public String name(int i) {
        return new String(buf, nameStart(i), nameEnd(i) - nameStart(i), StandardCharsets.ISO_8859_1);
    }

    public String value(int i) {
        return new String(buf, valueStart(i), valueEnd(i) - valueStart(i), StandardCharsets.ISO_8859_1);
    }

    /** @return the index of the first field named {@code lowerName} at or after {@code from}, or -1 */
    public int indexOf(String lowerName, int from) {
        for (int i = from; i < count; i++) {
            if (nameIs(i, lowerName)) {
                return i;
            }
        }
        return -1;
    }

    /** @return the first value of {@code lowerName}, or {@code null} */
    public String get(String lowerName) {
        int i = indexOf(lowerName, 0);
        return i < 0 ? null : value(i);
    }

    /** @return how many fields are named {@code lowerName} */
    public int count(String lowerName) {
        int n = 0;
        for (int i = 0; i < count; i++) {
            if (nameIs(i, lowerName)) {
                n++;
            }
        }
        return n;
    }

    /**
     * Whether the comma-separated list values of every {@code lowerName} field contain the token
     * {@code lowerToken} (case-insensitive), as for {@code Connection: keep-alive, Upgrade}.
     */
    public boolean hasToken(String lowerName, String lowerToken) {
        for (int i = 0; i < count; i++) {
            if (nameIs(i, lowerName) && listContains(valueStart(i), valueEnd(i), lowerToken)) {
                return true;
            }
        }
        return false;
    }

    boolean listContains(int from, int to, String lowerToken) {
        int p = from;
        while (p < to) {
            while (p < to && (buf[p] == ' ' || buf[p] == '\t' || buf[p] == ',')) {
                p++;
            }
            int s = p;
            while (p < to && buf[p] != ',') {
                p++;
            }
            int e = p;
            while (e > s && (buf[e - 1] == ' ' || buf[e - 1] == '\t')) {
                e--;
            }
            if (e > s && Chars.equalsLower(buf, s, e, lowerToken)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether field {@code i}'s name appears as a token in any {@code Connection} field: such
     * fields are hop-by-hop by declaration (RFC 9110 §7.6.1).
     */
    public boolean namedByConnection(int i) {
        String name = null;
        for (int c = 0; c < count; c++) {
            if (nameIs(c, "connection")) {
                if (name == null) {
                    name = name(i).toLowerCase(java.util.Locale.ROOT);
                }
                if (listContains(valueStart(c), valueEnd(c), name)) {
                    return true;
                }
            }
        }
        return false;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("HeaderFields[");
        for (int i = 0; i < count; i++) {
            sb.append(i == 0 ? "" : ", ").append(name(i)).append(": ").append(value(i));
        }
        return sb.append(']').toString();
    }
}
