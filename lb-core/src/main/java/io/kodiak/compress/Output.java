package io.kodiak.compress;

import java.nio.ByteBuffer;

/**
 * Collects what a compressor emits for one call into one exact-size buffer for the client (the
 * spool counts what it holds by its remaining bytes, so a buffer must not carry unused capacity).
 * The compressor writes into a per-thread scratch first: a response costs no heap of its own
 * between calls.
 *
 * <p>Threading: one call on one thread; the scratch belongs to the calling thread.
 */
final class Output {
    /** Scratch size: a deflate or brotli call's output is copied out of it as it fills. */
    static final int SCRATCH = 32 * 1024;
    private static final ThreadLocal<ByteBuffer> SCRATCHES = ThreadLocal.withInitial(() -> ByteBuffer.allocate(SCRATCH));

    private ByteBuffer out;
    private byte[] prefix;

    /**
     * @param prefix bytes that go first (a stream header) if anything else is appended, or null:
     *               a call that emits nothing emits no header either
     */
    Output(byte[] prefix) {
        this.prefix = prefix;
    }

    /** Whether the prefix went into this output (so the next call must not repeat it). */
    boolean prefixWritten() {
        return prefix == null && out != null;
    }

    /** This thread's scratch buffer. */
    static ByteBuffer scratch() {
        return SCRATCHES.get();
    }

    /**
     * An upper bound on scratch fills for {@code input} bytes: a compressor never emits more than
     * the input plus a small overhead per block, so more rounds mean it is broken, not busy.
     */
    static long maxRounds(long input) {
        return 16 + 2 * (input / SCRATCH);
    }

    /** Appends what {@code b} holds (consumed). */
    void append(ByteBuffer b) {
        int n = b.remaining();
        if (n == 0) {
            return;
        }
        if (out == null) {
            int p = prefix == null ? 0 : prefix.length;
            out = ByteBuffer.allocate(p + n);
            if (prefix != null) {
                out.put(prefix);
                prefix = null;
            }
        } else if (out.remaining() < n) {
            ByteBuffer bigger = ByteBuffer.allocate(Math.max(out.position() + n, out.capacity() * 2));
            out.flip();
            out = bigger.put(out);
        }
        out.put(b);
    }

    /** What was collected, as a buffer of exactly that size, or null if nothing. */
    ByteBuffer result() {
        if (out == null || out.position() == 0) {
            return null;
        }
        out.flip();
        if (out.remaining() == out.capacity()) {
            return out;
        }
        ByteBuffer exact = ByteBuffer.allocate(out.remaining()).put(out).flip();
        out = null;
        return exact;
    }
}
