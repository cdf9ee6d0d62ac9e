package io.kodiak.compress;

import io.kodiak.filter.BodyTransform;

import java.nio.ByteBuffer;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * A response body as a gzip stream (RFC 1952), compressed as it arrives.
 *
 * <p>Pieces go into the deflater as they come ({@code NO_FLUSH}); at the end of each upstream
 * read ({@link #flush}) a {@code SYNC_FLUSH} sends out everything given so far, so a streamed
 * response (server-sent events, a report written row by row) reaches the client as the app
 * writes it instead of waiting for the compressor's window to fill. A flush costs a few bytes and
 * some ratio, the more the smaller the reads (measured by {@code GzipTransformTest}); many small
 * chunks in one read cost one flush, not one each. Memory is the deflater's native state (about
 * 256 KiB at the default window) plus a per-thread scratch; output per call is bounded by its
 * input plus the little the deflater held back from earlier calls.
 *
 * <p>The native state is freed when the body ends ({@link #finish}) or when the response is cut
 * short ({@link #close}), never left to the garbage collector.
 *
 * <p>Threading: as {@link BodyTransform}, one thread at a time.
 */
public final class GzipTransform implements BodyTransform {
    /** RFC 1952 header: magic, CM=8 (deflate), no flags, no mtime, XFL=0, OS=255 (unknown). */
    private static final byte[] HEADER = {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, (byte) 0xff};

    /** What a deflater may hold back from earlier calls (its window and a pending block), for the bound on rounds. */
    private static final int HELD = 64 * 1024;

    private final Deflater deflater;
    private final CRC32 crc = new CRC32();
    private long size;
    private boolean headerSent;
    /** Input given since the last flush. */
    private boolean unflushed;
    private boolean finishing;
    private boolean ended;

    /** @param level 1 (fastest) to 9 (smallest) */
    public GzipTransform(int level) {
        this.deflater = new Deflater(level, true);
    }

    @Override
    public ByteBuffer apply(ByteBuffer in) {
        checkOpen();
        if (!in.hasRemaining()) {
            return null;
        }
        int n = in.remaining();
        size += n;
        crc.update(in.duplicate());
        deflater.setInput(in);
        Output out = start();
        deflate(Deflater.NO_FLUSH, n, out);
        unflushed = true;
        return end(out);
    }

    @Override
    public ByteBuffer flush() {
        checkOpen();
        if (!unflushed) {
            return null; // nothing since the last flush: not even an empty block
        }
        unflushed = false;
        Output out = start();
        deflate(Deflater.SYNC_FLUSH, 0, out);
        return end(out);
    }

    @Override
    public ByteBuffer finish() {
        checkOpen();
        deflater.finish();
        finishing = true;
        Output out = start();
        deflate(Deflater.NO_FLUSH, 0, out);
        ByteBuffer trailer = ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        trailer.putInt((int) crc.getValue()).putInt((int) size).flip(); // ISIZE is the size mod 2^32
        out.append(trailer);
        close();
        return end(out);
    }

    /** An output for one call, starting with the stream's header if it has not gone out yet. */
    private Output start() {
        return new Output(headerSent ? null : HEADER);
    }

    /** The call's output; notes whether the header went out with it. */
    private ByteBuffer end(Output out) {
        headerSent |= out.prefixWritten();
        return out.result();
    }

    /**
     * Runs the deflater until it needs input (and, after {@link Deflater#finish}, until it has
     * finished), collecting what it emits. Its output is bounded (the input given in this call,
     * the little it may hold back from earlier calls, and 5 bytes per stored block), so the loop
     * ends; the bound on rounds only turns a broken deflater into an error.
     */
    private void deflate(int mode, int input, Output out) {
        ByteBuffer scratch = Output.scratch();
        for (long rounds = 0; ; rounds++) {
            if (rounds > Output.maxRounds(input + HELD)) {
                throw new IllegalStateException("deflater made no progress");
            }
            scratch.clear();
            deflater.deflate(scratch, mode);
            scratch.flip();
            boolean full = scratch.limit() == scratch.capacity();
            out.append(scratch);
            // SYNC_FLUSH and NO_FLUSH: done when the scratch was not filled and the input is
            // used up. After finish(): done when the deflater says so.
            if (!full && (finishing ? deflater.finished() : deflater.needsInput())) {
                return;
            }
        }
    }

    @Override
    public void close() {
        if (!ended) {
            ended = true;
            deflater.end();
        }
    }

    private void checkOpen() {
        if (ended) {
            throw new IllegalStateException("gzip stream already ended");
        }
    }

    @Override
    public String toString() {
        return "GzipTransform[" + size + " bytes in" + (ended ? ", ended" : "") + "]";
    }
}
