package io.kodiak.testing;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Carries out {@link Action}s on one upstream connection. Every step flushes before it returns, so
 * what a test scripted is on the wire before the next step (a stall, a close) begins.
 * Used by one connection thread only.
 */
final class ActionRunner {

    private final Socket socket;
    private final OutputStream out;
    private final CountDownLatch upstreamClosing;

    ActionRunner(Socket socket, OutputStream bufferedOut, CountDownLatch upstreamClosing) {
        this.socket = socket;
        this.out = bufferedOut;
        this.upstreamClosing = upstreamClosing;
    }

    /**
     * Runs {@code action} for a request made with {@code requestMethod}.
     *
     * @return {@code true} if the connection is still open and may carry another request
     */
    boolean run(Action action, String requestMethod) throws IOException, InterruptedException {
        if (action instanceof Action.Sequence s) {
            for (Action step : s.steps()) {
                if (!run(step, requestMethod)) {
                    return false;
                }
            }
            return true;
        } else if (action instanceof Action.Respond r) {
            HeaderFields headers = r.headers();
            if (!headers.contains("Content-Length") && !headers.contains("Transfer-Encoding")
                    && mayHaveLengthHeader(r.status())) {
                headers = headers.with("Content-Length", Integer.toString(r.body().length));
            }
            writeHead("HTTP/1.1", r.status(), headers);
            if (bodyAllowed(requestMethod, r.status())) {
                out.write(r.body());
            }
            return finishResponse(headers);
        } else if (action instanceof Action.RespondChunked c) {
            HeaderFields headers = c.headers().contains("Transfer-Encoding")
                    ? c.headers() : c.headers().with("Transfer-Encoding", "chunked");
            writeHead("HTTP/1.1", c.status(), headers);
            if (bodyAllowed(requestMethod, c.status())) {
                for (byte[] chunk : c.chunks()) {
                    writeChunk(chunk, 0, chunk.length);
                }
                writeLastChunk(c.trailers());
            }
            return finishResponse(headers);
        } else if (action instanceof Action.RespondCloseDelimited d) {
            writeHead(d.version(), d.status(), d.headers());
            if (bodyAllowed(requestMethod, d.status())) {
                out.write(d.body());
            }
            return close();
        } else if (action instanceof Action.StreamBody b) {
            return streamBody(b, requestMethod);
        } else if (action instanceof Action.Raw raw) {
            out.write(raw.bytes());
            out.flush();
            return true;
        } else if (action instanceof Action.RawStream stream) {
            DeterministicBytes.of(stream.seed()).writeTo(out, stream.length());
            out.flush();
            return true;
        } else if (action instanceof Action.Stall stall) {
            out.flush();
            // Cut short by close(): the connection is being torn down, so no later step may write.
            return !upstreamClosing.await(stall.duration().toNanos(), TimeUnit.NANOSECONDS);
        } else if (action instanceof Action.Close) {
            return close();
        } else if (action instanceof Action.Reset) {
            out.flush();
            socket.setSoLinger(true, 0); // close() now sends RST instead of FIN
            socket.close();
            return false;
        }
        throw new IllegalArgumentException("unknown action " + action);
    }

    private boolean streamBody(Action.StreamBody b, String requestMethod) throws IOException {
        HeaderFields headers = b.headers().with(b.chunked() ? "Transfer-Encoding" : "Content-Length",
                b.chunked() ? "chunked" : Long.toString(b.length()));
        writeHead("HTTP/1.1", b.status(), headers);
        if (bodyAllowed(requestMethod, b.status())) {
            DeterministicBytes source = DeterministicBytes.of(b.seed());
            byte[] buf = new byte[DeterministicBytes.BLOCK];
            for (long p = 0; p < b.length(); ) {
                int n = (int) Math.min(buf.length, b.length() - p);
                source.fill(p, buf, 0, n);
                if (b.chunked()) {
                    writeChunk(buf, 0, n);
                } else {
                    out.write(buf, 0, n);
                }
                p += n;
            }
            if (b.chunked()) {
                writeLastChunk(HeaderFields.EMPTY);
            }
        }
        return finishResponse(headers);
    }

    /** Flushes; closes if the response announced it, as a real server does. */
    private boolean finishResponse(HeaderFields headers) throws IOException {
        if (headers.hasToken("Connection", "close")) {
            return close();
        }
        out.flush();
        return true;
    }

    private boolean close() throws IOException {
        out.flush();
        // FIN first, so a peer that still reads sees the end of the response rather than a reset.
        socket.shutdownOutput();
        socket.close();
        return false;
    }

    private void writeHead(String version, int status, HeaderFields headers) throws IOException {
        StringBuilder head = new StringBuilder(256);
        head.append(version).append(' ').append(status).append(' ').append(reason(status)).append("\r\n");
        for (HeaderFields.Field f : headers.all()) {
            head.append(f.name()).append(": ").append(f.value()).append("\r\n");
        }
        head.append("\r\n");
        out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
    }

    private void writeChunk(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return; // a zero-size chunk would end the body
        }
        out.write((Integer.toHexString(len) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
        out.write(b, off, len);
        out.write('\r');
        out.write('\n');
    }

    private void writeLastChunk(HeaderFields trailers) throws IOException {
        StringBuilder last = new StringBuilder("0\r\n");
        for (HeaderFields.Field f : trailers.all()) {
            last.append(f.name()).append(": ").append(f.value()).append("\r\n");
        }
        last.append("\r\n");
        out.write(last.toString().getBytes(StandardCharsets.ISO_8859_1));
    }

    private static boolean mayHaveLengthHeader(int status) {
        return status >= 200 && status != 204 && status != 304;
    }

    private static boolean bodyAllowed(String requestMethod, int status) {
        return !"HEAD".equals(requestMethod) && mayHaveLengthHeader(status);
    }

    /** Reason phrases for the codes tests use; anything else gets a neutral one. */
    static String reason(int status) {
        return switch (status) {
            case 100 -> "Continue";
            case 101 -> "Switching Protocols";
            case 200 -> "OK";
            case 201 -> "Created";
            case 204 -> "No Content";
            case 206 -> "Partial Content";
            case 301 -> "Moved Permanently";
            case 302 -> "Found";
            case 304 -> "Not Modified";
            case 400 -> "Bad Request";
            case 404 -> "Not Found";
            case 408 -> "Request Timeout";
            case 413 -> "Content Too Large";
            case 429 -> "Too Many Requests";
            case 500 -> "Internal Server Error";
            case 502 -> "Bad Gateway";
            case 503 -> "Service Unavailable";
            case 504 -> "Gateway Timeout";
            default -> "Status " + status;
        };
    }

    @Override
    public String toString() {
        return "ActionRunner[" + socket + "]";
    }
}
