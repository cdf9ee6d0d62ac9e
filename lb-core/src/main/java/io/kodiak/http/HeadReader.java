package io.kodiak.http;

import org.glassfish.grizzly.Buffer;

import java.util.Arrays;

/**
 * Collects the bytes of one message head (start line and fields, up to and including the empty
 * line) from a stream of buffers, enforcing the size limits before the head is complete so that a
 * client cannot make Kodiak buffer an unbounded head. Line ends are LF or CRLF.
 *
 * <p>Not thread-safe: one instance per connection, used by whoever holds that connection's lock.
 */
public final class HeadReader {
    private static final int INITIAL = 1024;
    private static final byte[] NONE = new byte[0];
    /** RFC 9112 §2.2: a server SHOULD ignore at least one empty line before the request-line. */
    private static final int MAX_LEADING_EMPTY_LINES = 4;

    private final int maxStartLine;
    private final int maxHead;
    private final int startLineStatus;
    private final int headStatus;
    /**
     * The part of a head that arrived split over reads; empty otherwise. A head that arrives whole
     * in one read (nearly all of them) is found in the read buffer itself and copied once, so an
     * idle keep-alive connection holds no head buffer: 10,000 of them held 10 MB in these.
     */
    private byte[] buf = NONE;
    private int len;
    private int scanned;
    private int firstLineEnd = -1;
    private int leadingEmpty;
    /** A leading empty line's CR ended the previous buffer; its LF must come first in the next. */
    private boolean pendingCr;

    /**
     * @param maxStartLine    longest start line, without its line end
     * @param maxHead         largest head in bytes
     * @param startLineStatus the status for an oversize start line (414 for requests, 502 for responses)
     * @param headStatus      the status for an oversize head (431 for requests, 502 for responses)
     */
    public HeadReader(int maxStartLine, int maxHead, int startLineStatus, int headStatus) {
        this.maxStartLine = maxStartLine;
        this.maxHead = Math.max(maxHead, maxStartLine + 2);
        this.startLineStatus = startLineStatus;
        this.headStatus = headStatus;
    }

    /** Whether any byte of a head has arrived (leading empty lines do not count). */
    public boolean started() {
        return len > 0;
    }

    /**
     * Consumes bytes of {@code src} up to the end of the head; bytes after the head stay in
     * {@code src}.
     *
     * @return the complete head (a fresh array holding exactly the head), or {@code null} if more
     *         bytes are needed; the reader is then reset for the next head
     */
    public byte[] read(Buffer src) throws HttpException {
        while (src.hasRemaining()) {
            if (len == 0) {
                byte b = src.get(src.position());
                if (pendingCr || b == '\r' || b == '\n') {
                    skipLeadingLineEnd(src);
                    continue;
                }
            }
            int room = maxHead - len;
            int n = Math.min(src.remaining(), room);
            if (n == 0) {
                throw new HttpException(firstLineEnd < 0 ? startLineStatus : headStatus,
                        firstLineEnd < 0 ? "start line too long" : "head too large");
            }
            if (len == 0 && src.hasArray()) {
                // A new head: look for its end where it already is.
                int start = src.arrayOffset() + src.position();
                int end = scan(src.array(), start, n);
                if (end >= 0) {
                    byte[] head = Arrays.copyOfRange(src.array(), start, start + end);
                    src.position(src.position() + end);
                    reset();
                    return head;
                }
                ensureCapacity(n); // the scan state stands for these n bytes, now buffered
                src.get(buf, 0, n);
                len = n;
                continue;
            }
            ensureCapacity(len + n);
            src.get(buf, len, n);
            len += n;
            int end = scan(buf, 0, len);
            if (end >= 0) {
                src.position(src.position() - (len - end));
                byte[] head = Arrays.copyOf(buf, end);
                reset();
                return head;
            }
        }
        return null;
    }

    /**
     * Skips one byte of an empty line before the start line. A CRLF may straddle two buffers, so
     * a trailing CR is remembered rather than read ahead: the head must parse the same however
     * the stream was split.
     */
    private void skipLeadingLineEnd(Buffer src) throws HttpException {
        byte b = src.get();
        if (pendingCr) {
            pendingCr = false;
            if (b != '\n') {
                throw new HttpException(400, "bare CR before the start line");
            }
        } else if (b == '\r') {
            if (!src.hasRemaining()) {
                pendingCr = true;
                return;
            }
            if (src.get() != '\n') {
                throw new HttpException(400, "bare CR before the start line");
            }
        }
        if (++leadingEmpty > MAX_LEADING_EMPTY_LINES) {
            throw new HttpException(400, "too many empty lines before the start line");
        }
    }

    /**
     * Continues the search for the head's end in {@code b[off..off+count)}, which holds the head's
     * first {@code count} bytes; {@link #scanned} and {@link #firstLineEnd} are relative to
     * {@code off}.
     *
     * @return the head's length if its end is there, else -1
     */
    private int scan(byte[] b, int off, int count) throws HttpException {
        int i = Math.max(scanned, 0);
        for (; i < count; i++) {
            if (b[off + i] != '\n') {
                continue;
            }
            if (firstLineEnd < 0) {
                firstLineEnd = i;
                int lineLen = i > 0 && b[off + i - 1] == '\r' ? i - 1 : i;
                if (lineLen > maxStartLine) {
                    throw new HttpException(startLineStatus, "start line too long");
                }
            }
            // The head ends at an empty line: LF LF or LF CR LF.
            if (i >= 1 && b[off + i - 1] == '\n') {
                return i + 1;
            }
            if (i >= 2 && b[off + i - 1] == '\r' && b[off + i - 2] == '\n') {
                return i + 1;
            }
        }
        scanned = count;
        if (firstLineEnd < 0 && count > maxStartLine + 1) {
            throw new HttpException(startLineStatus, "start line too long");
        }
        return -1;
    }

    private void ensureCapacity(int n) {
        if (n > buf.length) {
            buf = Arrays.copyOf(buf, Math.min(Math.max(n, Math.max(INITIAL, buf.length * 2)), maxHead));
        }
    }

    private void reset() {
        len = 0;
        scanned = 0;
        firstLineEnd = -1;
        leadingEmpty = 0;
        pendingCr = false;
        buf = NONE; // a split head is rare: its buffer is not kept for the next one
    }

    @Override
    public String toString() {
        return "HeadReader[" + len + " bytes buffered, " + buf.length + " held" + (pendingCr ? ", CR pending" : "") + "]";
    }
}
