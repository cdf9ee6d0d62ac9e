package io.kodiak.proxy;

import io.kodiak.buffer.Spool;
import io.kodiak.buffer.SpoolIo;
import io.kodiak.config.BufferingConfig;
import io.kodiak.filter.BodyTransform;
import io.kodiak.http.BodyDecoder;
import io.kodiak.http.Bytes;
import io.kodiak.http.HttpException;
import io.kodiak.http.ResponseHead;
import org.glassfish.grizzly.Buffer;
import org.glassfish.grizzly.memory.Buffers;
import org.glassfish.grizzly.memory.MemoryManager;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * The relay phase: the response body from the upstream through a {@link Spool} (memory, then a
 * temp file) to the client at the client's pace, so a slow client never holds the upstream.
 * Decodes the upstream's framing and re-frames for the client (chunked for HTTP/1.1 when the
 * length is unknown, close-delimited for HTTP/1.0).
 *
 * <p>Threading: called with the session's lock held.
 */
final class ResponseRelay {
    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] LAST_CHUNK = "0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    final ResponseHead head;
    private final ResponseFramingPlan plan;
    private final BodyDecoder decoder;
    private final Spool spool;
    private Buffer pendingHead;
    private boolean upstreamDone;
    private boolean pumping;
    private boolean repump;
    private long bytesSent;
    /** A response filter's rewrite of the body, or null. */
    private final BodyTransform transform;
    private final MemoryManager<?> memory;

    /**
     * @param plan    how the client gets the body, and the encoded head
     * @param b       the pool's buffering (a spill file only if response buffering is on)
     */
    ResponseRelay(Object lock, ResponseHead head, ResponseFramingPlan plan, BufferingConfig b, SpoolIo io,
                  Spool.Listener listener, ClientOutput out, BodyTransform transform) {
        this.head = head;
        this.plan = plan;
        this.transform = transform;
        this.memory = out.memory();
        Bytes encoded = plan.encodedHead();
        this.pendingHead = Buffers.wrap(out.memory(), encoded.array(), 0, encoded.length());
        long length = head.contentLength();
        this.decoder = switch (head.framing()) {
            case NONE -> null;
            case LENGTH -> length == 0 ? null : BodyDecoder.length(length);
            case CHUNKED -> BodyDecoder.chunked(502);
            case CLOSE -> BodyDecoder.closeDelimited();
        };
        this.spool = new Spool(lock, b.memory(), b.response() ? b.maxTempFile() : 0, b.tempDir(), io, listener);
    }

    /** Whether the upstream's part is over already (a response without a body). */
    boolean bodyless() {
        return decoder == null;
    }

    /**
     * Takes upstream bytes of the body.
     *
     * @return whether the upstream has now sent the whole response (bytes after it stay in {@code in})
     */
    boolean accept(Buffer in) throws HttpException, IOException {
        while (in.hasRemaining() && !upstreamDone) {
            Buffer data = decoder.decode(in);
            if (data != null) {
                add(transform == null ? data : transformed(apply(data)));
            }
            if (decoder.done()) {
                return true; // the transform's finish() follows, with all it still holds
            }
        }
        if (transform != null && !upstreamDone) {
            add(transformed(flush()));
        }
        return false;
    }

    private java.nio.ByteBuffer flush() throws FilterFailed {
        try {
            return transform.flush();
        } catch (RuntimeException e) {
            throw new FilterFailed(e);
        }
    }

    private void add(Buffer b) throws IOException {
        if (b != null && b.hasRemaining()) {
            spool.add(b);
        }
    }

    /** A transform's output as a buffer for the spool (a transform returns a new buffer per call). */
    private Buffer transformed(java.nio.ByteBuffer out) {
        return out == null || !out.hasRemaining() ? null : Buffers.wrap(memory, out);
    }

    private java.nio.ByteBuffer apply(Buffer data) throws FilterFailed {
        try {
            return transform.apply(data.toByteBuffer());
        } catch (RuntimeException e) {
            throw new FilterFailed(e);
        }
    }

    /** A response filter's {@link BodyTransform} threw: the filter's fault, not the upstream's. */
    static final class FilterFailed extends IOException {
        FilterFailed(RuntimeException cause) {
            super("body transform failed: " + cause, cause);
        }
    }

    /** The upstream closed: whether that ends the body (close-delimited) rather than truncating it. */
    boolean completesOnEof() {
        return decoder != null && decoder.completesOnEof() && !upstreamDone;
    }

    /**
     * The upstream sent everything: a transform's last bytes go in, then no more bytes come into
     * the spool.
     */
    void upstreamDone() throws IOException {
        if (transform != null) {
            java.nio.ByteBuffer last;
            try {
                last = transform.finish();
            } catch (RuntimeException e) {
                throw new FilterFailed(e); // not done: the body was never completed
            }
            add(transformed(last));
        }
        upstreamDone = true;
        spool.end();
    }

    boolean isUpstreamDone() {
        return upstreamDone;
    }

    boolean spoolFull() {
        return spool.full();
    }

    boolean isSpool(Spool s) {
        return s == spool;
    }

    /** Whether the client connection stays open after this response. */
    boolean keepAlive() {
        return plan.keepAlive();
    }

    /** Bytes handed to the client so far, head included. */
    long bytesSent() {
        return bytesSent;
    }

    long headBytes() {
        return plan.encodedHead().length();
    }

    /**
     * Writes to the client while it takes bytes; re-entrant calls fold into the outer loop.
     *
     * @return whether the whole response has now been handed to the client connection
     */
    boolean pump(ClientOutput out) {
        if (pumping) {
            repump = true;
            return false;
        }
        pumping = true;
        boolean done = false;
        try {
            do {
                repump = false;
                done |= pumpOnce(out);
            } while (repump && !done);
        } finally {
            pumping = false;
        }
        return done;
    }

    private boolean pumpOnce(ClientOutput out) {
        // Everything ready goes out in one write: the head with the first body bytes, and a
        // chunk's size line, data and CRLF together.
        Buffer o = pendingHead;
        pendingHead = null;
        boolean chunked = plan.chunked();
        long budget = ClientOutput.CLIENT_HIGH_WATER - out.clientInflight();
        while (budget > 0) {
            Buffer b = spool.poll();
            if (b == null) {
                break;
            }
            budget -= b.remaining();
            if (chunked) {
                o = gather(out, o, wrap(out, (Integer.toHexString(b.remaining()) + "\r\n").getBytes(StandardCharsets.US_ASCII)));
                o = gather(out, gather(out, o, b), wrap(out, CRLF));
            } else {
                o = gather(out, o, b);
            }
        }
        boolean done = upstreamDone && spool.drained();
        if (done && chunked) {
            o = gather(out, o, wrap(out, LAST_CHUNK));
        }
        if (o != null) {
            bytesSent += o.remaining();
            out.write(o);
        }
        return done;
    }

    private static Buffer gather(ClientOutput out, Buffer a, Buffer b) {
        return a == null ? b : Buffers.appendBuffers(out.memory(), a, b, false);
    }

    private static Buffer wrap(ClientOutput out, byte[] b) {
        return Buffers.wrap(out.memory(), b);
    }

    void close() {
        spool.close();
        if (transform != null) {
            transform.close(); // frees a compressor's native memory, also when the body was cut short
        }
    }
}
