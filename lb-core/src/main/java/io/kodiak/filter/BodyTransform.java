package io.kodiak.filter;

import java.nio.ByteBuffer;

/**
 * Rewrites one response body as it streams through, piece by piece, never holding it whole
 * (nginx's body filters). One instance per response; called in order on the connection's
 * selector thread, never concurrently, and must not block. Output may be empty or null (nothing
 * yet). The input is valid only during the call; the output is queued for the client as it is,
 * so each call returns a buffer the transform never touches again. A transform that throws cuts
 * its response (the client sees it incomplete); nothing counts against the upstream.
 */
public interface BodyTransform {
    /**
     * The next piece of the body as the upstream sent it (decoded from its framing). A transform
     * may hold some output back (a compressor's window) until {@link #flush}.
     */
    ByteBuffer apply(ByteBuffer in);

    /**
     * Everything the upstream has sent so far went through {@link #apply}, and no more is at hand
     * (the end of one read): the output held back, so that a streamed body reaches the client
     * as the upstream writes it. Not called before {@link #finish}.
     */
    default ByteBuffer flush() {
        return null;
    }

    /** The body ended: the last bytes to send, if any. Not called if the response is cut short. */
    ByteBuffer finish();

    /**
     * The exact number of bytes this transform emits in all, whatever its input (a page that
     * replaces the body), or -1 when it depends on the input. A later filter deciding on the
     * body's length (compression's minimum) reads it.
     */
    default long length() {
        return -1;
    }

    /**
     * The response is over, whole or cut short: free what the transform holds outside the heap
     * (a compressor's native state). Called after {@link #finish} or instead of it, possibly
     * more than once: calls after the first do nothing.
     */
    default void close() {
    }
}
