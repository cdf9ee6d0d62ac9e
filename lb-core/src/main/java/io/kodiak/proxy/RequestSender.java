package io.kodiak.proxy;

import io.kodiak.http.Bytes;
import org.glassfish.grizzly.Buffer;
import org.glassfish.grizzly.CompletionHandler;
import org.glassfish.grizzly.WriteResult;
import org.glassfish.grizzly.memory.Buffers;

import java.nio.charset.StandardCharsets;

/**
 * Writes a request to its upstream connection: the head with the first body bytes, then the body
 * while the upstream takes it (at most {@link #HIGH_WATER} bytes in flight), chunked when the
 * client's body streams with no length. The WebSocket tunnel writes through it too.
 *
 * <p>Threading: called with the session's lock held; write completions take that lock and report
 * to {@link Events}.
 */
final class RequestSender {
    static final int HIGH_WATER = 256 * 1024;
    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] LAST_CHUNK = "0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    /** Where write outcomes go (the exchange), with the connection they were for. */
    interface Events {
        void written(UpstreamConnection target);

        void writeFailed(UpstreamConnection target);
    }

    private final Object lock;
    private final ProxyContext ctx;
    private final ExchangeMetrics metrics;
    private final Events events;
    private final RequestBody body;
    private final boolean chunked;
    private UpstreamConnection target;
    private Buffer head;
    private int inflight;
    private boolean complete;
    private boolean pumping;
    private boolean repump;

    /** @param body the request body, or null for none; {@code chunked}: it streams with no length */
    RequestSender(Object lock, ProxyContext ctx, ExchangeMetrics metrics, Events events, RequestBody body, boolean chunked) {
        this.lock = lock;
        this.ctx = ctx;
        this.metrics = metrics;
        this.events = events;
        this.body = body;
        this.chunked = chunked;
    }

    /** Starts sending on {@code c}: the head now, the body from its beginning. */
    void start(UpstreamConnection c, Bytes encodedHead) {
        target = c;
        complete = false;
        inflight = 0;
        // The reader must exist before the first write: a write may complete synchronously and pump.
        if (body != null) {
            body.rewind();
        }
        head = Buffers.wrap(c.connection.getMemoryManager(), encodedHead.array(), 0, encodedHead.length());
    }

    /** The connection is given up: nothing more is written to it. */
    void detach() {
        target = null;
        head = null;
    }

    /** Whether there is a connection to write to and request bytes still to send. */
    boolean active() {
        return target != null && !complete;
    }

    /** Whether the upstream has as much in flight as it may (the tunnel stops reading the client). */
    boolean busy() {
        return inflight >= HIGH_WATER;
    }

    /** Whether every byte of the request was handed to the transport. */
    boolean complete() {
        return complete;
    }

    /**
     * Writes what is ready while the upstream takes it. A write can complete synchronously and
     * call back into this method; the guard turns that into another turn of the outer loop, so
     * the pieces of one chunk (size line, data, CRLF) are never interleaved with the next.
     *
     * @return whether the request became complete in this call
     */
    boolean pump() {
        if (pumping) {
            repump = true;
            return false;
        }
        pumping = true;
        boolean done = false;
        try {
            do {
                repump = false;
                done |= pumpOnce();
            } while (repump && target != null);
        } finally {
            pumping = false;
        }
        return done;
    }

    private boolean pumpOnce() {
        UpstreamConnection t = target;
        if (t == null || complete) {
            return false;
        }
        // Everything ready goes out in one write: the head with the first body bytes, and a
        // chunk's size line, data and CRLF together.
        Buffer out = head;
        head = null;
        long budget = HIGH_WATER - inflight;
        boolean all = false;
        while (budget > 0) {
            Buffer b = body == null ? null : body.poll();
            if (b == null) {
                if (body == null || body.drained()) {
                    if (chunked) {
                        out = gather(out, wrap(LAST_CHUNK));
                    }
                    all = true;
                }
                break;
            }
            budget -= b.remaining();
            if (chunked) {
                out = gather(out, wrap((Integer.toHexString(b.remaining()) + "\r\n").getBytes(StandardCharsets.US_ASCII)));
                out = gather(gather(out, b), wrap(CRLF));
            } else {
                out = gather(out, b);
            }
        }
        if (out != null) {
            write(out);
        }
        // A write can fail at once and start a retry on another connection from inside this call;
        // then this turn's request is not the one on the connection any more.
        if (all && target == t) {
            complete = true;
            return true;
        }
        return false;
    }

    /** Writes {@code b} to the current connection (the tunnel's path too). */
    void write(Buffer b) {
        UpstreamConnection t = target;
        if (t == null) {
            return; // an earlier write of the same batch failed at once and ended this attempt
        }
        int n = b.remaining();
        inflight += n;
        metrics.bytesToUpstream(t.upstream, n);
        t.write(ctx, b, new CompletionHandler<WriteResult>() {
            @Override
            public void completed(WriteResult result) {
                synchronized (lock) {
                    if (t != target) {
                        return;
                    }
                    inflight -= n;
                    events.written(t);
                }
            }

            @Override
            public void failed(Throwable e) {
                synchronized (lock) {
                    if (t == target) {
                        events.writeFailed(t);
                    }
                }
            }

            @Override
            public void cancelled() {
                failed(null);
            }

            @Override
            public void updated(WriteResult result) {
            }
        });
    }

    private Buffer gather(Buffer a, Buffer b) {
        return a == null ? b : Buffers.appendBuffers(target.connection.getMemoryManager(), a, b, false);
    }

    private Buffer wrap(byte[] b) {
        return Buffers.wrap(target.connection.getMemoryManager(), b);
    }
}
