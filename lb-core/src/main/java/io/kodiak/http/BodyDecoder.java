package io.kodiak.http;

import org.glassfish.grizzly.Buffer;

/**
 * Takes a message body off the wire, whatever its framing, and yields the payload bytes as slices
 * of the input buffers (no copy). Call {@link #decode} while the input has bytes and the body is
 * not {@link #done()}; bytes after the body stay in the input.
 */
public abstract class BodyDecoder {

    /** @return the next payload slice, or {@code null} if the bytes consumed were framing only */
    public abstract Buffer decode(Buffer src) throws HttpException;

    /** Whether the whole body has been read. */
    public abstract boolean done();

    /** The connection ended: fine for a close-delimited body, a truncation for any other. */
    public boolean completesOnEof() {
        return false;
    }

    public static BodyDecoder length(long n) {
        return new Length(n);
    }

    public static BodyDecoder closeDelimited() {
        return new Close();
    }

    /** @param errorStatus 400 for requests, 502 for responses */
    public static BodyDecoder chunked(int errorStatus) {
        return new ChunkedDecoder(errorStatus);
    }

    static Buffer take(Buffer src, long max) {
        int n = (int) Math.min(src.remaining(), max);
        int p = src.position();
        Buffer slice = src.slice(p, p + n);
        src.position(p + n);
        return slice;
    }

    private static final class Length extends BodyDecoder {
        private long remaining;

        Length(long n) {
            remaining = n;
        }

        @Override
        public Buffer decode(Buffer src) {
            if (remaining == 0 || !src.hasRemaining()) {
                return null;
            }
            Buffer b = take(src, remaining);
            remaining -= b.remaining();
            return b;
        }

        @Override
        public boolean done() {
            return remaining == 0;
        }

        @Override
        public String toString() {
            return "Length[" + remaining + " left]";
        }
    }

    private static final class Close extends BodyDecoder {
        @Override
        public Buffer decode(Buffer src) {
            return src.hasRemaining() ? take(src, Long.MAX_VALUE) : null;
        }

        @Override
        public boolean done() {
            return false;
        }

        @Override
        public boolean completesOnEof() {
            return true;
        }

        @Override
        public String toString() {
            return "CloseDelimited";
        }
    }
}
