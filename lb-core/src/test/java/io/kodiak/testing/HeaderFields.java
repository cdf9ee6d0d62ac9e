package io.kodiak.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * An immutable, ordered list of header fields as they appeared on the wire: duplicates are kept,
 * names keep their case, lookups ignore it.
 */
public final class HeaderFields {

    /** One header line, its value with surrounding whitespace removed. */
    public record Field(String name, String value) {
        @Override
        public String toString() {
            return name + ": " + value;
        }
    }

    /** No fields. */
    public static final HeaderFields EMPTY = new HeaderFields(List.of());

    private final List<Field> fields;

    private HeaderFields(List<Field> fields) {
        this.fields = List.copyOf(fields);
    }

    /** Fields from alternating names and values: {@code of("Content-Type", "text/plain", "X-A", "1")}. */
    public static HeaderFields of(String... namesAndValues) {
        if (namesAndValues.length % 2 != 0) {
            throw new IllegalArgumentException("names and values must alternate");
        }
        List<Field> list = new ArrayList<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            list.add(new Field(namesAndValues[i], namesAndValues[i + 1]));
        }
        return new HeaderFields(list);
    }

    /** Fields in the given order. */
    public static HeaderFields of(List<Field> fields) {
        return new HeaderFields(fields);
    }

    /** These fields followed by {@code name: value}. */
    public HeaderFields with(String name, String value) {
        List<Field> list = new ArrayList<>(fields);
        list.add(new Field(name, value));
        return new HeaderFields(list);
    }

    /** All fields in wire order. */
    public List<Field> all() {
        return fields;
    }

    /** The value of the first field named {@code name}, or {@code null}. */
    public String first(String name) {
        for (Field f : fields) {
            if (f.name().equalsIgnoreCase(name)) {
                return f.value();
            }
        }
        return null;
    }

    /** Values of every field named {@code name}, in wire order. */
    public List<String> values(String name) {
        List<String> out = new ArrayList<>();
        for (Field f : fields) {
            if (f.name().equalsIgnoreCase(name)) {
                out.add(f.value());
            }
        }
        return out;
    }

    /** Whether a field named {@code name} is present. */
    public boolean contains(String name) {
        return first(name) != null;
    }

    /**
     * Whether any field named {@code name} lists {@code token} among its comma-separated values
     * (case-insensitive), as for {@code Connection: keep-alive, close}.
     */
    public boolean hasToken(String name, String token) {
        for (String value : values(name)) {
            for (String part : value.split(",")) {
                if (part.trim().equalsIgnoreCase(token)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The last comma-separated token of all fields named {@code name}, lower-cased, or {@code null}. */
    String lastToken(String name) {
        String last = null;
        for (String value : values(name)) {
            for (String part : value.split(",")) {
                if (!part.isBlank()) {
                    last = part.trim().toLowerCase(Locale.ROOT);
                }
            }
        }
        return last;
    }

    /** Number of fields. */
    public int size() {
        return fields.size();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof HeaderFields other && fields.equals(other.fields);
    }

    @Override
    public int hashCode() {
        return fields.hashCode();
    }

    @Override
    public String toString() {
        return fields.toString();
    }
}
