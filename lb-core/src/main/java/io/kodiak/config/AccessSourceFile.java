package io.kodiak.config;

import io.kodiak.io.BoundedFile;
import java.io.IOException;
import java.nio.file.Path;

/**
 * An access rule's {@code source-file}: one address or range per line ({@code 10.0.0.0/8},
 * {@code 2001:db8::/32}, {@code 192.0.2.7}), {@code #} starts a comment, blank lines are skipped:
 * the format of the country and abuse lists people download (and of nginx's {@code geo} include
 * files, without the value column). Read when the configuration is read, and again whenever it
 * changes on disk ({@code io.kodiak.proxy.AccessFiles}), with the same checks.
 *
 * <p>A file is bounded ({@link #MAX_BYTES}, {@link #MAX_RANGES} ranges, {@link #MAX_LINE} characters a line), so a
 * mistaken path (a log file, a disk image) fails with a clear message instead of filling the heap;
 * only a regular file is read (a FIFO or a device such as {@code /dev/zero} is refused), and the
 * bounds hold as it is read ({@link BoundedFile}), not only by its size before.
 *
 * @param file  the file, absolute (resolved against the configuration's directory)
 * @param cidrs what it held when it was read: part of equality, so a changed file changes the route
 */
public record AccessSourceFile(Path file, AccessCidrs cidrs) {
    /** More ranges than any country list holds (the largest are ~50k IPv4 networks). */
    public static final int MAX_RANGES = 2_000_000;
    /** Bounds the read itself ({@link BoundedFile}): a mistaken path fails at this many bytes, whatever it is. */
    public static final long MAX_BYTES = 64L << 20;
    static final int MAX_LINE = 256;

    /** A line that is not an address or range, with its 1-based number. */
    public static final class BadLine extends Exception {
        private final int line;

        BadLine(Path file, int line, String problem) {
            super(file + ":" + line + ": " + problem, null, false, false);
            this.line = line;
        }

        public int line() {
            return line;
        }
    }

    /**
     * Reads {@code file}.
     *
     * @throws IOException if it cannot be read
     * @throws BadLine     naming the first line that is not an address or range ({@code FILE:LINE: problem})
     */
    public static AccessSourceFile read(Path file) throws IOException, BadLine {
        AccessCidrs.Builder cidrs = new AccessCidrs.Builder();
        // Bounded as it is read: a FIFO, a device or a file growing under the reader fails, never hangs or fills the heap.
        try (BoundedFile.Lines in = BoundedFile.lines(file, MAX_BYTES, MAX_LINE)) {
            int n = 0;
            for (String line = in.next(); line != null; line = in.next()) {
                n++;
                if (line.length() > MAX_LINE) {
                    throw new BadLine(file, n, "a line longer than " + MAX_LINE + " characters: not a list of addresses");
                }
                int hash = line.indexOf('#');
                String text = (hash < 0 ? line : line.substring(0, hash)).strip();
                if (text.isEmpty()) {
                    continue;
                }
                if (cidrs.size() == MAX_RANGES) {
                    throw new BadLine(file, n, "more than " + MAX_RANGES + " addresses and ranges");
                }
                if (!quick(text, cidrs)) {
                    try {
                        Cidr c = Cidr.parse(text); // the line's problem, in the words of a rule's source
                        cidrs.add(AccessAddress.of(c.networkBytes()), c.bits());
                    } catch (IllegalArgumentException e) {
                        throw new BadLine(file, n, e.getMessage());
                    }
                }
            }
        } catch (BoundedFile.TooLarge e) {
            throw new IOException(e.getMessage() + ": not a list of addresses");
        }
        return new AccessSourceFile(file, cidrs.build());
    }

    /**
     * Adds the plain forms ({@code a.b.c.d[/n]}, {@code x:y::z[/n]} with no host bits set) without
     * {@link Cidr#parse}'s checks through regular expressions and {@link java.net.InetAddress}:
     * ten times faster on a long list. Anything else (an error, a mapped or zoned form) returns
     * false, and the line goes through {@link Cidr#parse}, which accepts it or says what is wrong.
     */
    private static boolean quick(String text, AccessCidrs.Builder cidrs) {
        if (text.indexOf('%') >= 0 || text.indexOf('[') >= 0) {
            return false;
        }
        int slash = text.indexOf('/');
        String address = slash < 0 ? text : text.substring(0, slash);
        AccessAddress a = AccessAddress.parse(address);
        boolean v6 = address.indexOf(':') >= 0;
        if (a == null || v6 && a.isV4()) {
            return false;
        }
        int max = v6 ? 128 : 32;
        int bits = max;
        if (slash >= 0) {
            int digits = text.length() - slash - 1;
            if (digits < 1 || digits > 3) {
                return false;
            }
            bits = 0;
            for (int i = slash + 1; i < text.length(); i++) {
                char c = text.charAt(i);
                if (c < '0' || c > '9') {
                    return false;
                }
                bits = bits * 10 + (c - '0');
            }
            if (bits > max) {
                return false;
            }
        }
        long hiHost = v6 ? AccessCidrs.hostHi(bits) : 0;
        long loHost = v6 ? AccessCidrs.hostLo(bits) : (1L << (32 - bits)) - 1;
        if ((a.hi() & hiHost) != 0 || (a.lo() & loHost) != 0) {
            return false; // bits set after the prefix
        }
        cidrs.add(a, bits);
        return true;
    }

    @Override
    public String toString() {
        return "AccessSourceFile[" + file + ", " + cidrs.size() + " ranges]";
    }
}
