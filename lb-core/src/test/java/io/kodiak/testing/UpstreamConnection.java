package io.kodiak.testing;

import java.io.BufferedOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ProtocolException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * One accepted connection of a {@link ScriptedUpstream}: reads requests one after another (so
 * pipelined and keep-alive requests work), records each, asks the handler what to do and does it.
 * Runs on one pool thread for the connection's whole life.
 */
final class UpstreamConnection implements Runnable {

    private static final byte[] CONTINUE = "HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);

    private final ScriptedUpstream upstream;
    private final Socket socket;
    private final int id;
    /** Set when the upstream itself cut the connection, so the resulting socket errors are expected. */
    private volatile boolean aborted;

    UpstreamConnection(ScriptedUpstream upstream, Socket socket, int id) {
        this.upstream = upstream;
        this.socket = socket;
        this.id = id;
    }

    int id() {
        return id;
    }

    /** Closes the socket from another thread, which unblocks a read or write in progress. */
    void abort() throws IOException {
        aborted = true;
        socket.close();
    }

    @Override
    public void run() {
        try {
            serve();
        } catch (EOFException e) {
            upstream.requestAborted(id, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // the upstream is shutting down its pool
        } catch (IOException e) {
            if (!aborted) {
                upstream.ioFailure(id, e);
            }
        } finally {
            try {
                socket.close();
            } catch (IOException e) {
                upstream.ioFailure(id, e);
            }
            upstream.connectionEnded(this);
        }
    }

    private void serve() throws IOException, InterruptedException {
        HttpWireReader reader = new HttpWireReader(socket.getInputStream());
        OutputStream out = new BufferedOutputStream(socket.getOutputStream(), 64 * 1024);
        ActionRunner runner = new ActionRunner(socket, out, upstream.closingLatch());
        for (int index = 0; ; index++) {
            HttpWireReader.Head head = reader.readHead(true);
            if (head == null) {
                return; // the client closed between requests: the normal end of a keep-alive connection
            }
            upstream.requestStarted();
            try {
                RecordedRequest request;
                try {
                    request = readRequest(reader, head, index, out);
                } catch (ProtocolException e) {
                    upstream.error("connection " + id + ": malformed request: " + e.getMessage());
                    runner.run(Action.respond(400, e.getMessage()).thenClose(), "GET");
                    return;
                }
                upstream.recordRequest(request);
                Action action;
                try {
                    action = upstream.handler().apply(request);
                } catch (RuntimeException e) {
                    upstream.error("connection " + id + ": handler failed on " + request + ": " + e);
                    runner.run(Action.respond(500, "handler failed: " + e).thenClose(), request.method());
                    return;
                }
                if (!runner.run(action, request.method())) {
                    return;
                }
                if (request.wantsClose()) {
                    runner.run(Action.close(), request.method());
                    return;
                }
            } finally {
                upstream.requestFinished();
            }
        }
    }

    private RecordedRequest readRequest(HttpWireReader reader, HttpWireReader.Head head, int index,
                                        OutputStream out) throws IOException {
        String[] parts = head.startLine().split(" ", -1);
        if (parts.length != 3 || parts[0].isEmpty() || parts[1].isEmpty() || !parts[2].startsWith("HTTP/")) {
            throw new ProtocolException("bad request line \"" + head.startLine() + "\"");
        }
        HeaderFields headers = head.fields();
        BodyFraming framing;
        long length = 0;
        if (headers.contains("Transfer-Encoding")) {
            // RFC 9112 6.1: Transfer-Encoding wins over Content-Length, and must end in chunked.
            if (!"chunked".equals(headers.lastToken("Transfer-Encoding"))) {
                throw new ProtocolException("request Transfer-Encoding does not end in chunked");
            }
            framing = BodyFraming.CHUNKED;
        } else if (headers.contains("Content-Length")) {
            length = HttpWireReader.contentLength(headers.values("Content-Length"));
            framing = BodyFraming.CONTENT_LENGTH;
        } else {
            framing = BodyFraming.NONE;
        }
        boolean hasBody = framing == BodyFraming.CHUNKED || length > 0;
        if (hasBody && upstream.autoContinue() && headers.hasToken("Expect", "100-continue")) {
            out.write(CONTINUE); // as gunicorn does: always invite the body
            out.flush();
        }
        CapturedBody.Accumulator body = new CapturedBody.Accumulator(upstream.bodyCaptureLimit());
        HeaderFields trailers = HeaderFields.EMPTY;
        if (framing == BodyFraming.CHUNKED) {
            trailers = reader.readChunked(body);
        } else {
            reader.readFixed(length, body);
        }
        return new RecordedRequest(id, index, upstream.nextSequence(), parts[0], parts[1], parts[2], headers,
                head.raw(), framing, body.finish(), trailers);
    }

    @Override
    public String toString() {
        return "UpstreamConnection[" + upstream.name() + "#" + id + " " + socket.getRemoteSocketAddress() + "]";
    }
}
