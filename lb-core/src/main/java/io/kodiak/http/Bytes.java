package io.kodiak.http;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** A growable byte array for building message heads. Not thread-safe. */
public final class Bytes {
    private byte[] buf;
    private int len;

    public Bytes(int initial) {
        buf = new byte[initial];
    }

    public Bytes append(byte[] b, int from, int to) {
        int n = to - from;
        ensure(n);
        System.arraycopy(b, from, buf, len, n);
        len += n;
        return this;
    }

    public Bytes append(String ascii) {
        int n = ascii.length();
        ensure(n);
        for (int i = 0; i < n; i++) {
            buf[len++] = (byte) ascii.charAt(i);
        }
        return this;
    }

    public Bytes append(long v) {
        return append(Long.toString(v));
    }

    public Bytes crlf() {
        ensure(2);
        buf[len++] = '\r';
        buf[len++] = '\n';
        return this;
    }

    /** Appends {@code name: value CRLF}. */
    public Bytes field(String name, String value) {
        return append(name).append(": ").append(value).crlf();
    }

    public int length() {
        return len;
    }

    public byte[] array() {
        return buf;
    }

    public byte[] toArray() {
        return Arrays.copyOf(buf, len);
    }

    private void ensure(int n) {
        if (len + n > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(len + n, buf.length * 2));
        }
    }

    @Override
    public String toString() {
        return new String(buf, 0, len, StandardCharsets.ISO_8859_1);
    }
}
