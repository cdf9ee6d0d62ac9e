package io.kodiak.http;

import org.glassfish.grizzly.Buffer;

/**
 * Decodes {@code Transfer-Encoding: chunked} (RFC 9112 §7.1) strictly: hex sizes of at most 15
 * digits, CRLF (never a bare LF or CR) after every size line and every chunk, chunk extensions
 * bounded and ignored, trailer fields validated, bounded and dropped. A lenient chunk parser is
 * the other classic smuggling vector, next to Content-Length/Transfer-Encoding confusion.
 */
final class ChunkedDecoder extends BodyDecoder {
    private static final int MAX_SIZE_DIGITS = 15;
    private static final int MAX_LINE = 4096;
    private static final int MAX_TRAILER = 16 * 1024;

    private enum State { SIZE, EXT, SIZE_LF, DATA, DATA_CR, DATA_LF, TRAILER, TRAILER_LF, DONE }

    private final int errorStatus;
    private State state = State.SIZE;
    private long size;
    private int digits;
    private int lineLen;
    private int trailerBytes;
    private boolean trailerLineEmpty = true;

    ChunkedDecoder(int errorStatus) {
        this.errorStatus = errorStatus;
    }

    @Override
    public boolean done() {
        return state == State.DONE;
    }

    @Override
    public Buffer decode(Buffer src) throws HttpException {
        while (src.hasRemaining() && state != State.DONE) {
            if (state == State.DATA) {
                Buffer data = take(src, size);
                size -= data.remaining();
                if (size == 0) {
                    state = State.DATA_CR;
                }
                return data;
            }
            step(src.get());
        }
        return null;
    }

    private void step(byte c) throws HttpException {
        switch (state) {
            case SIZE -> {
                int h = Chars.hexValue(c);
                if (h >= 0) {
                    if (++digits > MAX_SIZE_DIGITS) {
                        throw fail("chunk size too large");
                    }
                    size = size * 16 + h;
                } else if (digits == 0) {
                    throw fail("invalid chunk size");
                } else if (c == '\r') {
                    state = State.SIZE_LF;
                } else if (c == ';' || c == ' ' || c == '\t') {
                    state = State.EXT;
                    lineLen = digits + 1;
                } else {
                    throw fail("invalid chunk size");
                }
            }
            case EXT -> {
                if (c == '\r') {
                    state = State.SIZE_LF;
                } else if (!Chars.isFieldValue(c) || ++lineLen > MAX_LINE) {
                    throw fail("invalid chunk extension");
                }
            }
            case SIZE_LF -> {
                if (c != '\n') {
                    throw fail("bare CR in chunk size line");
                }
                digits = 0;
                state = size == 0 ? State.TRAILER : State.DATA;
            }
            case DATA_CR -> {
                if (c != '\r') {
                    throw fail("chunk data not followed by CRLF");
                }
                state = State.DATA_LF;
            }
            case DATA_LF -> {
                if (c != '\n') {
                    throw fail("chunk data not followed by CRLF");
                }
                state = State.SIZE;
                size = 0;
            }
            case TRAILER -> {
                if (c == '\r') {
                    state = State.TRAILER_LF;
                } else if ((c != '\t' && (c & 0xff) < 0x20) || c == 0x7f || ++trailerBytes > MAX_TRAILER) {
                    throw fail("invalid trailer section");
                } else {
                    trailerLineEmpty = false;
                }
            }
            case TRAILER_LF -> {
                if (c != '\n') {
                    throw fail("bare CR in trailer section");
                }
                if (trailerLineEmpty) {
                    state = State.DONE;
                } else {
                    trailerLineEmpty = true;
                    state = State.TRAILER;
                }
            }
            default -> throw new IllegalStateException(state.name());
        }
    }

    private HttpException fail(String why) {
        return new HttpException(errorStatus, why);
    }

    @Override
    public String toString() {
        return "ChunkedDecoder[" + state + (state == State.DATA ? ", " + size + " left" : "") + "]";
    }
}
