package io.kodiak.http;

import org.glassfish.grizzly.Buffer;

/**
 * Decodes {@code Transfer-Encoding: chunked} (RFC 9112 §7.1) strictly: hex sizes of at most 15
 * digits, CRLF (never a bare LF or CR) after every size line and every chunk, chunk extensions
 * checked against the grammar, bounded and ignored, trailer fields checked as field lines,
 * bounded and dropped. A lenient chunk parser is the other classic smuggling vector, next to
 * Content-Length/Transfer-Encoding confusion: a front proxy and Kodiak must never disagree on
 * where a size line ends, so anything the grammar does not allow is an error, not a guess.
 *
 * <p>Byte-at-a-time state machine, so it decodes the same however the input is split.
 */
final class ChunkedDecoder extends BodyDecoder {
    private static final int MAX_SIZE_DIGITS = 15;
    private static final int MAX_LINE = 4096;
    private static final int MAX_TRAILER = 16 * 1024;

    /** Declaration order matters: the states before {@code SIZE_LF} are those of a size line. */
    private enum State {
        SIZE,
        /** Whitespace after the size: only more whitespace, ';' or CR may follow. */
        SIZE_WS,
        /** After ';': optional whitespace, then an extension name. */
        EXT_NAME_START, EXT_NAME,
        /** Whitespace after a name: '=', ';' or CR may follow. */
        EXT_NAME_WS,
        /** After '=': optional whitespace, then a token or a quoted string. */
        EXT_VALUE_START, EXT_TOKEN, EXT_QUOTED, EXT_QUOTED_PAIR,
        /** After a value: whitespace, ';' or CR. */
        EXT_VALUE_END,
        SIZE_LF, DATA, DATA_CR, DATA_LF,
        /** Start of a trailer line: a field name, or CR of the final empty line. */
        TRAILER, TRAILER_NAME, TRAILER_VALUE, TRAILER_LF, END_LF, DONE
    }

    private final int errorStatus;
    private State state = State.SIZE;
    private long size;
    private int digits;
    private int lineLen;
    private int trailerBytes;

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
            byte c = src.get();
            if (state.compareTo(State.SIZE_LF) < 0 && ++lineLen > MAX_LINE) {
                throw fail("chunk size line too long");
            }
            step(c);
        }
        return null;
    }

    private void step(byte c) throws HttpException {
        switch (state) {
            case SIZE -> size(c);
            case SIZE_WS -> afterWhitespace(c, "invalid chunk size");
            case EXT_NAME_START -> {
                if (!isWs(c)) {
                    extNameByte(c);
                }
            }
            case EXT_NAME -> {
                if (c == '=') {
                    state = State.EXT_VALUE_START;
                } else if (isWs(c)) {
                    state = State.EXT_NAME_WS;
                } else if (!Chars.isTchar(c)) {
                    endOfExtension(c);
                }
            }
            case EXT_NAME_WS -> {
                if (c == '=') {
                    state = State.EXT_VALUE_START;
                } else {
                    afterWhitespace(c, "invalid chunk extension");
                }
            }
            case EXT_VALUE_START -> {
                if (c == '"') {
                    state = State.EXT_QUOTED;
                } else if (Chars.isTchar(c)) {
                    state = State.EXT_TOKEN;
                } else if (!isWs(c)) {
                    throw fail("invalid chunk extension value");
                }
            }
            case EXT_TOKEN -> {
                if (isWs(c)) {
                    state = State.EXT_VALUE_END;
                } else if (!Chars.isTchar(c)) {
                    endOfExtension(c);
                }
            }
            case EXT_QUOTED -> {
                // qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text
                if (c == '"') {
                    state = State.EXT_VALUE_END;
                } else if (c == '\\') {
                    state = State.EXT_QUOTED_PAIR;
                } else if (!Chars.isFieldValue(c)) {
                    throw fail("invalid byte in quoted chunk extension");
                }
            }
            case EXT_QUOTED_PAIR -> {
                if (!Chars.isFieldValue(c)) {
                    throw fail("invalid quoted-pair in chunk extension");
                }
                state = State.EXT_QUOTED;
            }
            case EXT_VALUE_END -> afterWhitespace(c, "invalid chunk extension");
            case SIZE_LF -> {
                if (c != '\n') {
                    throw fail("bare CR in chunk size line");
                }
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
                digits = 0;
                lineLen = 0;
            }
            case TRAILER -> {
                countTrailer();
                if (c == '\r') {
                    state = State.END_LF;
                } else if (Chars.isTchar(c)) {
                    state = State.TRAILER_NAME; // a leading SP/HTAB would be obs-fold
                } else {
                    throw fail("invalid trailer field");
                }
            }
            case TRAILER_NAME -> {
                countTrailer();
                if (c == ':') {
                    state = State.TRAILER_VALUE;
                } else if (!Chars.isTchar(c)) {
                    throw fail("invalid trailer field name");
                }
            }
            case TRAILER_VALUE -> {
                countTrailer();
                if (c == '\r') {
                    state = State.TRAILER_LF;
                } else if (!Chars.isFieldValue(c)) {
                    throw fail("invalid byte in trailer field");
                }
            }
            case TRAILER_LF, END_LF -> {
                if (c != '\n') {
                    throw fail("bare CR in trailer section");
                }
                state = state == State.END_LF ? State.DONE : State.TRAILER;
            }
            default -> throw new IllegalStateException(state.name());
        }
    }

    private void size(byte c) throws HttpException {
        int h = Chars.hexValue(c);
        if (h >= 0) {
            if (++digits > MAX_SIZE_DIGITS) {
                throw fail("chunk size too large");
            }
            size = size * 16 + h;
        } else if (digits == 0) {
            throw fail("invalid chunk size");
        } else if (isWs(c)) {
            state = State.SIZE_WS;
        } else {
            endOfExtension(c);
        }
    }

    /** After BWS: more whitespace, or what may end an extension. */
    private void afterWhitespace(byte c, String why) throws HttpException {
        if (!isWs(c)) {
            if (c != ';' && c != '\r') {
                throw fail(why);
            }
            endOfExtension(c);
        }
    }

    /** ';' starts the next extension, CR ends the size line; nothing else may. */
    private void endOfExtension(byte c) throws HttpException {
        if (c == ';') {
            state = State.EXT_NAME_START;
        } else if (c == '\r') {
            state = State.SIZE_LF;
        } else {
            throw fail(state == State.SIZE ? "invalid chunk size" : "invalid chunk extension");
        }
    }

    private void extNameByte(byte c) throws HttpException {
        if (!Chars.isTchar(c)) {
            throw fail("invalid chunk extension name");
        }
        state = State.EXT_NAME;
    }

    private void countTrailer() throws HttpException {
        if (++trailerBytes > MAX_TRAILER) {
            throw fail("trailer section too large");
        }
    }

    private static boolean isWs(byte c) {
        return c == ' ' || c == '\t';
    }

    private HttpException fail(String why) {
        return new HttpException(errorStatus, why);
    }

    @Override
    public String toString() {
        return "ChunkedDecoder[" + state + (state == State.DATA ? ", " + size + " left" : "") + "]";
    }
}
