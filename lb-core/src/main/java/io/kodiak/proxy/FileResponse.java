package io.kodiak.proxy;

import io.kodiak.accesslog.Termination;
import io.kodiak.filter.BodyTransform;
import io.kodiak.filter.FileAnswer;
import io.kodiak.filter.ResponseFilter;
import io.kodiak.http.HeadParser;
import io.kodiak.http.HttpException;
import io.kodiak.http.RequestHead;
import io.kodiak.http.ResponseEncoder;
import io.kodiak.http.ResponseHead;
import io.kodiak.http.ServerField;
import org.glassfish.grizzly.Buffer;
import org.glassfish.grizzly.memory.Buffers;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A static file's answer on the client connection, once the route's request filter found and
 * opened the file ({@link FileAnswer}). Its head is made into a {@link ResponseHead} as an
 * upstream's would be, so the listener's and the route's response filters see it, edit its
 * fields and may rewrite its body, as they do for a proxied response; then it is framed for the
 * client by the same {@link ResponseFramingPlan}.
 *
 * <p>The body goes one of two ways. <b>sendfile</b>: on a plain connection, when no filter
 * rewrites the body and the file is over {@link #SMALL_FILE}, in {@link FileSegment}s of
 * {@link #SEGMENT} bytes that the kernel copies from the page cache to the socket, queued up to
 * {@link #SENDFILE_AHEAD} ahead of the client; nothing of the file passes through the heap.
 * <b>read</b>: on a TLS listener (the TLS filter must see the bytes to encrypt them), through a
 * filter's {@link BodyTransform}, or for a small file (sent with the head in one write), in
 * positional reads of {@link #CHUNK} bytes, the next one only while the client takes its bytes
 * (below {@link ClientOutput#CLIENT_HIGH_WATER}), so a slow client holds at most that much heap.
 * The send timeout applies as for any response.
 *
 * <p>The reads happen on the selector thread, as nginx reads (and sendfile reads) without
 * {@code aio threads}: a 64 KiB read from the page cache takes microseconds, and a site's static
 * files are usually there; a cold read on a slow disk holds this selector's other connections for
 * one disk access per chunk. Moving the reads to an executor (as spools write through
 * {@code SpoolIo}) is the step to take if that ever shows.
 *
 * <p>The file is closed when the answer ends: at once if it was cut or the client went away, and
 * after the last queued segment has been written (or failed) otherwise, since the writer still
 * reads the file then.
 *
 * <p>Threading: every method runs with the client session's lock held.
 */
final class FileResponse {
    private static final Logger LOG = Logger.getLogger(FileResponse.class.getName());
    /** sendfile's unit: the client high-water mark, so the send timeout measures a bounded amount. */
    static final int SEGMENT = ClientOutput.CLIENT_HIGH_WATER;
    /**
     * How far sendfile runs ahead of the client: segments queued but not yet written. They cost no
     * memory (the kernel reads the page cache), and with one segment at a time each one waited a
     * turn of the selector before the next was queued, which held a loopback client to a tenth
     * of nginx's rate; the send timeout still counts per segment.
     */
    static final int SENDFILE_AHEAD = 8 * SEGMENT;
    /** One read on the read path. */
    static final int CHUNK = 64 * 1024;
    /**
     * Files up to this size take the read path even where sendfile could run: read with one
     * system call and sent with the head in one write, they cost less than a head write, a
     * sendfile and a second completion (measured: a 10 KiB file cost more by sendfile than
     * proxying it from nginx did).
     */
    static final int SMALL_FILE = 32 * 1024;
    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] LAST_CHUNK = "0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private final Exchange x;
    private final ClientOutput out;
    private final FileAnswer file;
    private final ResponseFramingPlan plan;
    private final BodyTransform transform;
    private final boolean sendfile;
    private final int status;
    private final long end;
    private long position;
    private Buffer pendingHead;
    private long bytesSent;
    private int segmentsInFlight;
    private boolean ended;
    private boolean closed;
    private boolean pumping;
    private boolean repump;

    private FileResponse(Exchange x, ClientOutput out, FileAnswer file, ResponseFramingPlan plan,
                         BodyTransform transform, int status) {
        this.x = x;
        this.out = out;
        this.file = file;
        this.plan = plan;
        this.transform = transform;
        this.status = status;
        this.sendfile = transform == null && out.sendsFiles() && file.length() > SMALL_FILE;
        this.position = file.offset();
        this.end = file.offset() + file.length();
        var h = plan.encodedHead();
        this.pendingHead = Buffers.wrap(out.memory(), h.array(), 0, h.length());
    }

    /**
     * The answer's head, through the response filters, framed for this client.
     *
     * @param keepAllowed whether all but the framing allows keep-alive
     * @throws RuntimeException a response filter's failure (the caller answers 500 and closes the file)
     */
    static FileResponse of(Exchange x, ClientOutput out, FileAnswer file, RequestHead req, ResponseFilter[] filters,
                           boolean keepAllowed, ServerField server, String ownLower, String ownField) {
        String head = "HTTP/1.1 " + file.status() + " " + ResponseEncoder.reason(file.status()) + "\r\n" + file.fields() + "\r\n";
        ResponseHead r;
        try {
            r = HeadParser.parseResponse(head.getBytes(StandardCharsets.ISO_8859_1), req.isHead());
        } catch (HttpException e) {
            throw new IllegalStateException("a static answer's head does not parse: " + head, e);
        }
        // With the exchange: $request_id, $remote_addr, $route... as on an upstream's response.
        ResponsePhase phase = filters.length == 0 ? null : ResponsePhase.run(filters, req, r, x, null);
        BodyTransform t = phase == null ? null : phase.transform(); // an empty body too: a gzip of nothing has bytes
        ResponseFramingPlan plan = ResponseFramingPlan.of(r, req, keepAllowed, server, ownLower, ownField,
                phase == null ? null : phase.edits(), t != null);
        return new FileResponse(x, out, file, plan, t, file.status());
    }

    int status() {
        return status;
    }

    /** Bytes handed to the client so far, head included. */
    long bytesSent() {
        return bytesSent;
    }

    long headBytes() {
        return plan.encodedHead().length();
    }

    /** The client took bytes: queue more. */
    void onClientWritable() {
        pump();
    }

    /** Writes while the client takes bytes; re-entrant calls (a write that completed at once) fold into the loop. */
    void pump() {
        if (pumping) {
            repump = true;
            return;
        }
        pumping = true;
        try {
            do {
                repump = false;
                pumpOnce();
            } while (repump && !ended);
        } finally {
            pumping = false;
        }
    }

    private void pumpOnce() {
        if (ended) {
            return;
        }
        if (sendfile || position >= end) { // otherwise it goes with the first chunk
            flushHead();
        }
        FileChannel channel = file.channel();
        while (position < end && (sendfile ? out.clientInflight() < SENDFILE_AHEAD : out.clientWritable()) && !ended) {
            if (channel == null) {
                cut("file closed"); // dropped meanwhile
                return;
            }
            if (sendfile) {
                int n = (int) Math.min(SEGMENT, end - position);
                segmentsInFlight++;
                FileSegment s = new FileSegment(channel, position, n);
                position += n;
                bytesSent += n;
                out.writeFile(s, n, this::segmentDone);
            } else if (!readChunk(channel)) {
                return;
            }
        }
        if (position < end || ended) {
            return; // the client's turn: onClientWritable brings us back
        }
        if (transform != null) {
            ByteBuffer tail;
            try {
                tail = transform.finish();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "body transform failed on " + x.req, e);
                cut("body transform failed");
                return;
            }
            writeBody(tail);
        }
        flushHead(); // a transform may have had nothing to say
        if (plan.chunked()) {
            bytesSent += LAST_CHUNK.length;
            out.write(LAST_CHUNK, LAST_CHUNK.length);
        }
        ended = true;
        x.responseDone(status, plan.keepAlive(), bytesSent, headBytes());
    }

    private void flushHead() {
        if (pendingHead != null) {
            Buffer h = pendingHead;
            pendingHead = null;
            bytesSent += h.remaining();
            out.write(h);
        }
    }

    /** @return false if the answer was cut (a read error, a file that shrank, a transform's failure) */
    private boolean readChunk(FileChannel channel) {
        ByteBuffer buf = ByteBuffer.allocate((int) Math.min(CHUNK, end - position));
        int n;
        try {
            n = channel.read(buf, position);
        } catch (IOException e) {
            cut("read failed: " + e);
            return false;
        }
        if (n <= 0) {
            cut("file shrank while being sent");
            return false;
        }
        position += n;
        buf.flip();
        ByteBuffer o = buf;
        if (transform != null) {
            try {
                o = transform.apply(buf);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "body transform failed on " + x.req, e);
                cut("body transform failed");
                return false;
            }
        }
        writeBody(o);
        return true;
    }

    /** Queues body bytes, as a chunk when the client gets the body chunked, and the head first if it still waits. */
    private void writeBody(ByteBuffer o) {
        if (o == null || !o.hasRemaining()) {
            return;
        }
        Buffer b = Buffers.wrap(out.memory(), o);
        if (plan.chunked()) {
            byte[] size = (Integer.toHexString(b.remaining()) + "\r\n").getBytes(StandardCharsets.US_ASCII);
            b = Buffers.appendBuffers(out.memory(), Buffers.wrap(out.memory(), size), b, false);
            b = Buffers.appendBuffers(out.memory(), b, Buffers.wrap(out.memory(), CRLF), false);
        }
        if (pendingHead != null) {
            b = Buffers.appendBuffers(out.memory(), pendingHead, b, false);
            pendingHead = null;
        }
        bytesSent += b.remaining();
        out.write(b);
    }

    private void cut(String why) {
        LOG.fine(() -> x.req + ": static answer cut: " + why);
        ended = true;
        file.close();
        x.cut(Termination.LOCAL_ANSWER, status, bytesSent, headBytes());
    }

    private void segmentDone() {
        segmentsInFlight--;
        if (closed && segmentsInFlight == 0) {
            file.close();
        }
    }

    /** The exchange is over: close the file once no queued segment still reads it. */
    void close() {
        closed = true;
        closeTransform();
        if (segmentsInFlight == 0) {
            file.close();
        }
    }

    /** The client went away or the answer was cut: close the file now (queued segments fail with it). */
    void drop() {
        ended = true;
        closed = true;
        closeTransform();
        file.close();
    }

    /** A compressor holds native memory until it is closed, whether the body ended or was cut. */
    private void closeTransform() {
        if (transform != null) {
            try {
                transform.close();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "body transform failed to close on " + x.req, e);
            }
        }
    }

    @Override
    public String toString() {
        return "FileResponse[" + status + ", " + position + "/" + end + (sendfile ? ", sendfile" : ", read")
                + (ended ? ", ended" : "") + "]";
    }
}
