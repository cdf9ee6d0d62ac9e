package io.kodiak.compress;

import com.aayushatharva.brotli4j.encoder.Encoder;
import com.aayushatharva.brotli4j.encoder.EncoderJNI;
import io.kodiak.filter.BodyTransform;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;

/**
 * A response body as a Brotli stream (RFC 7932), compressed piece by piece as it arrives, through
 * brotli4j's JNI encoder (the streaming API of Google's brotli, the same the reference
 * {@code BrotliOutputStream} drives).
 *
 * <p>Pieces go in as they come; each upstream read ends with a flush ({@link #flush}), as in
 * {@link GzipTransform} and for the same reason. Memory
 * is native: the encoder's ring buffer (2^{@value #WINDOW_BITS} bytes, ngx_brotli's default
 * {@code brotli_window 512k}) and hash tables, plus its {@value #INPUT} byte input buffer. Output
 * per call is bounded by its input plus what the encoder held back from earlier calls.
 * The native state is freed when the body ends or the response is cut short ({@link #close}).
 *
 * <p>Threading: as {@link BodyTransform}, one thread at a time.
 */
public final class BrotliTransform implements BodyTransform {
    static final int WINDOW_BITS = 19;
    /** The native input buffer; larger pieces go in slices of this size. */
    static final int INPUT = 16 * 1024;
    /** What the encoder may hold back from earlier calls (its window), for the bound on rounds. */
    private static final int HELD = 1 << WINDOW_BITS;

    private final EncoderJNI.Wrapper encoder;
    private long size;
    /** Input given since the last flush. */
    private boolean unflushed;
    private boolean ended;

    /**
     * @param quality 0 (fastest) to 11 (smallest)
     * @throws IOException when the native encoder cannot be made
     */
    public BrotliTransform(int quality) throws IOException {
        this.encoder = new EncoderJNI.Wrapper(INPUT, quality, WINDOW_BITS, Encoder.Mode.TEXT);
    }

    @Override
    public ByteBuffer apply(ByteBuffer in) {
        checkOpen();
        if (!in.hasRemaining()) {
            return null;
        }
        Output out = new Output(null);
        ByteBuffer input = encoder.getInputBuffer();
        while (in.hasRemaining()) {
            int n = Math.min(in.remaining(), INPUT);
            size += n;
            input.clear();
            ByteBuffer slice = in.slice();
            slice.limit(n);
            input.put(slice);
            in.position(in.position() + n);
            encode(EncoderJNI.Operation.PROCESS, n, out);
        }
        unflushed = true;
        return out.result();
    }

    @Override
    public ByteBuffer flush() {
        checkOpen();
        if (!unflushed) {
            return null;
        }
        unflushed = false;
        Output out = new Output(null);
        encode(EncoderJNI.Operation.FLUSH, 0, out);
        return out.result();
    }

    @Override
    public ByteBuffer finish() {
        checkOpen();
        Output out = new Output(null);
        encode(EncoderJNI.Operation.FINISH, 0, out);
        close();
        return out.result();
    }

    /**
     * Pushes {@code length} bytes of the input buffer with {@code op} and collects all output
     * (the loop of brotli's own {@code Encoder.encode}).
     */
    private void encode(EncoderJNI.Operation op, int length, Output out) {
        boolean hasInput = true;
        for (long rounds = 0; ; rounds++) {
            if (rounds > Output.maxRounds(length + HELD)) {
                throw new IllegalStateException("brotli encoder made no progress");
            }
            if (!encoder.isSuccess()) {
                throw new UncheckedIOException(new IOException("brotli encoding failed"));
            } else if (encoder.hasMoreOutput()) {
                out.append(encoder.pull()); // a view of native memory, valid until the next push: copied
            } else if (encoder.hasRemainingInput()) {
                encoder.push(op, 0);
            } else if (hasInput) {
                encoder.push(op, length);
                hasInput = false;
            } else if (op == EncoderJNI.Operation.FINISH && !encoder.isFinished()) {
                encoder.push(op, 0);
            } else {
                return;
            }
        }
    }

    @Override
    public void close() {
        if (!ended) {
            ended = true;
            encoder.destroy();
        }
    }

    private void checkOpen() {
        if (ended) {
            throw new IllegalStateException("brotli stream already ended");
        }
    }

    @Override
    public String toString() {
        return "BrotliTransform[" + size + " bytes in" + (ended ? ", ended" : "") + "]";
    }
}
