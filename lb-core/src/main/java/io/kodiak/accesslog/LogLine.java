package io.kodiak.accesslog;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One log line as bytes, built by a format and handed to a target as they are. The formats emit
 * ASCII but for a template's literal text, so building bytes directly skips what a
 * {@code StringBuilder} costs on the way to a file: a String made of it and encoded again, for every
 * line. The writer reuses one line from entry to entry; the access log writes as many lines as
 * requests, and these copies were a fifth of its writer's time.
 *
 * <p>A line grows as a long header needs it and shrinks back to its starting size on
 * {@link #reset} when it grew past {@link #KEEP_AT_MOST}, so one huge User-Agent does not keep
 * its memory.
 *
 * <p>Not thread-safe: each data-path thread has its own (see {@link AccessLogWriter#offer}).
 */
public final class LogLine {
    /** What a line keeps between entries; a longer one is dropped and allocated again when needed. */
    static final int KEEP_AT_MOST = 16 * 1024;
    private static final byte[] MIN_LONG = Long.toString(Long.MIN_VALUE).getBytes(StandardCharsets.US_ASCII);

    private final int initialCapacity;
    private byte[] buf;
    private int len;

    public LogLine() {
        this(1024);
    }

    LogLine(int capacity) {
        this.initialCapacity = capacity;
        this.buf = new byte[capacity];
    }

    /** Empties the line for the next entry. */
    public void reset() {
        len = 0;
        if (buf.length > KEEP_AT_MOST) {
            buf = new byte[initialCapacity];
        }
    }

    /** The bytes, valid from 0 to {@link #length()}; the array is reused by the next line. */
    public byte[] array() {
        return buf;
    }

    public int length() {
        return len;
    }

    /** Appends an ASCII char (below 0x80); the caller knows it is one. */
    LogLine ascii(char c) {
        if (len == buf.length) {
            grow(1);
        }
        buf[len++] = (byte) c;
        return this;
    }

    /** Appends bytes already encoded (keys, cached dates). */
    LogLine bytes(byte[] b) {
        ensure(b.length);
        System.arraycopy(b, 0, buf, len, b.length);
        len += b.length;
        return this;
    }

    /** Appends text as UTF-8: a template's literals, which come from the configuration, not a client. */
    LogLine utf8(String s) {
        return bytes(s.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Copies chars of {@code s} from {@code from} for as long as they need no escaping in either
     * escaping ({@link LogEscape}: printable ASCII but {@code "} and {@code \\}); returns the index
     * of the first that does, or the length. Most values are all plain: this loop is then the
     * whole cost of a string, without a call and a bounds check per char.
     */
    int plainAscii(CharSequence s, int from) {
        int n = s.length();
        ensure(n - from);
        byte[] b = buf;
        int pos = len;
        int i = from;
        for (; i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c >= 0x7F || c == '"' || c == '\\') {
                break;
            }
            b[pos++] = (byte) c;
        }
        len = pos;
        return i;
    }

    /** Appends {@code n} in decimal. */
    LogLine number(long n) {
        if (n == Long.MIN_VALUE) {
            return bytes(MIN_LONG); // its negation overflows
        }
        if (n < 0) {
            ascii('-');
            n = -n;
        }
        int digits = digits(n);
        ensure(digits);
        int end = len + digits;
        for (int i = end - 1; i >= len; i--) {
            buf[i] = (byte) ('0' + (int) (n % 10));
            n /= 10;
        }
        len = end;
        return this;
    }

    /** Makes room for {@code n} more bytes; the raw writes below then need no check each. */
    void ensure(int n) {
        if (buf.length - len < n) {
            grow(n);
        }
    }

    /** Appends a byte after {@link #ensure}; no bounds check of its own beyond the array's. */
    void put(int b) {
        buf[len++] = (byte) b;
    }

    private void grow(int n) {
        int need = len + n;
        if (need < 0) {
            throw new IllegalStateException("log line over 2 GiB"); // counted as failed, never the exchange's
        }
        buf = Arrays.copyOf(buf, Math.max(need, buf.length * 2));
    }

    private static int digits(long n) {
        int d = 1;
        for (long p = 10; d < 19 && n >= p; p *= 10) {
            d++;
        }
        return d;
    }

    /** The line as text (UTF-8), for tests and messages. */
    @Override
    public String toString() {
        return new String(buf, 0, len, StandardCharsets.UTF_8);
    }
}
