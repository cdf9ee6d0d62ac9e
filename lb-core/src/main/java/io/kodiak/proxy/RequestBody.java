package io.kodiak.proxy;

import io.kodiak.buffer.BodyBuffer;
import io.kodiak.buffer.Spool;
import io.kodiak.buffer.SpoolIo;
import io.kodiak.config.BufferingConfig;
import io.kodiak.http.BodyDecoder;
import io.kodiak.http.HttpException;
import io.kodiak.http.RequestHead;
import org.glassfish.grizzly.Buffer;

import java.io.IOException;

/**
 * The request body phase: decodes the client's body and keeps it, either buffered whole (memory,
 * then a temp file) so the request can go upstream complete and be replayed on a retry, or
 * streamed through a bounded {@link Spool} while the upstream already reads it. It is also the
 * source the {@link RequestSender} reads the body from.
 *
 * <p>It never calls the session: {@link #accept} says what happened and the exchange acts on it.
 * Threading: called with the session's lock held.
 */
final class RequestBody {
    /** What a call to {@link #accept} found. */
    enum Progress { MORE, PAUSE, DONE, TOO_LARGE }

    private final RequestHead req;
    private final long maxBody;
    private final BodyDecoder decoder;
    private final BodyBuffer buffered;
    private final Spool streamed;
    private final Spool.Listener listener;
    private BodyBuffer.Reader reader;
    private long bytes;
    private long wireBytes;
    private int lastData;
    /** The first bytes, kept for request rules on the body; null when none asked. */
    private BodyPeek peek;

    /**
     * @param onWritable the buffer has room again (reading may resume)
     * @param onFailed   a temp-file write failed while the body was arriving
     */
    RequestBody(Object lock, RequestHead req, BufferingConfig b, SpoolIo io, Spool.Listener listener,
                Runnable onWritable, java.util.function.Consumer<Throwable> onFailed) {
        this.req = req;
        this.maxBody = b.maxRequestBody();
        this.listener = listener;
        long cl = req.contentLength();
        this.decoder = cl == RequestHead.CHUNKED ? BodyDecoder.chunked(400) : BodyDecoder.length(cl);
        if (b.request()) {
            this.buffered = new BodyBuffer(lock, b.memory(), b.tempDir(), io, onWritable, onFailed);
            this.streamed = null;
        } else {
            this.buffered = null;
            this.streamed = new Spool(lock, b.memory(), 0, b.tempDir(), io, listener);
        }
    }

    /** Whether the body goes upstream while it arrives (it cannot be replayed then). */
    boolean streaming() {
        return streamed != null;
    }

    /**
     * Takes the client's bytes until the body is complete or the buffer asks to pause. Data bytes
     * (not framing) taken are in {@link #lastData()}.
     */
    Progress accept(Buffer in) throws HttpException, IOException {
        long before = bytes;
        int start = in.position();
        try {
            while (in.hasRemaining() && !decoder.done()) {
                Buffer data = decoder.decode(in);
                if (data != null) {
                    bytes += data.remaining();
                    if (bytes > maxBody || peek != null && bytes > peek.maxBody()) {
                        return Progress.TOO_LARGE;
                    }
                    if (peek != null) {
                        peek.add(data);
                    }
                    if (buffered != null) {
                        buffered.add(data);
                    } else {
                        streamed.add(data);
                    }
                }
                if (full()) {
                    return decoder.done() ? finish() : Progress.PAUSE;
                }
            }
            return decoder.done() ? finish() : Progress.MORE;
        } finally {
            lastData = (int) (bytes - before);
            wireBytes += in.position() - start;
        }
    }

    private Progress finish() {
        if (streamed != null) {
            streamed.end();
        }
        return Progress.DONE;
    }

    /** Keeps the body's first bytes for {@code inspector}; before the first {@link #accept}. */
    void inspect(io.kodiak.filter.BodyInspector inspector) {
        peek = new BodyPeek(inspector, req.contentLength());
    }

    /** Once the body is complete: 0 to go on, or the status a body inspector denies it with. */
    int inspected() {
        return peek == null ? 0 : peek.verdict(bytes);
    }

    /** Body data bytes the last {@link #accept} took: progress for the body timeout. */
    int lastData() {
        return lastData;
    }

    /** Bytes read from the client for the body, framing included (for the access log). */
    long wireBytes() {
        return wireBytes;
    }

    boolean full() {
        return buffered != null ? buffered.full() : streamed.full();
    }

    /** Runs {@code r} once a buffered body is safely written (at once if it is in memory). */
    void whenWritten(Runnable r) {
        buffered.whenWritten(r);
    }

    /** A temp-file write of a buffered body that failed, or null. */
    Throwable failure() {
        return buffered == null ? null : buffered.failure();
    }

    /** The length sent upstream: the buffered length, or the client's framing when streaming. */
    long upstreamLength() {
        return buffered != null ? buffered.length() : req.contentLength();
    }

    /** Starts reading the body from its beginning for an attempt (a retry replays it). */
    void rewind() {
        reader = buffered != null ? buffered.reader(listener) : null;
    }

    /** The next piece for the upstream, or null if none is ready. */
    Buffer poll() {
        return reader != null ? reader.poll() : streamed != null ? streamed.poll() : null;
    }

    /** Whether every byte of the body has been polled. */
    boolean drained() {
        return reader != null ? reader.done() : streamed == null || streamed.drained();
    }

    void close() {
        if (buffered != null) {
            buffered.close();
        }
        if (streamed != null) {
            streamed.close();
        }
    }
}
